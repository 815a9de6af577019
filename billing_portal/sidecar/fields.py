"""Marshmallow fields for query parameters: strict RFC3339 timestamps, days and safe dimension values.

Each field turns bad input into a ValidationError (→ 400 naming the parameter), never into an exception further
down: NUL bytes, control characters, text that was not UTF-8 (decoded to U+FFFD by Werkzeug), out-of-range years.
"""

from __future__ import annotations

import datetime as dt
import re

from marshmallow import ValidationError, fields, validate

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")
MIN_YEAR, MAX_YEAR = 2000, 2200

# Printable text without control characters or U+FFFD (the replacement for bytes that were not UTF-8).
SAFE_TEXT_PATTERN = r"^[^\u0000-\u001f\u007f\ufffd]*$"
SAFE_TEXT = re.compile(SAFE_TEXT_PATTERN)
MAX_VALUE_LENGTH = 256


def parse_rfc3339(raw: str) -> dt.datetime:
    """An RFC3339 timestamp with an offset (Z or ±hh:mm) → aware UTC datetime. Raises ValueError."""
    raw = raw.strip()
    m = RFC3339.match(raw)
    if not m:
        raise ValueError("not an RFC3339 timestamp with a timezone, e.g. 2024-01-01T00:00:00Z")
    year = int(m.group(1))
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
    frac = m.group(7) or ""
    text = raw[:19].replace("t", "T").replace(" ", "T") + (frac[:7] if frac else "")  # microseconds at most
    offset = m.group(8)
    text += "+00:00" if offset in ("Z", "z") else offset
    value = dt.datetime.fromisoformat(text)  # ValueError for impossible dates, hours > 23, leap seconds …
    off = value.utcoffset()
    if off is not None and abs(off) >= dt.timedelta(hours=24):
        raise ValueError("offset out of range")
    return value.astimezone(dt.UTC)


class Timestamp(fields.DateTime):
    """RFC3339 date-time with a mandatory offset, normalised to UTC. A '+' turned into a space by URL decoding
    ('…T00:00:00 01:00') is accepted back as '+01:00'."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("must be an RFC3339 timestamp string")
        text = value.strip()
        if re.search(r"\d \d{2}:\d{2}$", text):  # '+hh:mm' whose '+' became a space in the query string
            text = text[:-6] + "+" + text[-5:]
        try:
            return parse_rfc3339(text)
        except (ValueError, OverflowError) as exc:
            raise ValidationError(f"{exc}; got {value[:64]!r}") from None


class DayOrTimestamp(Timestamp):
    """`from_ts`/`to_ts` of the daily endpoints: an RFC3339 timestamp like everywhere else, or a day YYYY-MM-DD
    (its 00:00Z). Normalised to UTC."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            day = Day()._deserialize(value, attr, data, **kwargs)
            return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        return super()._deserialize(value, attr, data, **kwargs)


class Day(fields.Date):
    """A UTC day YYYY-MM-DD between 2000-01-01 and 2200-12-31."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValidationError(f"must be a date YYYY-MM-DD; got {str(value)[:32]!r}")
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"not a valid date: {value[:32]!r}") from None
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            raise ValidationError(f"year must be between {MIN_YEAR} and {MAX_YEAR}")
        return day


def dim_value(**kwargs) -> fields.String:
    """A filter value: 1..256 characters of printable text."""
    return fields.String(validate=[validate.Length(min=1, max=MAX_VALUE_LENGTH),
                                   validate.Regexp(SAFE_TEXT_PATTERN, error="must not contain control characters "
                                                                          "or invalid UTF-8")], **kwargs)


def dim_filter(description: str) -> fields.List:
    """A repeatable filter parameter (`team=a&team=b` means team a OR b)."""
    return fields.List(dim_value(), validate=validate.Length(min=1, max=100),
                       metadata={"description": description})
