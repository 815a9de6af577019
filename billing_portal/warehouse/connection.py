"""Connections to the warehouse (psycopg 3), with one-line errors that never print the password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import psycopg

from billing_portal.errors import DatabaseError


def normalize_url(url: str) -> str:
    """Accept SQLAlchemy-style schemes (postgresql+psycopg://) and give psycopg a libpq URL."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


def describe_url(url: str) -> str:
    """host:port/db (or the socket dir) without user or password, for messages."""
    p = urlparse(url)
    host = p.hostname or ""
    if not host:
        m = re.search(r"host=([^&]+)", p.query or "")
        host = m.group(1) if m else "localhost"
    port = f":{p.port}" if p.port else ""
    return f"{host}{port}{p.path or ''}"


def resolve_database_url(settings=None) -> str:
    """DATABASE_URL when set, else the embedded server's URL (started if needed)."""
    if settings is None:
        from billing_portal.config import get_settings

        settings = get_settings()
    if settings.DATABASE_URL:
        return normalize_url(settings.DATABASE_URL)
    from billing_portal.warehouse.embedded import start_embedded

    return start_embedded(settings.home)


def connect(url: str, *, autocommit: bool = False, application_name: str = "billing_portal") -> psycopg.Connection:
    try:
        return psycopg.connect(normalize_url(url), autocommit=autocommit, application_name=application_name,
                               connect_timeout=10)
    except psycopg.OperationalError as exc:
        lines = [" ".join(line.split()) for line in str(exc).strip().splitlines() if line.strip()]
        reason = "; ".join(line.removeprefix("connection failed: ") for line in lines) or type(exc).__name__
        reason = re.sub(r"password=\S+", "password=***", reason)
        raise DatabaseError(f"cannot connect to the database at {describe_url(url)}: {reason}") from None


@contextmanager
def transaction(url: str) -> Iterator[psycopg.Connection]:
    """A connection inside one transaction: committed on success, rolled back on any error."""
    conn = connect(url)
    try:
        with conn.transaction():
            yield conn
    finally:
        conn.close()
