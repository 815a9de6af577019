"""Fixtures shared by integration test modules."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.factories import (
    API_TOKEN,
    LiveServer,
    StandInLauncher,
    module_database,
    sidecar_app,
    write_days,
)


@pytest.fixture
def sim():
    """A small simulated organization (seed 11) for one test; modules may define their own `sim`."""
    handle = start_simulator(seed=11, scale="small")
    yield handle
    handle.stop()


@pytest.fixture(scope="module")
def server(pg_server_url, _template_db):
    """Per module: a live sidecar (waitress) on 3 seeded days from 2024-01-10, collect API behind `API_TOKEN` with a
    stand-in Dagster launcher (fuzzing never launches real runs); `.url`, `.database_url`."""
    gen = module_database(pg_server_url, _template_db)
    url = next(gen)
    write_days(url, dt.date(2024, 1, 10), 3)
    app = sidecar_app(url, BILLING_PORTAL_API_TOKEN=API_TOKEN, BILLING_START_DATE="2024-01-01")
    app.extensions["dagster"] = StandInLauncher()
    with LiveServer(app) as srv:
        srv.database_url = url
        yield srv
    gen.close()
