"""Helpers for tests and demos that drive the simulator (credentials, a fixed clock, walking pages)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

CLOUD_AUTH = ("SIMKEY", "SIMSECRET")
SR_AUTH = ("SIMSRKEY", "SIMSRSECRET")
# a fixed "now" so billing availability, the one-year limit and elapsed metric hours do not depend on the date
FIXED_NOW = datetime(2024, 6, 15, 12, 30, tzinfo=UTC)


def sr_credentials(sr_id: str, sr_api_key: str = SR_AUTH[0], sr_api_secret: str = SR_AUTH[1]) -> tuple[str, str]:
    """The key of one Schema Registry of the simulator (each registry has its own, as live)."""
    return f"{sr_api_key}-{sr_id}", f"{sr_api_secret}-{sr_id}"


def sr_credentials_file(model, sr_api_key: str = SR_AUTH[0], sr_api_secret: str = SR_AUTH[1]) -> dict:
    """The SCHEMA_REGISTRY_CREDENTIALS_FILE content for every registry of `model`."""
    return {sr.id: dict(zip(("api_key", "api_secret"), sr_credentials(sr.id, sr_api_key, sr_api_secret),
                            strict=True)) for sr in model.schema_registries}


def flink_credentials(cloud: str, region: str, api_key: str = CLOUD_AUTH[0],
                      api_secret: str = CLOUD_AUTH[1]) -> tuple[str, str]:
    """The Flink API key of one region of the simulator (a region-scoped key, `resource.kind: Region`)."""
    scope = f"{cloud.lower()}.{region}"
    return f"{api_key}-FLINK-{scope}", f"{api_secret}-FLINK-{scope}"


def flink_endpoint(base_url: str) -> str:
    """The FLINK_ENDPOINT_TEMPLATE pointing at a simulator (the regional host is a path prefix there)."""
    return base_url.rstrip("/") + "/flink/{cloud}/{region}"


def flink_credentials_file(model, api_key: str = CLOUD_AUTH[0], api_secret: str = CLOUD_AUTH[1]) -> dict:
    """The FLINK_CREDENTIALS_FILE content for every region with a compute pool of `model`."""
    out = {}
    for p in model.flink_pools:
        key, secret = flink_credentials(p.cloud, p.region, api_key, api_secret)
        out[f"{p.cloud.lower()}.{p.region}"] = {"api_key": key, "api_secret": secret}
    return out


def fixed_clock(now: datetime = FIXED_NOW) -> Callable[[], datetime]:
    return lambda: now


def parse_instant(text: str) -> datetime:
    """An RFC3339 instant with an offset or Z (`2026-10-01T06:00:00Z`) as an aware UTC datetime."""
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"not an RFC3339 instant such as 2026-10-01T06:00:00Z: {text!r}") from None
    if t.tzinfo is None:
        raise ValueError(f"the instant needs an offset or Z: {text!r}")
    return t.astimezone(UTC)


class MovableClock:
    """A clock tests move: frozen at `now` until `set()` or `advance()` (callable like the wall clock);
    `follow_wall()` makes it the wall clock from then on."""

    def __init__(self, now: datetime = FIXED_NOW):
        if now.tzinfo is None:
            raise ValueError("the clock needs an aware UTC datetime")
        self._now = now.astimezone(UTC)
        self._wall = False

    def __call__(self) -> datetime:
        return datetime.now(UTC) if self._wall else self._now

    def set(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("the clock needs an aware UTC datetime")
        self._now, self._wall = now.astimezone(UTC), False

    def advance(self, delta: timedelta) -> None:
        self._now, self._wall = self() + delta, False

    def follow_wall(self) -> None:
        self._wall = True

    @property
    def frozen(self) -> bool:
        return not self._wall


def walk_list(session: requests.Session, url: str, params: dict[str, Any] | None = None,
              auth: tuple[str, str] = CLOUD_AUTH) -> Iterator[dict[str, Any]]:
    """Yield every page of a list envelope by following ``metadata.next``."""
    response = session.get(url, params=params, auth=auth, timeout=30)
    while True:
        response.raise_for_status()
        page = response.json()
        yield page
        nxt = page.get("metadata", {}).get("next")
        if not nxt:
            return
        response = session.get(nxt, auth=auth, timeout=30)
