"""The ownership mapping file: explicit owner, team, business unit, business product and cost center per principal,
per resource and per owner, plus the catalog tag conventions. Documented in docs/ALLOCATION.md; a sample lives next
to this module (`example_mapping.yaml`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from billing_portal.ownership.names import normalize_owner
from billing_portal.ownership.yamlfile import load_yaml_model

ATTRIBUTES = ("owner", "team", "business_unit", "business_product", "cost_center")
BUSINESS_ATTRIBUTES = ATTRIBUTES[1:]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)


def _blank_to_none(v):
    if isinstance(v, str) and not v.strip():
        return None
    return v.strip() if isinstance(v, str) else v


class OwnerAttributes(_Strict):
    """What is known about an owner (a person or a team address): applies to everything that owner owns."""

    team: str | None = None
    business_unit: str | None = None
    business_product: str | None = None
    cost_center: str | None = None

    _clean = field_validator("*", mode="before")(classmethod(lambda cls, v: _blank_to_none(v)))


class Attributes(OwnerAttributes):
    """Explicit attributes of one principal."""

    owner: str | None = None

    @field_validator("owner")
    @classmethod
    def _owner(cls, v: str | None) -> str | None:
        return normalize_owner(v)


class ResourceAttributes(Attributes):
    """Explicit attributes of one resource. `principal_id` names the principal charged when the resource's cost
    falls to its owner (default: the owner itself when it is a principal id or a user's email)."""

    principal_id: str | None = None


class TagConventions(_Strict):
    """Catalog tag prefixes read as attributes: tag `team_payments` → team `payments`. Longest prefix wins."""

    owner: tuple[str, ...] = ()
    team: tuple[str, ...] = ("team_",)
    business_unit: tuple[str, ...] = ("bu_", "business_unit_")
    business_product: tuple[str, ...] = ("product_",)
    cost_center: tuple[str, ...] = ("cost_center_",)

    def prefixes(self) -> list[tuple[str, str]]:
        """(lower-cased prefix, attribute), longest prefix first."""
        pairs = [(p.lower(), attr) for attr in ATTRIBUTES for p in getattr(self, attr) if p]
        return sorted(pairs, key=lambda x: -len(x[0]))


class BusinessMetadataAttributes(_Strict):
    """Business-metadata attribute names read as attributes (any business-metadata type)."""

    owner: tuple[str, ...] = ("owner",)
    team: tuple[str, ...] = ("team",)
    business_unit: tuple[str, ...] = ("business_unit",)
    business_product: tuple[str, ...] = ("business_product",)
    cost_center: tuple[str, ...] = ("cost_center",)

    def names(self) -> dict[str, str]:
        """lower-cased attribute name → our attribute."""
        return {n.lower(): attr for attr in ATTRIBUTES for n in getattr(self, attr)}


class TopicRule(Attributes):
    """Attributes for the topics whose name matches `match` (a glob, `orders.*`) or `regex` (a full match), on the
    clusters matching `cluster` (a glob; default every cluster). The first matching rule of the list wins; a
    topic's own catalog tags and business metadata come first."""

    match: str | None = None
    regex: str | None = None
    cluster: str = "*"

    @field_validator("regex")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            import re

            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return v

    def matches(self, cluster_id: str, topic: str) -> bool:
        import fnmatch
        import re

        if not fnmatch.fnmatchcase(cluster_id or "", self.cluster):
            return False
        if self.regex is not None:
            return re.fullmatch(self.regex, topic) is not None
        return self.match is not None and fnmatch.fnmatchcase(topic, self.match)


class OwnershipMapping(_Strict):
    """The whole mapping file. Every section is optional; an empty mapping means "catalog and names only"."""

    version: int = Field(default=1, ge=1, le=1)
    principals: dict[str, Attributes] = Field(default_factory=dict)
    resources: dict[str, ResourceAttributes] = Field(default_factory=dict)
    owners: dict[str, OwnerAttributes] = Field(default_factory=dict)
    topics: tuple[TopicRule, ...] = ()
    tag_conventions: TagConventions = Field(default_factory=TagConventions)
    business_metadata_attributes: BusinessMetadataAttributes = Field(default_factory=BusinessMetadataAttributes)

    @field_validator("principals", "resources")
    @classmethod
    def _strip_ids(cls, v: dict) -> dict:
        return {str(k).strip(): a for k, a in v.items()}

    @field_validator("owners")
    @classmethod
    def _normalize_owners(cls, v: dict) -> dict:
        return {normalize_owner(str(k)): a for k, a in v.items() if normalize_owner(str(k))}

    def owner_attributes(self, owner: str | None) -> OwnerAttributes | None:
        """The `owners:` entry for `owner`: exact (case-insensitive) match, else the local part of an email."""
        o = normalize_owner(owner)
        if not o:
            return None
        hit = self.owners.get(o)
        if hit is None and "@" in o:
            hit = self.owners.get(o.split("@", 1)[0])
        return hit


def load_mapping(path: str | Path | None) -> OwnershipMapping:
    """The mapping file at `path`; None → an empty mapping. Malformed → ConfigError (one line: file, line, key)."""
    if path is None or str(path).strip() == "":
        return OwnershipMapping()
    return load_yaml_model(path, OwnershipMapping, "mapping file")
