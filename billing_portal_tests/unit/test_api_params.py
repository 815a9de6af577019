"""Unit tests of the sidecar's parameter parsing, cursors and error flattening (no database)."""

from __future__ import annotations

import datetime as dt

import pytest
from marshmallow import ValidationError

from billing_portal.sidecar import pagination
from billing_portal.sidecar.api.forecast import month_bounds
from billing_portal.sidecar.api.views import period_end
from billing_portal.sidecar.errors import ApiError, _flatten
from billing_portal.sidecar.fields import Day, Timestamp, parse_rfc3339
from billing_portal.sidecar.query import PRINCIPAL_VIEW

UTC = dt.UTC


@pytest.mark.parametrize("text, expected", [
    ("2024-01-01T00:00:00Z", dt.datetime(2024, 1, 1, tzinfo=UTC)),
    ("2024-01-31T23:59:59z", dt.datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC)),
    ("2024-01-01t01:30:00+01:30", dt.datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
    ("2024-01-01 00:00:00-05:00", dt.datetime(2024, 1, 1, 5, tzinfo=UTC)),
    ("2024-01-01T00:00:00.123456789Z", dt.datetime(2024, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
])
def test_rfc3339_accepted(text, expected):
    assert parse_rfc3339(text) == expected


@pytest.mark.parametrize("text", [
    "2024-01-01", "2024-01-01T00:00:00", "20240101T000000Z", "2024-01-01T24:00:00Z", "2024-02-30T00:00:00Z",
    "2024-01-01T00:00:60Z", "1999-12-31T23:00:00Z", "2201-01-01T00:00:00Z", "2024-01-01T00:00:00+25:00",
    "2024-01-01T00:00:00Z\x00", "now", "",
])
def test_rfc3339_rejected(text):
    with pytest.raises(ValueError):
        parse_rfc3339(text)


def test_timestamp_field_restores_a_plus_lost_in_the_query_string():
    assert Timestamp().deserialize("2024-01-01T01:00:00 01:00") == dt.datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationError):
        Timestamp().deserialize(12)


def test_day_field():
    assert Day().deserialize("2024-02-29") == dt.date(2024, 2, 29)
    for bad in ("2023-02-29", "24-01-01", "2024-1-1", "1990-01-01"):
        with pytest.raises(ValidationError):
            Day().deserialize(bad)


def test_cursor_round_trip_and_binding():
    f, t = dt.datetime(2024, 1, 1, tzinfo=UTC), dt.datetime(2024, 2, 1, tzinfo=UTC)
    fp = pagination.fingerprint(f, t, {"team": ["b", "a"]})
    assert fp == pagination.fingerprint(f, t, {"team": ["a", "b"]})  # order of values does not matter
    cursor = pagination.encode(dt.date(2024, 1, 5), 1234, fp)
    assert pagination.decode(cursor, fp) == (dt.date(2024, 1, 5), 1234)
    other = pagination.fingerprint(f, t, {"team": ["a"]})
    with pytest.raises(ApiError) as exc:
        pagination.decode(cursor, other)
    assert exc.value.extra_data["code"] == "cursor_mismatch"
    for junk in ("abc", "bm90LWpzb24", pagination.encode(dt.date(2024, 1, 5), -1, fp)):
        with pytest.raises(ApiError) as exc:
            pagination.decode(junk, fp)
        assert exc.value.extra_data["parameter"] == "cursor"


def test_helpers():
    assert PRINCIPAL_VIEW.group_by(["team,product", "team", "", "cost_center"]) == ["team", "product", "cost_center"]
    assert month_bounds("2024-02") == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert period_end(dt.datetime(2024, 12, 1, tzinfo=UTC), "month") == dt.datetime(2025, 1, 1, tzinfo=UTC)
    assert period_end(dt.datetime(2024, 1, 31, tzinfo=UTC), "day") == dt.datetime(2024, 2, 1, tzinfo=UTC)


def test_validation_messages_are_flattened_to_parameters():
    detail = {"query": {"team": {0: ["must not contain control characters"]}, "foo": ["Unknown field."],
                        "_schema": ["bad"]}}
    flat = _flatten(detail)
    assert {"parameter": "team", "message": "must not contain control characters"} in flat
    assert {"parameter": "foo", "message": "Unknown field."} in flat
    assert {"parameter": None, "message": "bad"} in flat
