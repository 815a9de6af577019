"""Opaque page tokens.

Tokens are base64url of a small JSON document (the offset and a digest of the query they belong to). They are
deterministic — the same page of the same query always gets the same token — so responses stay byte-identical;
``app.TokenLedger`` remembers when each token was issued to implement the ``token-expiry`` fault.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

import orjson


def digest(*parts: object) -> str:
    return hashlib.sha1("|".join(map(str, parts)).encode()).hexdigest()[:12]


def encode(offset: int, query_digest: str) -> str:
    raw = orjson.dumps({"o": offset, "q": query_digest})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str, query_digest: str) -> int | None:
    """The offset the token points at, or None when the token is malformed or belongs to another query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = orjson.loads(raw)
        offset = doc["o"]
        if not isinstance(offset, int) or offset < 0 or doc.get("q") != query_digest:
            return None
        return offset
    except (binascii.Error, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
