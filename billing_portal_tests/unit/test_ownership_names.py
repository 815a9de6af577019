"""Name conventions and id prefixes."""

import pytest

from billing_portal.ownership.names import (
    is_principal_id,
    owner_from_description,
    owner_from_display_name,
    principal_type_of,
    resource_type_of,
)


@pytest.mark.parametrize(("name", "owner"), [
    ("payments-prod-owner-alice", "alice"),
    ("prod-owner-Ops@Acme.com", "ops@acme.com"),
    ("a-owner-b-owner-carol", "carol"),
    ("owner-alice", None),                 # needs the leading dash: "-owner-"
    ("payments", None),
    ("", None),
    (None, None),
])
def test_owner_from_display_name(name, owner):
    assert owner_from_display_name(name) == owner


@pytest.mark.parametrize(("description", "owner"), [
    ("Produces orders. Owner: alice@acme.com", "alice@acme.com"),
    ("owner=bob@acme.com; team x", "bob@acme.com"),
    ("OWNER : Carol@Acme.com.", "carol@acme.com"),
    ("Ownership unclear", None),
    (None, None),
])
def test_owner_from_description(description, owner):
    assert owner_from_description(description) == owner


def test_types_from_ids():
    assert [principal_type_of(x) for x in ("sa-1", "u-2", "pool-3", "UNALLOCATED", "x", None)] == \
        ["service_account", "user", "identity_pool", "unallocated", "unknown", "unknown"]
    assert [resource_type_of(x) for x in ("lkc-1", "lcc-1", "clcc-1", "lksqlc-1", "lfcp-1", "lsrc-1", "env-1", "zz")] \
        == ["kafka_cluster", "connector", "connector", "ksqldb_cluster", "flink_compute_pool", "schema_registry",
            "environment", "unknown"]
    assert resource_type_of(None) is None
    assert is_principal_id("sa-abc12") and not is_principal_id("sa-team@x.com") and not is_principal_id("alice")


# --- one spelling per owner (issue 16) ----------------------------------------------------------------------------
from billing_portal.ownership.names import canonical_owner, normalize_owner, owner_directory  # noqa: E402

DIRECTORY = owner_directory(["rupert@company.com", "Ana@Company.com", "sam@a.io", "sam@b.io", None, "", "sa-1"])


def test_owner_directory_keeps_only_unambiguous_local_parts():
    assert DIRECTORY == {"rupert": "rupert@company.com", "ana": "ana@company.com"}


@pytest.mark.parametrize(("owner", "canonical"), [
    ("rupert", "rupert@company.com"),              # a bare name that is one known email's local part
    ("Rupert ", "rupert@company.com"),
    ("RUPERT@company.com", "rupert@company.com"),  # emails are lower-cased
    ("ana", "ana@company.com"),
    ("sam", "sam"),                                # two known sam@… → stays a name
    ("carol", "carol"),                            # no email known for carol
    ("ops team", "ops team"),
    ("unknown", None),
    ("", None),
    (None, None),
    ("sa-1", None),                                # an account id is not an owner name …
    ("u-9", "rupert@company.com"),                 # … it stands for that principal's owner
    ("pool-Ab12", None),
])
def test_canonical_owner(owner, canonical):
    assert canonical_owner(owner, DIRECTORY, {"u-9": "rupert@company.com", "sa-1": "sa-2"}) == canonical


def test_account_ids_keep_their_case():
    assert normalize_owner(" pool-Ab12 ") == "pool-Ab12" and normalize_owner("Alice") == "alice"
    assert canonical_owner("sa-1") is None and canonical_owner("rupert") == "rupert"
