"""API-key files: a YAML mapping of scope ids (a Schema Registry or environment id, a Flink region, …) to
`{api_key, api_secret}`. One loader for every such file (SCHEMA_REGISTRY_CREDENTIALS_FILE, FLINK_CREDENTIALS_FILE):
a bad file is one ConfigError line naming the variable and the file, never a secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from billing_portal.errors import ConfigError


class ApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    api_key: SecretStr
    api_secret: SecretStr


def load_key_file(path: str | Path | None, variable: str, *, scope: str, scopes: str,
                  scope_of: Callable[[str], str | None]) -> dict[str, ApiKey]:
    """{scope: key} from the file at `path` (None or empty: {}). `scope_of` normalizes a key of the file and
    returns None when it is not a valid scope; `scope` / `scopes` describe a valid one / the valid ones."""
    if not path:
        return {}
    p = Path(path).expanduser()
    where = f"{variable} {p}"
    try:
        doc = yaml.safe_load(p.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{where}: not readable YAML ({type(exc).__name__})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{where}: expected a mapping of {scopes} to {{api_key, api_secret}}")
    out = {}
    for raw, value in doc.items():
        name = scope_of(str(raw).strip())
        if name is None:
            raise ConfigError(f"{where}: {str(raw).strip()!r} is not {scope}")
        try:
            out[name] = ApiKey.model_validate(value)
        except ValidationError as exc:
            fields = sorted({".".join(str(x) for x in e["loc"]) or "value" for e in exc.errors()})
            raise ConfigError(f"{where}: entry {name} needs exactly api_key and api_secret (problem with "
                              f"{', '.join(fields)})") from None
    return out
