"""Encoding answers: exact amounts as 8-decimal strings, RFC3339 UTC timestamps, fast JSON, streamed CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from functools import lru_cache

import orjson
from flask import Response

from billing_portal.money import UNIT

CSV_MIMETYPE = "text/csv"
CSV_FLUSH_BYTES = 256 * 1024


def money(value) -> str:
    """Decimal/NUMERIC → '12.34000000' (exact, 8 decimals); None → '0.00000000'."""
    if value is None:
        value = Decimal(0)
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return f"{value.quantize(UNIT):f}"


def ts(value: dt.datetime | None) -> str | None:
    """Aware datetime → '2024-01-01T00:00:00Z'."""
    if value is None:
        return None
    return _ts(value)


@lru_cache(maxsize=4096)
def _ts(value: dt.datetime) -> str:
    """`ts` of one instant (aware datetimes of the same instant are equal: one entry). Cached: an answer repeats a
    few bucket bounds on every row, and strftime costs ~4 µs."""
    value = value.astimezone(dt.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "Z"


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def share(value: Decimal | None) -> float | None:
    """A ratio (e.g. the warehouse's `unallocated_share()`) as a JSON number rounded to 6 places."""
    return None if value is None else round(float(value), 6)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(orjson.dumps(body), status=status, mimetype="application/json", headers=headers)


def csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # as in the JSON answers (str() would write True/False)
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, dt.datetime):
        return ts(value) or ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def csv_lines(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """Rows → CSV bytes in chunks of ~256 KiB (RFC 4180 quoting, CRLF line ends)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        if buf.tell() >= CSV_FLUSH_BYTES:
            yield buf.getvalue().encode()
            buf.seek(0)
            buf.truncate()
    if buf.tell():
        yield buf.getvalue().encode()


class _Closing:
    """An iterable body whose close() also closes the row source (a database stream), even when iteration never
    started (the WSGI server always calls close())."""

    def __init__(self, chunks: Iterator[bytes], source):
        self.chunks, self.source = chunks, source

    def __iter__(self):
        return self.chunks

    def close(self) -> None:
        try:
            close = getattr(self.chunks, "close", None)
            if close:
                close()
        finally:
            close = getattr(self.source, "close", None)
            if close:
                close()


def csv_response(chunks: Iterator[bytes], filename: str, source=None) -> Response:
    """A streamed CSV download; `source` (the database stream) is closed when the response ends."""
    return Response(_Closing(chunks, source), mimetype=CSV_MIMETYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Content-Type-Options": "nosniff"})
