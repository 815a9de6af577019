"""Test-control endpoints under ``/_simulator/`` (no auth; real clients never call them).

``GET /_simulator/health`` · ``GET /_simulator/faults`` · ``POST /_simulator/faults`` with ``{"spec": "KIND:…"}``
(201 with the fault; 400 ``{"error": …}`` for a bad spec) · ``DELETE /_simulator/faults`` (all) ·
``DELETE /_simulator/faults/{id}``.
"""

from __future__ import annotations

import orjson

from billing_portal.simulator.faults import FaultSpecError
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import Reply, json_reply


def health(ctx: RequestContext) -> Reply:
    cfg = ctx.state.config
    return json_reply({"status": "ok", "seed": cfg.seed, "scale": cfg.scale, "flavor": cfg.flavor,
                       "billing_lag_hours": cfg.billing_lag_hours,
                       "faults": [f.as_dict() for f in ctx.state.faults.active()]})


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
    ("GET", "/_simulator/faults", list_faults),
    ("POST", "/_simulator/faults", add_fault),
    ("DELETE", "/_simulator/faults", clear_faults),
    ("DELETE", "/_simulator/faults/<int:fault_id>", remove_fault),
]
