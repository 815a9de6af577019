"""Pure pieces of the API vocabulary: parameter suggestions, group_by aliases, CSV booleans, /metrics negotiation."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_portal.sidecar.api.dimensions import canonical
from billing_portal.sidecar.encode import csv_cell
from billing_portal.sidecar.errors import suggest
from billing_portal.sidecar.exporter import negotiate
from billing_portal.sidecar.query import FACT_DIMENSIONS, PRINCIPAL_VIEW
from billing_portal.sidecar.schemas import DaysQuery
from billing_portal.sidecar.vocabulary import DIMENSION_TYPES, GROUP_BY_ALIASES

COSTS = ["from_ts", "to_ts", "limit", "cursor", "format", *FACT_DIMENSIONS]


@pytest.mark.parametrize(("sent", "meant"), [
    ("start", "from_ts"), ("end", "to_ts"), ("START_DATE", "from_ts"), ("until", "to_ts"), ("teams", "team"),
    ("principal", "principal_id"), ("bu", "business_unit"), ("from_tz", "from_ts"), ("Team", "team"),
    ("limt", "limit"), ("xyz", None),
])
def test_suggest(sent, meant):
    assert suggest(sent, COSTS) == meant


def test_a_synonym_is_only_suggested_where_the_endpoint_takes_it():
    assert suggest("start", ["month", "group_by"]) is None


def test_group_by_aliases_are_those_of_dimensions():
    for alias, column in GROUP_BY_ALIASES.items():
        assert DIMENSION_TYPES[canonical(alias)] == column and column in FACT_DIMENSIONS
    assert PRINCIPAL_VIEW.group_by(["principal,bu", "team", "principal_id"]) == ["principal_id", "business_unit", "team"]


def test_fixed_vocabularies_are_folded_names_are_not():
    assert PRINCIPAL_VIEW.filters({"product": ["kafka"], "confidence": ["HIGH"], "team": ["Payments"]}) == {
        "product": ["KAFKA"], "confidence": ["high"], "team": ["Payments"]}


def test_day_ranges_take_timestamps_days_and_the_aliases():
    load = DaysQuery().load
    by_ts, by_alias = load({"from_ts": "2024-01-10", "to_ts": "2024-01-13"}), load({"start": "2024-01-10",
                                                                                   "end": "2024-01-12"})
    assert (by_ts["start"], by_ts["end"]) == (by_alias["start"], by_alias["end"]) == (dt.date(2024, 1, 10),
                                                                                      dt.date(2024, 1, 12))
    assert by_alias["names"] == {"start": "start", "end": "end"}
    got = load({"from_ts": "2024-01-10T23:30:00-01:00", "to_ts": "2024-01-12T00:00:00Z"})
    assert (got["start"], got["end"], got["names"]) == (dt.date(2024, 1, 11), dt.date(2024, 1, 11),
                                                        {"start": "from_ts", "end": "to_ts"})


def test_csv_booleans_match_json():
    assert (csv_cell(True), csv_cell(False), csv_cell(1)) == ("true", "false", "1")


@pytest.mark.parametrize(("accept", "content_type"), [
    (None, "application/openmetrics-text"), ("*/*", "application/openmetrics-text"),
    ("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", "application/openmetrics-text"),
    ("text/plain;version=0.0.4", "text/plain"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/plain"),
])
def test_metrics_negotiation(accept, content_type):
    assert negotiate(accept)[1].startswith(content_type)
