"""Which Schema Registry catalogs to crawl, with which key.

The Stream Catalog is per environment: each environment's Schema Registry (`srcm/v3` objects, observed with the core
objects) serves its own catalog at its `catalog_http_endpoint` and needs its own Schema-Registry-scoped key. Keys
come from `SCHEMA_REGISTRY_CREDENTIALS_FILE`, a YAML mapping the registry id (or the environment id) to its key:

    lsrc-abc12: {api_key: ABCDEFGHIJKLMNOP, api_secret: "…"}
    env-xyz89: {api_key: …, api_secret: …}     # the registry of that environment

The single `SCHEMA_REGISTRY_URL` / `_API_KEY` / `_API_SECRET` keep working for a one-registry org: they serve the
registry whose endpoint is that URL (or the only registry); without a credentials file, a URL that matches no
discovered registry is crawled as given. A registry without a key is skipped and reported, never a failed run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from billing_portal.confluent.keyfile import ApiKey, load_key_file

RegistryKey = ApiKey


def load_credentials(path: str | Path | None) -> dict[str, RegistryKey]:
    """The credentials file as {lsrc-… or env-…: key}; a bad file is one ConfigError line (no secret in it)."""
    return load_key_file(path, "SCHEMA_REGISTRY_CREDENTIALS_FILE",
                         scope="a Schema Registry id (lsrc-…) or an environment id (env-…)",
                         scopes="registry ids (lsrc-…) or environment ids (env-…)",
                         scope_of=lambda k: k if k.startswith(("lsrc-", "env-")) else None)


@dataclass(frozen=True)
class Target:
    """One catalog to crawl. `sr_id` is None for a configured URL that matches no discovered registry."""

    sr_id: str | None
    env_id: str | None
    url: str
    api_key: str
    api_secret: str
    source: str = "SCHEMA_REGISTRY_CREDENTIALS_FILE"  # or SCHEMA_REGISTRY_API_KEY (the single key)

    def __repr__(self) -> str:  # never the secret
        return f"Target(sr_id={self.sr_id!r}, env_id={self.env_id!r}, url={self.url!r})"


@dataclass(frozen=True)
class Skipped:
    sr_id: str | None
    env_id: str | None
    reason: str

    def as_dict(self) -> dict[str, str | None]:
        return {"sr_id": self.sr_id, "env_id": self.env_id, "reason": self.reason}


def _norm(url: str | None) -> str:
    return (url or "").strip().rstrip("/").lower()


def plan_catalogs(registries: pd.DataFrame, credentials: dict[str, RegistryKey], url: str | None,
                  api_key: str | None, api_secret: str | None) -> tuple[list[Target], list[Skipped]]:
    """Targets and skipped registries for the discovered `registries` (columns sr_id, env_id, http_endpoint,
    catalog_http_endpoint)."""
    targets, skipped = [], []
    single = bool(url and api_key and api_secret)
    rows = [r for r in registries.to_dict("records") if r.get("sr_id")] if len(registries) else []
    matched_single = False
    for r in rows:
        sr_id, env_id = r["sr_id"], r.get("env_id")
        endpoint = r.get("catalog_http_endpoint") or r.get("http_endpoint")
        key = credentials.get(sr_id) or (credentials.get(env_id) if env_id else None)
        if key is not None and endpoint:
            targets.append(Target(sr_id, env_id, str(endpoint).rstrip("/"), key.api_key.get_secret_value(),
                                  key.api_secret.get_secret_value()))
        elif single and (_norm(url) in (_norm(r.get("catalog_http_endpoint")), _norm(r.get("http_endpoint")))
                         or (len(rows) == 1 and not credentials)):
            matched_single = True
            targets.append(Target(sr_id, env_id, url.rstrip("/"), api_key, api_secret, "SCHEMA_REGISTRY_API_KEY"))
        elif not endpoint:
            skipped.append(Skipped(sr_id, env_id, "the registry has no catalog endpoint"))
        else:
            skipped.append(Skipped(sr_id, env_id, f"no key: add {sr_id}: {{api_key, api_secret}} to "
                                                  "SCHEMA_REGISTRY_CREDENTIALS_FILE"))
    if single and not matched_single and not credentials:
        # no registry discovered with that endpoint (objects not observed yet, or another host name): as configured
        targets.append(Target(None, None, url.rstrip("/"), api_key, api_secret, "SCHEMA_REGISTRY_API_KEY"))
    return targets, skipped
