"""The daily endpoints (/v1/confidence, /v1/ownership/worklist, /v1/reconciliation), declared by `daily_endpoint`:
the days asked for — those of [from_ts, to_ts), or the aliases start/end, inclusive, loaded by `schemas.DayRange` as
inclusive `start`/`end` — with their defaults, and the answer (`days_answer`): JSON as its schema documents it, or
with format=csv its rows, one column per field of the row schema, written as in JSON."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence

from apiflask import APIBlueprint, Schema
from psycopg import sql

from billing_portal.sidecar import db
from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.encode import csv_lines, csv_response
from billing_portal.sidecar.query import day_start
from billing_portal.sidecar.responses import answer, field_names, renderer
from billing_portal.sidecar.schemas import MAX_DAY_RANGE_DAYS

DEFAULT_DAYS = 30


def resolve_days(start: dt.date | None, end: dt.date | None, newest: dt.date | None) -> tuple[dt.date, dt.date]:
    """Fill in missing bounds: end = the newest day with data (yesterday when there is none), start = 29 days
    before end; an open range never exceeds the maximum."""
    if end is None:
        end = newest or (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1))
        if start is not None:
            end = max(start, min(end, start + dt.timedelta(days=MAX_DAY_RANGE_DAYS - 1)))
    if start is None:
        start = end - dt.timedelta(days=DEFAULT_DAYS - 1)
    return start, end


def requested_days(query_data: dict, newest_in: str) -> tuple[dt.date, dt.date]:
    """The inclusive days asked for; an open range ends at the newest `usage_date` of table `newest_in`."""
    newest = db.fetch_one(sql.SQL("SELECT max(usage_date) AS d FROM {}").format(sql.Identifier(newest_in)))["d"]
    return resolve_days(query_data.get("start"), query_data.get("end"), newest)


def daily_endpoint(bp: APIBlueprint, path: str, query: type[Schema], output: type[Schema], *, summary: str,
                   description: str, newest_in: str, newest: str = "the newest day with data") -> Callable:
    """`read_endpoint` for a daily endpoint (it has a CSV variant, and its description ends with the days it covers);
    the handler gets the parsed query and the inclusive days asked for (`requested_days`)."""
    def register(view: Callable) -> Callable:
        @functools.wraps(view)
        def with_days(query_data: dict):
            return view(query_data, requested_days(query_data, newest_in))

        return read_endpoint(bp, path, query, output, csv=True, summary=summary, description=(
            f"{description} The UTC days of [from_ts, to_ts) (timestamps or days; aliases start..end, inclusive; "
            f"default: the {DEFAULT_DAYS} days ending at {newest}; at most {MAX_DAY_RANGE_DAYS})."))(with_days)

    return register


def days_answer(query_data: dict, schema: type[Schema], days: tuple[dt.date, dt.date], rows: Sequence[Mapping],
                csv_name: str, *, more: Callable[[], Mapping] = dict, csv_leaves_out: tuple[str, ...] = ()):
    """`schema` (a `DaysAnswer` listing `rows` as its `data`, with the fields `more()` gives) as JSON; with
    format=csv the rows alone, the row schema's fields but `csv_leaves_out` as columns."""
    if query_data["format"] == "csv":
        row_schema = schema._declared_fields["data"].inner.nested
        render, columns = renderer(row_schema), field_names(row_schema, *csv_leaves_out)
        return csv_response(csv_lines(columns, ([d[c] for c in columns] for d in map(render, rows))), csv_name)
    start, end = days
    return answer(schema, {"from_ts": day_start(start), "to_ts": day_start(end + dt.timedelta(days=1)),
                           "start": start, "end": end, "data": rows, **more()})
