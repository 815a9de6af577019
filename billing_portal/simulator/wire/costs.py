"""Billing: ``GET /billing/v1/costs?start_date&end_date&page_size&page_token``.

Faithful: ``start_date`` inclusive and ``end_date`` exclusive (``YYYY-MM-DD``), start strictly before end, a window
of at most 31 days (400 "end date and start date are too far apart"), a start at most one year back (400 "start
date is too far in the past"); ``page_size`` default 5000, max 10000; the ``CostList`` envelope whose
``metadata.next`` is a full URL carrying the original dates and a ``page_token``; ``api_version`` "v1" (live
flavor) or "billing/v1" (spec flavor). In the live flavor the last page's ``metadata`` is ``{}``.
Billing delay: a day whose end is less than ``billing_lag_hours`` ago has no rows yet (and days that have not
ended never do). Rows are ordered by day, then as ``billing.py`` lists them.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from billing_portal.simulator import fault_rows
from billing_portal.simulator.billing import api_version
from billing_portal.simulator.faults import BILLING_PATH
from billing_portal.simulator.wire import pagination, tokens
from billing_portal.simulator.wire.context import RequestContext
from billing_portal.simulator.wire.envelopes import Reply, bad_request, json_reply

DEFAULT_PAGE_SIZE = 5000
MAX_PAGE_SIZE = 10000
MAX_WINDOW_DAYS = 31
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date_param(ctx: RequestContext, name: str) -> date:
    raw = ctx.request.args.get(name)
    if not raw:
        raise bad_request(f"{name} is required", name, code="invalid_parameter")
    try:
        if not _DATE.match(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name} must be a date in YYYY-MM-DD format, got {raw!r}", name,
                          code="invalid_parameter") from None


def _one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def available(ctx: RequestContext, day: date) -> bool:
    """Whether the day's bill is published yet (its end plus the billing lag is in the past)."""
    end = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    return end + timedelta(hours=ctx.state.config.billing_lag_hours) <= ctx.state.clock()


def served_rows(ctx: RequestContext, day: date) -> list[dict[str, Any]]:
    """The day's rows as served right now: the bill (restated if a restate fault targets the day) plus the rows of
    active data faults."""
    state = ctx.state
    variant = state.faults.restate_variant(day, ctx.path)
    rows = list(state.model.bill(day, variant=variant, flavor=state.config.flavor,
                                 billing_model=state.config.billing_model).rows)
    for kind, build in fault_rows.BUILDERS.items():
        for fault in state.faults.matching(kind, ctx.path):
            if fault.params.get("day") in (None, day):
                rows.extend(build(state.model, day, state.config.flavor))
                break
    return rows


def list_costs(ctx: RequestContext) -> Reply:
    start = _date_param(ctx, "start_date")
    end = _date_param(ctx, "end_date")
    if start >= end:
        raise bad_request("start date must be before end date", "start_date")
    if (end - start).days > MAX_WINDOW_DAYS:
        raise bad_request("end date and start date are too far apart", "end_date")
    today = ctx.state.clock().date()
    if start < _one_year_before(today):
        raise bad_request("start date is too far in the past", "start_date")
    size = pagination.page_size(ctx, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    digest = tokens.digest(BILLING_PATH, start, end)
    offset = pagination.offset_from(ctx, ctx.request.args.get("page_token"), digest)
    if offset > 0 and ctx.state.faults.take(("duplicate-row",), ctx.path) is not None:
        offset -= 1  # repeat the previous page's last row

    rows: list[dict[str, Any]] = []
    day = start
    while day < end:
        if available(ctx, day):
            rows.extend(served_rows(ctx, day))
        day += timedelta(days=1)

    flavor = ctx.state.config.flavor
    page = rows[offset: offset + size]
    metadata: dict[str, Any] = {}
    if flavor == "spec" or offset + size < len(rows):
        metadata["first"] = ctx.url_with(page_token=None)
    if offset + size < len(rows):
        metadata["next"] = ctx.url_with(page_token=pagination.issue(ctx, offset + size, digest))
    if flavor == "spec":
        metadata["total_size"] = len(rows)
    return json_reply({"api_version": api_version(flavor), "kind": "CostList", "metadata": metadata, "data": page})


ROUTES = [("GET", BILLING_PATH, list_costs)]
