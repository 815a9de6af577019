"""Shared fixtures: a real PostgreSQL (DATABASE_URL, else an embedded one for the session) and a fresh, migrated
database per test that needs one."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

from billing_portal.warehouse.connection import normalize_url
from billing_portal.warehouse.migrate import migrate

# One template per test session: two sessions on one DATABASE_URL server must not drop each other's.
TEMPLATE = f"bp_test_template_{uuid.uuid4().hex[:8]}"


def _with_db(url: str, name: str) -> str:
    """Same server, another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a database on a real PostgreSQL server with rights to create databases."""
    if os.environ.get("DATABASE_URL"):
        yield normalize_url(os.environ["DATABASE_URL"])
        return
    from billing_portal.warehouse.embedded import start_embedded, stop_embedded

    home = Path(tempfile.mkdtemp(prefix="bpt", dir="/tmp"))
    url = start_embedded(home)
    yield url
    stop_embedded(home)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def _template_db(pg_server_url):
    admin = _with_db(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    migrate(_with_db(pg_server_url, TEMPLATE))
    yield TEMPLATE
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


@pytest.fixture
def database_url(pg_server_url, _template_db):
    """A fresh, migrated database for this test (dropped afterwards)."""
    name = f"bpt_{uuid.uuid4().hex[:12]}"
    admin = _with_db(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {_template_db}")
    yield _with_db(pg_server_url, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def simulated_warehouse(pg_server_url, _template_db, tmp_path_factory):
    """Session-wide, read-only: a database the real pipeline (`billing-portal materialize`) filled with the 7 days
    before today of the simulator's small organization (seed 42). Tests must not write to it; the simulator stays
    up for the session (`.simulator_url`)."""
    from billing_portal_tests.pipeline import populate

    name = f"bpt_sim_{uuid.uuid4().hex[:8]}"
    admin = _with_db(pg_server_url, "postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {_template_db}")
    with populate(_with_db(pg_server_url, name), tmp_path_factory.mktemp("simwh")) as warehouse:
        yield warehouse
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
