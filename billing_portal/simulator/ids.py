"""Deterministic Confluent-style identifiers (``lkc-9x2kq1``, ``sa-r81m3z``, API key ids, UUIDs).

The shapes follow what Confluent Cloud shows (prefix, lowercase base-36 body; API keys are 16 uppercase
characters; identity pools mix case). Uniqueness is guaranteed within one factory.
"""

from __future__ import annotations

import uuid

import numpy as np

LOWER = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
UPPER = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
MIXED = np.array(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))


class IdFactory:
    def __init__(self, rng: np.random.Generator):
        self._rng = rng
        self._seen: set[str] = set()

    def _draw(self, prefix: str, alphabet: np.ndarray, length: int) -> str:
        while True:
            body = "".join(self._rng.choice(alphabet, size=length))
            value = f"{prefix}{body}"
            if value not in self._seen:
                self._seen.add(value)
                return value

    def make(self, prefix: str, length: int = 6) -> str:
        """``prefix-xxxxxx`` with a lowercase base-36 body (``lkc-``, ``env-``, ``sa-``, ``u-``, ``lcc-`` …)."""
        return self._draw(f"{prefix}-", LOWER, length)

    def pool(self) -> str:
        return self._draw("pool-", MIXED, 4)

    def api_key(self) -> str:
        return self._draw("", UPPER, 16)

    def uuid(self) -> str:
        return str(uuid.UUID(bytes=self._rng.bytes(16), version=4))

    def guid(self) -> str:
        return self.uuid()
