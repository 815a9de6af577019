"""Switchable, deterministic faults.

A fault is written KIND[:key=value[,key=value…]] — on the command line (--fault SPEC, repeatable), from
Python (handle.faults.add(SPEC)) or over HTTP (POST /_simulator/faults {"spec": SPEC}; a test-control
endpoint real clients never call). Common keys:

path=PREFIX  only requests whose path starts with PREFIX (default /; billing-only kinds default to
             /billing/v1/costs)
count=N      trigger at most N times, then the fault is spent (* = unlimited); default 1 for request
             faults, unlimited for data faults
skip=N       let the first N matching requests through untouched (e.g. skip=1 fails page 2)

Request faults (each matching request consumes one trigger; at most one applies per request, first added first):

429          answer 429 with the error envelope, Retry-After: S and the rate-limit headers showing
             remaining 0 and reset S (retry_after=S, default 1)
5xx          answer with a server error (status=500|502|503|504, default 503) in the error envelope
reset        close the connection without any response (the client sees "connection aborted")
slow         wait seconds=S (default 5) before answering normally (exercises client timeouts)
truncate     answer 200 with only the first fraction=F (default 0.5) of the JSON body
bad-json     answer 200 with an HTML error page instead of JSON (Content-Type still claims JSON)

Pagination faults:

duplicate-row  billing: the next page (a request carrying page_token) starts one row early, so the last
               row of a page is repeated as the first of the next (default count 1)
token-expiry   page tokens issued more than after=S seconds ago (default 0) are refused with
               status=400|410 (default 400) in the error envelope (default count unlimited)

Billing data faults (change what the costs endpoint serves while active; day=YYYY-MM-DD limits to one day):

bad-rows          add rows a client must quarantine: one without amount, one with an invalid date, one
                  whose amount is not a number
unknown-lines     add rows with an unknown product (QUANTUM_STREAMS/QUBIT_HOURS) and a known product
                  with an unknown line type (KAFKA/KAFKA_HYPER_TIER)
negative-amounts  add negative rows on a Kafka cluster (an outage credit; a discount larger than the charge)
restate           serve day= (required) as restated variant variant=N (default 1): the same day, a
                  different bill; remove the fault to go back to the original
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

REQUEST_KINDS = ("429", "5xx", "reset", "slow", "truncate", "bad-json")
PAGINATION_KINDS = ("duplicate-row", "token-expiry")
DATA_KINDS = ("bad-rows", "unknown-lines", "negative-amounts", "restate")
KINDS = REQUEST_KINDS + PAGINATION_KINDS + DATA_KINDS
ALIASES = {"rate-limit": "429", "error": "5xx", "500": "5xx", "502": "5xx", "503": "5xx", "504": "5xx",
           "invalid-json": "bad-json", "timeout": "slow", "drop": "reset"}
BILLING_PATH = "/billing/v1/costs"

_PARAMS: dict[str, dict[str, type]] = {
    "429": {"retry_after": int},
    "5xx": {"status": int},
    "reset": {},
    "slow": {"seconds": float},
    "truncate": {"fraction": float},
    "bad-json": {},
    "duplicate-row": {},
    "token-expiry": {"after": float, "status": int},
    "bad-rows": {"day": date},
    "unknown-lines": {"day": date},
    "negative-amounts": {"day": date},
    "restate": {"day": date, "variant": int},
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "429": {"retry_after": 1},
    "5xx": {"status": 503},
    "slow": {"seconds": 5.0},
    "truncate": {"fraction": 0.5},
    "token-expiry": {"after": 0.0, "status": 400},
    "restate": {"variant": 1},
}


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed; the message says what is wrong and what is allowed."""


@dataclass
class Fault:
    id: int
    kind: str
    path: str
    count: int | None  # remaining triggers; None = unlimited
    skip: int
    params: dict[str, Any]
    spec: str
    triggered: int = 0
    _seen: int = field(default=0, repr=False)

    def as_dict(self) -> dict[str, Any]:
        params = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.params.items()}
        return {"id": self.id, "kind": self.kind, "path": self.path, "remaining": self.count, "skip": self.skip,
                "params": params, "spec": self.spec, "triggered": self.triggered}


