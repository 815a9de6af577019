import datetime as dt

import pytest

from billing_portal.config import default_start_date, load_settings
from billing_portal.errors import ConfigError


def test_defaults_without_any_variable():
    s = load_settings({})
    assert s.DATABASE_URL is None
    assert s.CCLOUD_API_URL == "https://api.confluent.cloud"
    assert s.CCLOUD_TELEMETRY_URL == "https://api.telemetry.confluent.cloud"
    assert s.BILLING_START_DATE == default_start_date()
    assert s.RESTATEMENT_WINDOW_DAYS == 7


def test_default_start_date_is_within_the_billing_api_year():
    assert default_start_date(dt.date(2026, 11, 24)) == dt.date(2025, 12, 1)
    assert default_start_date(dt.date(2026, 1, 31)) == dt.date(2025, 2, 1)
    today = dt.date.today()
    assert (today - default_start_date(today)).days < 366


@pytest.mark.parametrize("env, needle", [
    ({"BILLING_START_DATE": "2024-02-30"}, "BILLING_START_DATE: must be a date YYYY-MM-DD, got '2024-02-30'"),
    ({"BILLING_START_DATE": "2999-01-01"}, "BILLING_START_DATE: must not be in the future"),
    ({"CCLOUD_API_URL": "api.confluent.cloud"}, "CCLOUD_API_URL: must be an http(s) URL"),
    ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL: must be a postgresql:// URL"),
    ({"RESTATEMENT_WINDOW_DAYS": "many"}, "RESTATEMENT_WINDOW_DAYS"),
])
def test_bad_values_give_one_line_naming_the_variable(env, needle):
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    msg = str(err.value)
    assert needle in msg
    assert "\n" not in msg


def test_secret_values_never_appear_in_errors_or_repr():
    secret = "sup3r-s3cret-value"
    with pytest.raises(ConfigError) as err:
        load_settings({"CCLOUD_API_SECRET": secret, "DATABASE_URL": f"mysql://u:{secret}@h/db"})
    assert secret not in str(err.value)
    s = load_settings({"CCLOUD_API_SECRET": secret, "CCLOUD_API_KEY": "KEY"})
    assert secret not in repr(s)
    assert s.require("CCLOUD_API_SECRET") == secret


def test_require_names_the_missing_variable():
    with pytest.raises(ConfigError, match="CCLOUD_API_KEY is not set"):
        load_settings({}).require("CCLOUD_API_KEY")


def test_env_example_copied_unchanged_is_a_valid_configuration():
    """`cp .env.example .env` (or docker/.env) must work as is: empty optional settings mean "not set"."""
    from pathlib import Path

    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(Path(__file__).parents[2] / ".env.example").items() if v is not None}
    s = load_settings(values)
    assert s.BILLING_PORTAL_MAPPING_FILE is None
    assert s.BILLING_PORTAL_ALLOCATION_FILE is None
    assert s.BILLING_PORTAL_BUDGETS_FILE is None
