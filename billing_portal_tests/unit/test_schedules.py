"""The daily schedule and the restatement window: which partitions each tick asks for."""

from __future__ import annotations

import datetime as dt

import pytest
from dagster import DagsterInstance, RunRequest, build_schedule_context

from billing_portal.config import get_settings
from billing_portal.jobs import RANGE_END_TAG as ASSET_PARTITION_RANGE_END_TAG
from billing_portal.jobs import RANGE_START_TAG as ASSET_PARTITION_RANGE_START_TAG
from billing_portal.jobs import daily_schedule, restatement_window_schedule


@pytest.fixture
def settings_env(monkeypatch):
    def apply(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()

    yield apply
    get_settings.cache_clear()


def _tick(schedule, when: dt.datetime):
    with DagsterInstance.ephemeral() as instance:
        ctx = build_schedule_context(instance=instance, scheduled_execution_time=when)
        result = schedule.evaluate_tick(ctx)
    return result.run_requests or [], result.skip_message


def test_daily_schedule_asks_for_yesterday(settings_env):
    from billing_portal.definitions import load_defs

    settings_env(BILLING_START_DATE="2026-01-01")
    # the job infers its partitions from its assets, so the schedule is resolved by the Definitions, as Dagster runs it
    schedule = load_defs().resolve_schedule_def(daily_schedule.name)
    runs, _ = _tick(schedule, dt.datetime(2026, 3, 10, 6, 0, tzinfo=dt.UTC))
    assert [r.partition_key for r in runs] == ["2026-03-09"]


def test_restatement_window_is_one_ranged_run_of_the_days_before_the_newest(settings_env):
    settings_env(BILLING_START_DATE="2026-01-01", RESTATEMENT_WINDOW_DAYS="7")
    runs, _ = _tick(restatement_window_schedule, dt.datetime(2026, 3, 10, 6, 30, tzinfo=dt.UTC))
    assert len(runs) == 1 and isinstance(runs[0], RunRequest)
    assert runs[0].tags[ASSET_PARTITION_RANGE_START_TAG] == "2026-03-02"
    assert runs[0].tags[ASSET_PARTITION_RANGE_END_TAG] == "2026-03-08"
    assert runs[0].run_key == "restate-2026-03-02-2026-03-08"


def test_restatement_window_stops_at_the_first_partition(settings_env):
    settings_env(BILLING_START_DATE="2026-03-05", RESTATEMENT_WINDOW_DAYS="7")
    runs, _ = _tick(restatement_window_schedule, dt.datetime(2026, 3, 10, 6, 30, tzinfo=dt.UTC))
    assert (runs[0].tags[ASSET_PARTITION_RANGE_START_TAG], runs[0].tags[ASSET_PARTITION_RANGE_END_TAG]) == (
        "2026-03-05", "2026-03-08")


def test_restatement_window_zero_skips(settings_env):
    settings_env(BILLING_START_DATE="2026-01-01", RESTATEMENT_WINDOW_DAYS="0")
    runs, skip = _tick(restatement_window_schedule, dt.datetime(2026, 3, 10, 6, 30, tzinfo=dt.UTC))
    assert runs == [] and "RESTATEMENT_WINDOW_DAYS is 0" in skip


def test_both_schedules_run_by_default():
    assert daily_schedule.default_status.value == "RUNNING"
    assert restatement_window_schedule.default_status.value == "RUNNING"
