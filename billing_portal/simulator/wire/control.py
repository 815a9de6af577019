"""Test-control endpoints under ``/_simulator/`` (no auth; real clients never call them).

``GET /_simulator/health`` · ``GET /_simulator/faults`` · ``POST /_simulator/faults`` with ``{"spec": "KIND:…"}``
(201 with the fault; 400 ``{"error": …}`` for a bad spec) · ``DELETE /_simulator/faults`` (all) ·
``DELETE /_simulator/faults/{id}`` · ``GET /_simulator/clock`` · ``PUT /_simulator/clock`` with ``{"now": RFC3339}``
or ``{"advance_seconds": N}`` or ``{"wall": true}`` (follow the wall clock from now on) — a simulator started with a
movable clock, e.g. ``simulate --clock …``; 409 with the wall clock.
"""

from __future__ import annotations

from datetime import timedelta

import orjson

from billing_portal.simulator.faults import FaultSpecError
from billing_portal.simulator.testing import MovableClock, parse_instant
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import Reply, json_reply


def health(ctx: RequestContext) -> Reply:
    cfg = ctx.state.config
    return json_reply({"status": "ok", "seed": cfg.seed, "scale": cfg.scale, "flavor": cfg.flavor,
                       "billing_lag_hours": cfg.billing_lag_hours,
                       "metrics_retention_days": cfg.metrics_retention_days,
                       "now": ctx.state.clock().isoformat().replace("+00:00", "Z"),
                       "faults": [f.as_dict() for f in ctx.state.faults.active()]})


def get_clock(ctx: RequestContext) -> Reply:
    clock = ctx.state.clock
    return json_reply({"now": ctx.state.clock().isoformat().replace("+00:00", "Z"),
                       "movable": isinstance(clock, MovableClock),
                       "frozen": isinstance(clock, MovableClock) and clock.frozen})


def put_clock(ctx: RequestContext) -> Reply:
    clock = ctx.state.clock
    if not isinstance(clock, MovableClock):
        return json_reply({"error": "this simulator runs on the wall clock: start it with --clock to move it"}, 409)
    try:
        body = orjson.loads(ctx.request.get_data() or b"{}")
        if body.get("wall") is True:
            clock.follow_wall()
        elif "now" in body:
            clock.set(parse_instant(str(body["now"])))
        elif "advance_seconds" in body:
            clock.advance(timedelta(seconds=float(body["advance_seconds"])))
        else:
            raise ValueError('body must be {"now": RFC3339}, {"advance_seconds": N} or {"wall": true}')
    except (orjson.JSONDecodeError, TypeError, AttributeError) as exc:
        return json_reply({"error": f'body must be {{"now": RFC3339}} or {{"advance_seconds": N}}: {exc}'}, 400)
    except ValueError as exc:
        return json_reply({"error": str(exc)}, 400)
    return get_clock(ctx)


def list_faults(ctx: RequestContext) -> Reply:
    return json_reply({"faults": [f.as_dict() for f in ctx.state.faults.active()]})


def add_fault(ctx: RequestContext) -> Reply:
    try:
        body = orjson.loads(ctx.request.get_data() or b"{}")
        spec = body["spec"]
        if not isinstance(spec, str):
            raise TypeError
    except (orjson.JSONDecodeError, KeyError, TypeError):
        return json_reply({"error": 'body must be {"spec": "KIND[:key=value,…]"}'}, 400)
    try:
        fault = ctx.state.faults.add(spec)
    except FaultSpecError as exc:
        return json_reply({"error": str(exc)}, 400)
    return json_reply({"fault": fault.as_dict()}, 201)


def clear_faults(ctx: RequestContext) -> Reply:
    removed = len(ctx.state.faults.active())
    ctx.state.faults.clear()
    return json_reply({"removed": removed})


def remove_fault(ctx: RequestContext, fault_id: int) -> Reply:
    if ctx.state.faults.remove(fault_id):
        return json_reply({"removed": 1})
    return json_reply({"error": f"no fault {fault_id}"}, 404)


ROUTES = [
    ("GET", "/_simulator/health", health),
    ("GET", "/_simulator/clock", get_clock),
    ("PUT", "/_simulator/clock", put_clock),
    ("GET", "/_simulator/faults", list_faults),
    ("POST", "/_simulator/faults", add_fault),
    ("DELETE", "/_simulator/faults", clear_faults),
    ("DELETE", "/_simulator/faults/<int:fault_id>", remove_fault),
]
