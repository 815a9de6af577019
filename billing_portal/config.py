"""Configuration contract: environment variables, also read from `.env` (documented in `.env.example`).

Every problem becomes one `ConfigError` line naming the variable; secrets are `SecretStr` and never printed.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from dotenv import load_dotenv
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from billing_portal.errors import ConfigError

DEFAULT_API_URL = "https://api.confluent.cloud"
DEFAULT_TELEMETRY_URL = "https://api.telemetry.confluent.cloud"


def default_start_date(today: dt.date | None = None) -> dt.date:
    """First day of the month eleven months back: stable within a month and inside the billing API's one-year reach."""
    today = today or dt.datetime.now(dt.UTC).date()
    month_index = today.year * 12 + (today.month - 1) - 11
    return dt.date(month_index // 12, month_index % 12 + 1, 1)


def _check_url(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"must be an http(s) URL such as https://host[:port], got {value!r}")
    return value.rstrip("/")


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    DATABASE_URL: str | None = None
    BILLING_PORTAL_HOME: Path = Path(".billing_portal")

    CCLOUD_API_KEY: SecretStr | None = None
    CCLOUD_API_SECRET: SecretStr | None = None
    CCLOUD_API_URL: str = DEFAULT_API_URL
    CCLOUD_TELEMETRY_URL: str = DEFAULT_TELEMETRY_URL
    # Retry budget of every Confluent call (429/5xx/resets/timeouts/unreadable pages): at most this many attempts
    # and this many seconds of sleeping in total, then the run fails with the last error.
    CCLOUD_HTTP_MAX_ATTEMPTS: int = Field(default=8, ge=1, le=50)
    CCLOUD_HTTP_RETRY_BUDGET_SECONDS: float = Field(default=300.0, ge=0, le=3600)
    CCLOUD_HTTP_READ_TIMEOUT_SECONDS: float = Field(default=60.0, gt=0, le=600)
    CCLOUD_BILLING_PAGE_SIZE: int = Field(default=2000, ge=1, le=10000)

    SCHEMA_REGISTRY_URL: str | None = None
    SCHEMA_REGISTRY_API_KEY: SecretStr | None = None
    SCHEMA_REGISTRY_API_SECRET: SecretStr | None = None
    # YAML: Schema Registry id (lsrc-…) or environment id (env-…) → {api_key, api_secret}, one per environment's
    # registry (the Stream Catalog is per environment); see billing_portal/confluent/registries.py.
    SCHEMA_REGISTRY_CREDENTIALS_FILE: Path | None = None

    # Flink statements (who runs what on a compute pool) come from the regional Flink SQL API with region-scoped
    # Flink API keys: a YAML file region (aws.us-east-1) → {api_key, api_secret}, and/or one key for every region
    # without an entry; the host per region from the template (see billing_portal/confluent/flink.py). Without any,
    # Flink lines go to the compute pool's owner.
    FLINK_CREDENTIALS_FILE: Path | None = None
    FLINK_API_KEY: SecretStr | None = None
    FLINK_API_SECRET: SecretStr | None = None
    FLINK_ENDPOINT_TEMPLATE: str = "https://flink.{region}.{cloud}.confluent.cloud"

    # The Metrics API keeps about 7 days: usage of a day is captured while it exists (daily, by the usage capture
    # schedule) and never replaced; older days without captured usage are allocated by the fallback ladder with
    # reason usage_expired_before_capture, or read from USAGE_PROMETHEUS_URL when set.
    METRICS_RETENTION_DAYS: int = Field(default=7, ge=1, le=365)
    # A Prometheus that scraped Confluent's /v2/metrics/cloud/export (long retention): usage history for days the
    # Metrics API no longer answers.
    USAGE_PROMETHEUS_URL: str | None = None
    # The instant the pipeline takes as "now" (replays and tests against a simulator whose clock was moved); unset,
    # the wall clock. RFC3339 with an offset, e.g. 2026-10-01T06:00:00Z.
    BILLING_PORTAL_NOW: dt.datetime | None = None

    BILLING_START_DATE: dt.date = Field(default_factory=default_start_date)
    BILLING_PORTAL_API_TOKEN: SecretStr | None = None

    BILLING_PORTAL_MAPPING_FILE: Path | None = None
    BILLING_PORTAL_ALLOCATION_FILE: Path | None = None
    RESTATEMENT_WINDOW_DAYS: int = Field(default=7, ge=0, le=60)
    # A run writing a day partition that another run is writing waits this long for it, then fails clearly.
    BILLING_PORTAL_PARTITION_LOCK_WAIT_SECONDS: float = Field(default=1800.0, ge=0, le=86400)

    # Sidecar: the Dagster webserver the collect API launches runs on, and how long /metrics keeps exposing a
    # newly published hourly sample (so every Prometheus scrape in that time can ingest it).
    DAGSTER_GRAPHQL_URL: str = "http://localhost:3000"
    BILLING_PORTAL_METRICS_EXPOSURE_HOURS: int = Field(default=24, ge=1, le=720)
    # Sidecar /metrics: monthly budgets per business unit (YAML), exposed as ccloud_budget_usd for the alert rules.
    BILLING_PORTAL_BUDGETS_FILE: Path | None = None

    @field_validator("BILLING_PORTAL_MAPPING_FILE", "BILLING_PORTAL_ALLOCATION_FILE", "BILLING_PORTAL_BUDGETS_FILE",
                     "SCHEMA_REGISTRY_CREDENTIALS_FILE", "FLINK_CREDENTIALS_FILE", mode="before")
    @classmethod
    def _optional_path(cls, v):
        return None if v in (None, "") else v

    @field_validator("FLINK_ENDPOINT_TEMPLATE")
    @classmethod
    def _flink_template(cls, v: str) -> str:
        try:
            url = v.format(cloud="aws", region="us-east-1")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may only use the placeholders {cloud} and {region}, e.g. "
                             "https://flink.{region}.{cloud}.confluent.cloud") from None
        if urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname:
            raise ValueError(f"must be an http(s) URL template such as https://flink.{{region}}.{{cloud}}.confluent."
                             f"cloud, got {v!r}")
        return v

    @field_validator("DATABASE_URL")
    @classmethod
    def _db_url(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        scheme = urlparse(v).scheme
        if scheme not in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
            raise ValueError(f"must be a postgresql:// URL, got scheme {scheme!r}")
        return v

    @field_validator("BILLING_PORTAL_NOW", mode="before")
    @classmethod
    def _now(cls, v):
        if v in (None, ""):
            return None
        if isinstance(v, str):
            try:
                t = dt.datetime.fromisoformat(v.strip().replace("Z", "+00:00"))
            except ValueError:
                raise ValueError(f"must be an RFC3339 instant such as 2026-10-01T06:00:00Z, got {v!r}") from None
            if t.tzinfo is None:
                raise ValueError(f"must carry an offset or Z, got {v!r}")
            return t.astimezone(dt.UTC)
        return v

    @field_validator("CCLOUD_API_URL", "CCLOUD_TELEMETRY_URL", "SCHEMA_REGISTRY_URL", "DAGSTER_GRAPHQL_URL",
                     "USAGE_PROMETHEUS_URL")
    @classmethod
    def _urls(cls, v: str | None, info) -> str | None:
        return _check_url(info.field_name, v)

    @field_validator("BILLING_START_DATE", mode="before")
    @classmethod
    def _start(cls, v):
        if v in (None, ""):
            return default_start_date()
        if isinstance(v, str):
            try:
                return dt.date.fromisoformat(v.strip())
            except ValueError:
                raise ValueError(f"must be a date YYYY-MM-DD, got {v!r}") from None
        return v

    @field_validator("BILLING_START_DATE")
    @classmethod
    def _start_not_future(cls, v: dt.date, info) -> dt.date:
        now = info.data.get("BILLING_PORTAL_NOW") or dt.datetime.now(dt.UTC)
        if v > now.date():
            raise ValueError(f"must not be in the future, got {v.isoformat()}")
        return v

    # --- accessors -------------------------------------------------------------------------------------------
    @property
    def home(self) -> Path:
        return self.BILLING_PORTAL_HOME.expanduser().resolve()

    def require(self, name: str) -> str:
        """The value of a variable that this command needs, or a ConfigError saying how to set it."""
        value = getattr(self, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value in (None, ""):
            raise ConfigError(f"{name} is not set: add it to the environment or to .env (see .env.example)")
        return str(value)


def setting_default(name: str):
    """A setting's default, as written once in `Settings` (for the Dagster resources' own defaults)."""
    return Settings.model_fields[name].default


def load_dotenv_file(path: Path | str = ".env") -> None:
    """Load `.env` into os.environ without overriding variables already set (so Dagster EnvVar sees them too)."""
    p = Path(path)
    if p.is_file():
        load_dotenv(p, override=False)


def _format_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = ".".join(str(x) for x in err.get("loc", ())) or "configuration"
        msg = err.get("msg", "invalid value")
        msg = msg.removeprefix("Value error, ")
        raw = err.get("input")
        if name in SECRET_NAMES:
            raw = None
        hint = f" (got {raw!r})" if isinstance(raw, str) and "got" not in msg else ""
        parts.append(f"{name}: {msg}{hint}")
    return "invalid configuration: " + "; ".join(parts)


SECRET_NAMES = {"CCLOUD_API_KEY", "CCLOUD_API_SECRET", "SCHEMA_REGISTRY_API_KEY", "SCHEMA_REGISTRY_API_SECRET",
                "BILLING_PORTAL_API_TOKEN", "DATABASE_URL"}


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read settings from `env` (default: os.environ after loading `.env`). Raises ConfigError, one line."""
    if env is None:
        load_dotenv_file()
        env = dict(os.environ)
    values = {k: v for k, v in env.items() if k in Settings.model_fields}
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(exc)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
