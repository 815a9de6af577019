"""Running the simulator: a real threaded HTTP server (werkzeug's ``ThreadedWSGIServer``, one thread per
connection, so slow-response faults never starve other requests) in the background or in the foreground.

Python API::

    with start_simulator(port=0, seed=7, scale="small") as sim:
        sim.url            # "http://127.0.0.1:54321"
        sim.model          # ground truth (billing_portal.simulator.model.OrgModel)
        sim.faults.add("429:path=/billing,count=3")
        sim.requests       # [(method, path?query, status), …] as served (0 = connection dropped)

Why werkzeug rather than waitress: the ``reset`` fault must close a connection without answering, which needs the
request's socket; werkzeug documents it as ``environ["werkzeug.socket"]``. Its server closes every connection
after one response (``Connection: close``), which clients handle transparently.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler, make_server

from billing_portal.simulator.app import SimulatorApp
from billing_portal.simulator.config import (
    LIVE_BILLING_LAG_HOURS,
    LIVE_METRICS_RETENTION_DAYS,
    RestrictedKey,
    SimulatorConfig,
)
from billing_portal.simulator.faults import FaultSet
from billing_portal.simulator.model import OrgModel
from billing_portal.simulator.state import SimulatorState

log = logging.getLogger("billing_portal.simulator")


class _QuietHandler(WSGIRequestHandler):
    def version_string(self) -> str:
        return "ccloud-simulator"

    def log_request(self, code="-", size="-") -> None:  # the app logs requests at DEBUG
        pass

    def log(self, type: str, message: str, *args) -> None:
        log.debug("http %s: " + message, type, *args)


def _make_server(app: SimulatorApp, host: str, port: int) -> ThreadedWSGIServer:
    server = make_server(host, port, app, threaded=True, request_handler=_QuietHandler)
    server.daemon_threads = True
    return server


class SimulatorHandle:
    """A simulator serving in a background thread."""

    def __init__(self, state: SimulatorState, server: ThreadedWSGIServer, app: SimulatorApp):
        self.state = state
        self.app = app
        self._server = server
        self.host = server.server_address[0]
        self.port = server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"ccloud-simulator-{self.port}", daemon=True)
        self._thread.start()
        self._stopped = False

    @property
    def model(self) -> OrgModel:
        return self.state.model

    @property
    def faults(self) -> FaultSet:
        return self.state.faults

    @property
    def config(self) -> SimulatorConfig:
        return self.state.config

    @property
    def requests(self) -> list[tuple[str, str, int]]:
        return self.app.recorded_requests()

    def clear_requests(self) -> None:
        self.app.recorded_requests(clear=True)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.state.stop_event.set()  # wake requests sleeping in a slow fault
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"SimulatorHandle(url={self.url!r}, seed={self.config.seed}, scale={self.config.scale!r})"


def make_config(*, seed: int = 42, scale: str = "small", api_key: str = "SIMKEY", api_secret: str = "SIMSECRET",
                sr_api_key: str = "SIMSRKEY", sr_api_secret: str = "SIMSRSECRET",
                restricted_keys: tuple[str | RestrictedKey, ...] = (), faults: tuple[str, ...] | list[str] = (),
                billing_lag_hours: float = LIVE_BILLING_LAG_HOURS, flavor: str = "live", public_url: str | None = None,
                api_rate_limit: int | None = None, telemetry_rate_limit: int | None = None,
                metrics_retention_days: int = LIVE_METRICS_RETENTION_DAYS,
                billing_model: str = "ecku") -> SimulatorConfig:
    return SimulatorConfig(
        seed=seed, scale=scale, api_key=api_key, api_secret=api_secret, sr_api_key=sr_api_key,
        sr_api_secret=sr_api_secret,
        restricted_keys=tuple(k if isinstance(k, RestrictedKey) else RestrictedKey.parse(k) for k in restricted_keys),
        billing_lag_hours=billing_lag_hours, flavor=flavor, public_url=public_url, faults=tuple(faults),
        api_rate_limit=api_rate_limit, telemetry_rate_limit=telemetry_rate_limit,
        metrics_retention_days=metrics_retention_days, billing_model=billing_model)


def start_simulator(port: int = 0, host: str = "127.0.0.1", *, seed: int = 42, scale: str = "small",
                    api_key: str = "SIMKEY", api_secret: str = "SIMSECRET", sr_api_key: str = "SIMSRKEY",
                    sr_api_secret: str = "SIMSRSECRET", restricted_keys: tuple[str | RestrictedKey, ...] = (),
                    faults: tuple[str, ...] | list[str] = (), billing_lag_hours: float = LIVE_BILLING_LAG_HOURS,
                    flavor: str = "live", public_url: str | None = None, api_rate_limit: int | None = None,
                    telemetry_rate_limit: int | None = None, clock: Callable[[], datetime] | None = None,
                    model: OrgModel | None = None,
                    metrics_retention_days: int = LIVE_METRICS_RETENTION_DAYS,
                    billing_model: str = "ecku") -> SimulatorHandle:
    """Start a simulator in a background thread (``port=0``: a free port) and return its handle.

    Defaults are the live API's: bills published 72 h after the day (``billing_lag_hours``), metrics kept 7 days
    (``metrics_retention_days``; 0 keeps them forever). ``clock`` (a callable returning an aware UTC datetime, e.g.
    ``testing.MovableClock``) replaces the wall clock for billing availability, the one-year limit, metrics
    retention and "elapsed hours", and the org's timeline (which objects exist); ``model`` reuses an already
    generated model (must match seed and scale)."""
    config = make_config(seed=seed, scale=scale, api_key=api_key, api_secret=api_secret, sr_api_key=sr_api_key,
                         sr_api_secret=sr_api_secret, restricted_keys=restricted_keys, faults=faults,
                         billing_lag_hours=billing_lag_hours, flavor=flavor, public_url=public_url,
                         api_rate_limit=api_rate_limit, telemetry_rate_limit=telemetry_rate_limit,
                         metrics_retention_days=metrics_retention_days, billing_model=billing_model)
    state = SimulatorState(config, model=model, clock=clock)
    app = SimulatorApp(state)
    return SimulatorHandle(state, _make_server(app, host, port), app)


def serve_forever(config: SimulatorConfig, host: str = "127.0.0.1", port: int = 8080,
                  on_ready: Callable[[str, SimulatorState], None] | None = None,
                  clock: Callable[[], datetime] | None = None) -> None:
    """Serve in the foreground until Ctrl-C or SIGTERM, then shut down cleanly."""
    state = SimulatorState(config, clock=clock)
    app = SimulatorApp(state)
    server = _make_server(app, host, port)
    url = f"http://{server.server_address[0]}:{server.server_port}"

    def _terminate(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        if on_ready is not None:
            on_ready(url, state)
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        state.stop_event.set()
        server.server_close()
        signal.signal(signal.SIGTERM, previous)
        log.info("simulator on %s stopped", url)
