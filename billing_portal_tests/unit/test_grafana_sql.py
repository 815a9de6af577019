"""The Grafana SQL expansion used by the dashboard test behaves like Grafana's PostgreSQL data source."""

from __future__ import annotations

import datetime as dt

import pytest

from billing_portal_tests.grafana_sql import (
    ALL,
    GrafanaSqlError,
    TimeRange,
    Variable,
    expand_macros,
    go_float,
    interpolate,
    render,
    rfc3339nano,
    strip_sql_comments,
)

TR = TimeRange(dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2024, 1, 7, 23, 59, 59, 999000, tzinfo=dt.UTC))


def test_rfc3339nano_trims_the_fraction_like_go():
    assert rfc3339nano(dt.datetime(2024, 1, 1, tzinfo=dt.UTC)) == "2024-01-01T00:00:00Z"
    assert rfc3339nano(TR.end) == "2024-01-07T23:59:59.999Z"
    plus_one = dt.timezone(dt.timedelta(hours=1))
    assert rfc3339nano(dt.datetime(2024, 1, 1, 1, 0, 0, 500000, tzinfo=plus_one)) == "2024-01-01T00:00:00.5Z"


@pytest.mark.parametrize(("x", "out"), [(3600.0, "3600"), (86400.0, "86400"), (604800.0, "604800"),
                                         (2592000.0, "2.592e+06"), (1e6, "1e+06"), (0.5, "0.5"), (60.0, "60")])
def test_go_float_matches_go_percent_v(x, out):
    assert go_float(x) == out


def test_time_macros():
    assert expand_macros("WHERE $__timeFilter(hour)", TR) == (
        "WHERE hour BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-07T23:59:59.999Z'")
    assert expand_macros("$__timeFrom()::date, $__timeTo()", TR) == (
        "'2024-01-01T00:00:00Z'::date, '2024-01-07T23:59:59.999Z'")
    assert expand_macros("SELECT $__timeGroupAlias(hour, '1h')", TR) == (
        'SELECT floor(extract(epoch from hour)/3600)*3600 AS "time"')
    assert expand_macros("SELECT $__timeGroup(usage_date, 1d) AS t", TR) == (
        "SELECT floor(extract(epoch from usage_date)/86400)*86400 AS t")
    # Grafana's pre-5.3 form: a ',' right after $__timeGroup(...) means the alias is added.
    assert expand_macros("SELECT $__timeGroup(hour,'1h'), x", TR) == (
        'SELECT floor(extract(epoch from hour)/3600)*3600 AS "time", x')
    assert expand_macros("$__time(t)", TR) == 't AS "time"'
    assert expand_macros("$__timeEpoch(t)", TR) == 'extract(epoch from t) as "time"'
    assert expand_macros("$__unixEpochFilter(ts)", TR) == f"ts >= 1704067200 AND ts <= {int(TR.end.timestamp())}"


def test_unknown_macro_and_bad_interval_fail():
    with pytest.raises(GrafanaSqlError, match="undefined macro"):
        expand_macros("$__nope(x)", TR)
    with pytest.raises(GrafanaSqlError, match="interval"):
        expand_macros("$__timeGroup(hour, 'soon')", TR)
    with pytest.raises(GrafanaSqlError, match="missing time column"):
        expand_macros("$__timeFilter()", TR)


def test_comments_are_stripped_before_macros_but_not_inside_literals():
    assert strip_sql_comments("SELECT 1 -- $__nope(x)\n, '--x' /* $__nope() */") == "SELECT 1 \n, '--x' "
    assert expand_macros("SELECT 1 -- $__nope(x)", TR) == "SELECT 1 "


TEAM = Variable("team", multi=True, include_all=True, all_value="'__all'", options=("a", "b"))
PLAIN = Variable("env", options=("x",))
NO_CUSTOM_ALL = Variable("bu", multi=True, include_all=True, options=("fin", "o'ps"))


def test_multi_value_variables_are_quoted_and_joined():
    assert interpolate("team IN ($team)", {"team": TEAM}, {"team": ["a", "b'c"]}) == "team IN ('a','b''c')"
    assert interpolate("team IN (${team})", {"team": TEAM}, {"team": "a"}) == "team IN ('a')"
    assert interpolate("[[team]]", {"team": TEAM}, {"team": ["a"]}) == "'a'"


def test_all_uses_the_custom_all_value_raw_or_every_option_quoted():
    assert interpolate("('__all' IN ($team))", {"team": TEAM}, {"team": ALL}) == "('__all' IN ('__all'))"
    assert interpolate("bu IN ($bu)", {"bu": NO_CUSTOM_ALL}, {"bu": ALL}) == "bu IN ('fin','o''ps')"
    assert interpolate("$team", {"team": TEAM}, {}) == "'__all'"  # include-All default


def test_single_value_variable_is_escaped_unquoted_and_formats_apply():
    assert interpolate("env = '$env'", {"env": PLAIN}, {"env": "it's"}) == "env = 'it''s'"
    assert interpolate("${team:csv}", {"team": TEAM}, {"team": ["a", "b"]}) == "a,b"
    assert interpolate("${team:sqlstring}", {"team": TEAM}, {"team": ["a"]}) == "'a'"
    with pytest.raises(GrafanaSqlError):
        interpolate("$env", {"env": PLAIN}, {"env": ALL})


def test_unknown_variables_and_macros_are_left_to_the_next_step():
    out = interpolate("$__timeFilter(hour) AND $unknown", {"team": TEAM}, {})
    assert out == "$__timeFilter(hour) AND $unknown"


def test_render_does_variables_then_macros_with_builtins():
    sql = "SELECT $__timeGroupAlias(hour, $__interval) FROM t WHERE $__timeFilter(hour) AND team IN ($team)"
    out = render(sql, TR, {"team": TEAM}, {"team": ["a"]}, interval="1d")
    assert out == ('SELECT floor(extract(epoch from hour)/86400)*86400 AS "time" FROM t WHERE hour BETWEEN '
                   "'2024-01-01T00:00:00Z' AND '2024-01-07T23:59:59.999Z' AND team IN ('a')")
    assert render("$__from-$__to", TR) == f"1704067200000-{int(TR.end.timestamp() * 1000)}"
