"""The ownership mapping file: schema, normalisation, one-line errors with file, line and key."""

from pathlib import Path

import pytest

import billing_portal.ownership as ownership
from billing_portal.errors import ConfigError
from billing_portal.ownership import OwnershipMapping, load_mapping

EXAMPLE = Path(ownership.__file__).parent / "example_mapping.yaml"


def test_no_file_means_empty_mapping():
    assert load_mapping(None) == OwnershipMapping()
    assert load_mapping("") == OwnershipMapping()


def test_example_file_loads():
    m = load_mapping(EXAMPLE)
    assert m.principals["sa-abc123"].team == "payments"
    assert m.resources["lfcp-9z8y7x"].principal_id == "u-bob42"
    assert m.owner_attributes("Alice@Company.com").cost_center == "CC-4100"
    assert m.tag_conventions.business_unit == ("bu_", "business_unit_")


def test_values_are_normalised(tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("principals:\n  ' sa-1 ': {owner: ' Alice@X.COM ', cost_center: 4200, team: ''}\n"
                    "owners:\n  ALICE: {team: t}\n")
    m = load_mapping(path)
    assert m.principals["sa-1"].owner == "alice@x.com"
    assert m.principals["sa-1"].cost_center == "4200"
    assert m.principals["sa-1"].team is None
    assert m.owner_attributes("alice@x.com").team == "t"  # local part of an email matches a bare owner key


def test_longest_tag_prefix_first():
    prefixes = OwnershipMapping().tag_conventions.prefixes()
    assert prefixes.index(("business_unit_", "business_unit")) < prefixes.index(("bu_", "business_unit"))


@pytest.mark.parametrize(("text", "expected"), [
    ("principals:\n  sa-1:\n    tema: payments\n", "line 3: principals.sa-1.tema: unknown key 'tema'"),
    ("resources:\n  lkc-1: payments\n", "line 2: resources.lkc-1"),
    ("owners:\n  a@x.com: {team: [1, 2]}\n", "line 2: owners.a@x.com.team"),
    ("version: 2\n", "line 1: version"),
    ("principals: {sa-1: {team: x}\n", "invalid YAML"),
    ("tag_conventions:\n  teams: [t_]\n", "line 2: tag_conventions.teams: unknown key"),
])
def test_malformed_file_is_one_line(tmp_path, text, expected):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_mapping(path)
    message = str(exc.value)
    assert message.startswith(f"mapping file {path}: ")
    assert "\n" not in message and expected in message


def test_missing_file_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="mapping file .*nope.yaml: file not found"):
        load_mapping(tmp_path / "nope.yaml")
