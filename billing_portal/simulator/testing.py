"""Helpers for tests and demos that drive the simulator (credentials, a fixed clock, walking pages)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import requests

CLOUD_AUTH = ("SIMKEY", "SIMSECRET")
SR_AUTH = ("SIMSRKEY", "SIMSRSECRET")
# a fixed "now" so billing availability, the one-year limit and elapsed metric hours do not depend on the date
FIXED_NOW = datetime(2024, 6, 15, 12, 30, tzinfo=UTC)


def fixed_clock(now: datetime = FIXED_NOW) -> Callable[[], datetime]:
    return lambda: now


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
