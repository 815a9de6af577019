"""AllocationConfig: defaults, YAML loading, one-line errors naming file, line and key."""

import pytest

from billing_portal.allocation import AllocationConfig, load_allocation_config
from billing_portal.errors import ConfigError


def test_defaults_without_a_file():
    config = load_allocation_config(None)
    assert config == AllocationConfig()
    assert config.shared_split("KAFKA_BASE").method == "even"
    assert config.shared_split("KAFKA_NUM_CKUS").method == "hybrid"
    assert config.shared_split("KAFKA_NUM_CKUS").usage_ratio == 0.7
    assert config.shared_split("KAFKA_STORAGE").metric == "request"
    assert config.no_resource_rule("SUPPORT").spread == "unallocated"
    assert "KAFKA_NETWORK_WRITE" in config.usage_driven_line_types
    assert config.unallocated_share_threshold == 0.05


def test_yaml_overrides_what_it_names(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("""
shared_splits:
  kafka_base: {method: hybrid, usage_ratio: 0.25}
no_resource_rules:
  SUPPORT: {spread: allocated_cost}
  AUDIT_LOG_READ: {spread: team, team: security}
default_no_resource_rule: {spread: even_active_principals}
line_type_rules:
  KAFKA_NEW_THING: kafka_shared
usage_driven_line_types: [KAFKA_NETWORK_READ, kafka_network_write]
unallocated_share_threshold: 0.1
""")
    config = load_allocation_config(path)
    assert config.shared_split("KAFKA_BASE").usage_ratio == 0.25
    assert config.shared_split("KAFKA_NUM_CKUS").method == "hybrid"  # default kept
    assert config.no_resource_rule("SUPPORT").spread == "allocated_cost"
    assert config.no_resource_rule("PROMO_CREDIT").spread == "even_active_principals"
    assert config.line_type_rules == {"KAFKA_NEW_THING": "kafka_shared"}
    assert config.usage_driven_line_types == ("KAFKA_NETWORK_READ", "KAFKA_NETWORK_WRITE")
    assert config.unallocated_share_threshold == 0.1


@pytest.mark.parametrize(("text", "expected"), [
    ("shared_splits:\n  KAFKA_BASE:\n    method: sometimes\n", "line 3: shared_splits.KAFKA_BASE.method"),
    ("shared_splits:\n  KAFKA_BASE: {method: hybrid, usage_ratio: 2}\n", "line 2: shared_splits.KAFKA_BASE.usage_ratio"),
    ("no_resource_rules:\n  SUPPORT: {spread: principal}\n", "line 2: no_resource_rules.SUPPORT: spread 'principal'"),
    ("unallocated_threshold: 0.2\n", "line 1: unallocated_threshold: unknown key 'unallocated_threshold'"),
    ("line_type_rules:\n  X: magic\n", "line 2: line_type_rules.X"),
    ("shared_splits: [1, 2\n", "invalid YAML"),
    ("- a\n- b\n", "expected a mapping"),
])
def test_malformed_file_is_one_line_config_error(tmp_path, text, expected):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_allocation_config(path)
    message = str(exc.value)
    assert "\n" not in message
    assert str(path) in message
    assert expected in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_allocation_config(tmp_path / "nope.yaml")