def parse_fault(spec: str, fault_id: int = 0) -> Fault:
    text = spec.strip()
    kind_text, _, rest = text.partition(":")
    kind = ALIASES.get(kind_text.strip().lower(), kind_text.strip().lower())
    if kind not in _PARAMS:
        raise FaultSpecError(f"unknown fault kind {kind_text!r} in {spec!r}; known kinds: {', '.join(KINDS)}")
    params: dict[str, Any] = dict(_DEFAULTS.get(kind, {}))
    if kind_text.strip() in ("500", "502", "503", "504"):
        params["status"] = int(kind_text)
    path = BILLING_PATH if kind in DATA_KINDS or kind == "duplicate-row" else "/"
    count: int | None = None if kind in DATA_KINDS or kind == "token-expiry" else 1
    skip = 0
    for item in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = item.partition("=")
        key, value = key.strip().replace("-", "_"), value.strip()
        if not sep:
            raise FaultSpecError(f"expected key=value, got {item!r} in fault {spec!r}")
        try:
            if key == "path":
                if not value.startswith("/"):
                    raise ValueError("must start with /")
                path = value
            elif key == "count":
                count = None if value in ("*", "inf", "unlimited") else int(value)
                if count is not None and count < 1:
                    raise ValueError("must be >= 1 or *")
            elif key == "skip":
                skip = int(value)
                if skip < 0:
                    raise ValueError("must be >= 0")
            elif key in _PARAMS[kind]:
                typ = _PARAMS[kind][key]
                params[key] = date.fromisoformat(value) if typ is date else typ(value)
            else:
                allowed = ", ".join(["path", "count", "skip", *_PARAMS[kind]])
                raise FaultSpecError(f"fault {kind!r} has no parameter {key!r}; allowed: {allowed}")
        except FaultSpecError:
            raise
        except ValueError as exc:
            raise FaultSpecError(f"bad value for {key!r} in fault {spec!r}: {exc}") from None
    if kind == "5xx" and not 500 <= params["status"] <= 599:
        raise FaultSpecError(f"fault 5xx needs a status between 500 and 599, got {params['status']}")
    if kind == "token-expiry" and params["status"] not in (400, 410):
        raise FaultSpecError("fault token-expiry answers with status 400 or 410")
    if kind == "truncate" and not 0 <= params["fraction"] < 1:
        raise FaultSpecError("fault truncate needs 0 <= fraction < 1")
    if kind == "restate" and "day" not in params:
        raise FaultSpecError("fault restate needs day=YYYY-MM-DD")
    return Fault(id=fault_id, kind=kind, path=path, count=count, skip=skip, params=params, spec=text)


class FaultSet:
    """The active faults of one simulator (thread-safe)."""

    def __init__(self, specs: list[str] | tuple[str, ...] = ()):
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._faults: list[Fault] = []
        for s in specs:
            self.add(s)

    def add(self, spec: str) -> Fault:
        fault = parse_fault(spec, next(self._ids))
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault | int) -> bool:
        fid = fault.id if isinstance(fault, Fault) else int(fault)
        with self._lock:
            before = len(self._faults)
            self._faults = [f for f in self._faults if f.id != fid]
            return len(self._faults) != before

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.count is None or f.count > 0]

    def __len__(self) -> int:
        return len(self.active())

    def take(self, kinds: tuple[str, ...], path: str) -> Fault | None:
        """Consume one trigger of the first active fault of ``kinds`` matching ``path`` (honouring ``skip``)."""
        with self._lock:
            for f in self._faults:
                if f.kind not in kinds or not path.startswith(f.path) or (f.count is not None and f.count <= 0):
                    continue
                f._seen += 1
                if f._seen <= f.skip:
                    continue
                if f.count is not None:
                    f.count -= 1
                f.triggered += 1
                return f
            return None

    def matching(self, kind: str, path: str) -> list[Fault]:
        """Active faults of ``kind`` matching ``path``, without consuming them (data faults)."""
        with self._lock:
            return [f for f in self._faults
                    if f.kind == kind and path.startswith(f.path) and (f.count is None or f.count > 0)]

    def restate_variant(self, day: date, path: str = BILLING_PATH) -> int:
        variant = 0
        for f in self.matching("restate", path):
            if f.params["day"] == day:
                variant = int(f.params["variant"])
        return variant
