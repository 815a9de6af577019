"""Everything one running simulator shares between request threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from billing_portal.simulator.cache import ComputeOnceCache
from billing_portal.simulator.config import SimulatorConfig
from billing_portal.simulator.faults import FaultSet
from billing_portal.simulator.model import OrgModel, build_model
from billing_portal.simulator.wire.ratelimit import RateLimiter


class TokenLedger:
    """When each page token was last handed out (for the ``token-expiry`` fault)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def issued(self, token: str) -> None:
        with self._lock:
            self._issued[token] = self._clock()
            if len(self._issued) > 100_000:
                self._issued.clear()

    def age(self, token: str) -> float | None:
        with self._lock:
            at = self._issued.get(token)
        return None if at is None else self._clock() - at


class SimulatorState:
    def __init__(self, config: SimulatorConfig, model: OrgModel | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.config = config
        self.model = model or build_model(config.seed, config.scale)
        self.faults = FaultSet(config.faults)
        self.limiter = RateLimiter({"api": config.api_rate_limit, "telemetry": config.telemetry_rate_limit})
        self.tokens = TokenLedger()
        self.clock = clock or (lambda: datetime.now(UTC))
        self.stop_event = threading.Event()
        self.metrics_cache: ComputeOnceCache = ComputeOnceCache(16)  # evaluated queries, for their next pages
