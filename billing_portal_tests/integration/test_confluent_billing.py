"""BillingClient against a fixture billing API that enforces the reference's rules (31-day windows, dates)."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from billing_portal.confluent.billing import BillingClient
from billing_portal.errors import ConfluentApiError
from billing_portal_tests.confluent_fixtures import (
    FixtureServer,
    Recorded,
    Reply,
    confluent_error,
    envelope_handler,
    http_for,
    load,
)

PATH = "/billing/v1/costs"
TODAY = dt.date(2024, 7, 20)


def _day_rows(day: dt.date, n: int = 3) -> list[dict]:
    return [{"id": f"c-{day}-{i}", "start_date": day.isoformat(), "end_date": (day + dt.timedelta(days=1)).isoformat(),
             "granularity": "DAILY", "product": "KAFKA", "line_type": "KAFKA_STORAGE", "amount": 0.25 * (i + 1),
             "original_amount": 0.25 * (i + 1), "discount_amount": 0, "price": 0.1, "unit": "GB-hour",
             "quantity": 2.5 * (i + 1), "resource": {"id": f"lkc-{i}", "environment": {"id": "env-1"}}}
            for i in range(n)]


def billing_api(server: FixtureServer, rows: list[dict], *, api_version: str = "v1", drop_dates: bool = False,
                repeat_first_row_on_page_2: bool = False):
    """Serves `rows` like billing/v1/costs: validates the dates, filters by day, pages with a full-URL next."""

    def handler(req: Recorded) -> Reply:
        try:
            start = dt.date.fromisoformat(req.param("start_date"))
            end = dt.date.fromisoformat(req.param("end_date"))
        except (TypeError, ValueError):
            return confluent_error(400, "start_date and end_date are required", "invalid_filter")
        if not start < end:
            return confluent_error(400, "start date must be before end date", "invalid_filter")
        if (end - start).days > 31:
            return confluent_error(400, "end date and start date are too far apart", "invalid_filter")
        selected = [r for r in rows if start.isoformat() <= r["start_date"] < end.isoformat()]
        if repeat_first_row_on_page_2 and len(selected) > 1:
            size = int(req.param("page_size"))
            selected = selected[:size] + [copy.deepcopy(selected[0])] + selected[size:]
        inner = envelope_handler(selected, base_url=server.url, path=PATH, kind="CostList", api_version=api_version,
                                 drop_params=("start_date", "end_date") if drop_dates else ())
        return inner(req)

    server.route("GET", PATH, handler)


@pytest.fixture
def server():
    with FixtureServer() as s:
        yield s


def _client(server, **kw) -> BillingClient:
    return BillingClient(http_for(server), today=lambda: TODAY, **kw)


def test_long_ranges_are_split_into_31_day_windows(server):
    start, end = dt.date(2024, 4, 1), dt.date(2024, 6, 15)  # 75 days
    days = [start + dt.timedelta(days=i) for i in range((end - start).days)]
    billing_api(server, [r for d in days for r in _day_rows(d, 2)])
    batch = _client(server).fetch_costs(start, end)
    windows = [(c.param("start_date"), c.param("end_date")) for c in server.calls(PATH)
               if c.param("page_token") is None]
    assert windows == [("2024-04-01", "2024-05-02"), ("2024-05-02", "2024-06-02"), ("2024-06-02", "2024-06-15")]
    assert len(batch.lines) == 150 and batch.quarantine.empty
    assert sorted(set(batch.lines["usage_date"])) == days
    assert batch.stats["windows"] == 3


def test_end_is_exclusive(server):
    billing_api(server, _day_rows(dt.date(2024, 5, 1)) + _day_rows(dt.date(2024, 5, 2)))
    batch = _client(server).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    assert set(batch.lines["usage_date"]) == {dt.date(2024, 5, 1)}
    assert server.calls(PATH)[0].param("end_date") == "2024-05-02"


@pytest.mark.parametrize("api_version", ["billing/v1", "v1"])
def test_both_api_versions_are_accepted(server, api_version, caplog):
    billing_api(server, load("cost_rows.json"), api_version=api_version)
    batch = _client(server).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 3))
    assert len(batch.lines) == 8
    assert "unexpected api_version" not in caplog.text


def test_pages_follow_next_with_page_size_2000_by_default(server):
    rows = [r for d in range(5) for r in _day_rows(dt.date(2024, 5, 1) + dt.timedelta(days=d), 900)]
    billing_api(server, rows)
    batch = _client(server).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 6))
    calls = server.calls(PATH)
    assert [c.param("page_size") for c in calls] == ["2000"] * 3  # 4500 rows
    assert len(batch.lines) == 4500 and batch.stats["pages"] == 3


def test_page_size_is_configurable_up_to_10000(server):
    billing_api(server, _day_rows(dt.date(2024, 5, 1), 30))
    _client(server, page_size=7).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    assert len(server.calls(PATH)) == 5
    with pytest.raises(ValueError, match="between 1 and 10000"):
        _client(server, page_size=10001)


def test_dates_are_re_sent_when_next_lacks_them(server):
    billing_api(server, _day_rows(dt.date(2024, 5, 1), 25), drop_dates=True)
    batch = _client(server, page_size=10).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    calls = server.calls(PATH)
    assert len(calls) == 3 and len(batch.lines) == 25
    assert all(c.param("start_date") == "2024-05-01" and c.param("end_date") == "2024-05-02" for c in calls)


def test_a_row_repeated_across_pages_is_counted_once(server):
    billing_api(server, _day_rows(dt.date(2024, 5, 1), 10), repeat_first_row_on_page_2=True)
    batch = _client(server, page_size=4).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    assert batch.duplicates == 1 and len(batch.lines) == 10
    assert batch.stats["rows_received"] == 11
    assert sum(batch.lines["amount"], Decimal(0)) == sum((Decimal("0.25") * (i + 1) for i in range(10)), Decimal(0))


def test_tiered_rows_unknown_types_and_missing_prices_survive_the_round_trip(server):
    billing_api(server, load("cost_rows.json"))
    lines = _client(server).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 3)).lines
    assert (lines["line_type"] == "KAFKA_NETWORK_WRITE").sum() == 2
    assert "QUANTUM_ENTANGLEMENT_HOURS" in set(lines["line_type"])
    assert lines.loc[lines["source_id"] == "cost-5", "price"].iloc[0] is None


def test_bad_rows_are_quarantined_not_dropped(server):
    rows = _day_rows(dt.date(2024, 5, 1), 2)
    bad = copy.deepcopy(rows[0])
    del bad["amount"]
    bad["id"] = "bad"
    billing_api(server, rows + [bad])
    batch = _client(server).fetch_costs(dt.date(2024, 5, 1), dt.date(2024, 5, 2))
    assert len(batch.lines) == 2
    assert batch.quarantine["reason"].str.startswith("missing_amount").tolist() == [True]


def test_start_more_than_a_year_back_is_refused_before_any_request(server):
    billing_api(server, [])
    with pytest.raises(ConfluentApiError) as err:
        _client(server).fetch_costs(dt.date(2023, 7, 19), dt.date(2023, 8, 1))
    assert "more than one year back" in str(err.value) and "2023-07-20" in str(err.value)
    assert server.requests == []
    _client(server).fetch_costs(dt.date(2023, 7, 20), dt.date(2023, 8, 1))  # the boundary itself is fine
    assert len(server.requests) == 1


def test_empty_or_inverted_ranges_are_refused(server):
    with pytest.raises(ValueError, match="end is exclusive"):
        _client(server).fetch_costs(dt.date(2024, 5, 2), dt.date(2024, 5, 2))
    assert server.requests == []
