"""Bad input to the command line: one clear line, a non-zero exit, never a traceback (issue 7).

Each case runs the real `billing-portal` console script in a subprocess with a clean environment: malformed
mapping/allocation files, bad dates and ranges, bad settings, an unreachable or refusing database, and Confluent
credentials the (simulated) Confluent Cloud rejects (401) or that lack a role (403).
"""

from __future__ import annotations

import datetime as dt

import pytest

from billing_portal.simulator.server import start_simulator
from billing_portal_tests.pipeline import run_cli, simulator_env

pytestmark = pytest.mark.timeout(300)

TODAY = dt.datetime.now(dt.UTC).date()
DAY = TODAY - dt.timedelta(days=2)
RANGE = ["--start", DAY.isoformat(), "--end", (DAY + dt.timedelta(days=1)).isoformat()]


@pytest.fixture(scope="module")
def sim():
    handle = start_simulator(seed=3, scale="small", restricted_keys=("NOBILLKEY:NOBILLSECRET:billing",))
    yield handle
    handle.stop()


@pytest.fixture
def env(sim, database_url, tmp_path):
    return simulator_env(sim.url, database_url, tmp_path / "home")


def one_clear_line(proc, *fragments: str) -> str:
    """The process failed with exactly one `error:`/`Error:` line containing every fragment, and no traceback."""
    assert proc.returncode not in (0, None), proc.stdout[-2000:]
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr[-4000:]
    errors = [line for line in proc.stderr.splitlines() if line.lower().startswith("error:")]
    assert len(errors) == 1, proc.stderr[-4000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_malformed_mapping_file_fails_before_any_collection(sim, env, tmp_path):
    bad = _write(tmp_path, "mapping.yaml", "teams: [unclosed\n  - :")
    sim.clear_requests()
    proc = run_cli(["materialize", *RANGE], env | {"BILLING_PORTAL_MAPPING_FILE": bad}, check=False)
    one_clear_line(proc, "mapping file", bad, "line 2", "invalid YAML")
    assert sim.requests == [], "a bad mapping file must be refused before any Confluent call"


def test_mapping_file_that_does_not_exist(sim, env, tmp_path):
    missing = str(tmp_path / "nope.yaml")
    proc = run_cli(["materialize", *RANGE], env | {"BILLING_PORTAL_MAPPING_FILE": missing}, check=False)
    one_clear_line(proc, missing)


def test_malformed_allocation_file(sim, env, tmp_path):
    bad = _write(tmp_path, "allocation.yaml", "shared_splits: {KAFKA_NUM_CKUS: {usage: 2, even: -1}}\n")
    proc = run_cli(["materialize", *RANGE], env | {"BILLING_PORTAL_ALLOCATION_FILE": bad}, check=False)
    one_clear_line(proc, bad)


@pytest.mark.parametrize("args, fragments", [
    (["--start", "2025-13-01", "--end", "2025-12-02"], ["--start must be a date YYYY-MM-DD", "2025-13-01"]),
    (["--start", "2025-06-01", "--end", "tomorrow"], ["--end must be a date YYYY-MM-DD", "tomorrow"]),
    (["--start", "2025-06-05", "--end", "2025-06-01"], ["must be before --end"]),
    (["--start", "2024-06-01", "--end", "2024-06-02"], ["before BILLING_START_DATE"]),
    (["--start", (TODAY - dt.timedelta(days=1)).isoformat(), "--end", (TODAY + dt.timedelta(days=2)).isoformat()],
     ["after the newest complete day"]),
], ids=["bad-start", "bad-end", "reversed", "before-start-date", "future"])
def test_bad_dates(env, args, fragments):
    one_clear_line(run_cli(["materialize", *args], env, check=False), *fragments)


@pytest.mark.parametrize("variable, value, fragments", [
    ("BILLING_START_DATE", "yesterday", ["BILLING_START_DATE", "YYYY-MM-DD"]),
    ("DATABASE_URL", "mysql://root@localhost/x", ["DATABASE_URL", "postgresql://"]),
    ("CCLOUD_HTTP_MAX_ATTEMPTS", "0", ["CCLOUD_HTTP_MAX_ATTEMPTS"]),
    ("CCLOUD_API_URL", "ftp://api", ["CCLOUD_API_URL", "http(s) URL"]),
    ("CCLOUD_API_KEY", "", ["CCLOUD_API_KEY is not set"]),
], ids=["start-date", "db-scheme", "attempts", "api-url", "no-key"])
def test_bad_settings(env, variable, value, fragments):
    one_clear_line(run_cli(["materialize", *RANGE], env | {variable: value}, check=False), *fragments)


def test_unreachable_database_names_it_without_the_password(env):
    url = "postgresql://billing:hunter2-not-printed@127.0.0.1:1/warehouse"
    proc = run_cli(["materialize", *RANGE], env | {"DATABASE_URL": url}, check=False)
    line = one_clear_line(proc, "cannot connect to the database at 127.0.0.1:1/warehouse", "Connection refused")
    assert "hunter2" not in proc.stderr + proc.stdout and "hunter2" not in line
    one_clear_line(run_cli(["migrate"], env | {"DATABASE_URL": url}, check=False), "cannot connect")


def test_database_refusing_the_role(env):
    url = env["DATABASE_URL"].replace("postgresql://postgres@", "postgresql://no_such_role:pw-not-printed@")
    proc = run_cli(["materialize", *RANGE], env | {"DATABASE_URL": url}, check=False)
    one_clear_line(proc, "cannot connect to the database", 'role "no_such_role" does not exist')
    assert "pw-not-printed" not in proc.stderr + proc.stdout


def test_wrong_confluent_credentials_are_a_401_naming_the_variables_and_the_role(env):
    proc = run_cli(["materialize", *RANGE], env | {"CCLOUD_API_KEY": "WRONGKEY", "CCLOUD_API_SECRET": "WRONGSECRET"},
                   check=False)
    line = one_clear_line(proc, "401 Unauthorized", "CCLOUD_API_KEY and CCLOUD_API_SECRET", "whose owner has the role",
                          "OrganizationAdmin")
    assert "WRONGSECRET" not in proc.stderr + proc.stdout and "WRONGKEY" not in line


def test_a_key_without_the_billing_role_is_a_403_naming_the_role(env):
    proc = run_cli(["materialize", *RANGE], env | {"CCLOUD_API_KEY": "NOBILLKEY", "CCLOUD_API_SECRET": "NOBILLSECRET"},
                   check=False)
    one_clear_line(proc, "billing_costs", "403 Forbidden", "CCLOUD_API_KEY", "BillingAdmin or OrganizationAdmin")
    assert "NOBILLSECRET" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "--scale", "huge"], "Invalid value for '--scale'"),
    (["simulate", "--fault", "explode"], "unknown fault kind"),
    (["serve", "--port", "abc"], "Invalid value for '--port'"),
    (["materialize", "--start", "2025-01-01"], "Missing option '--end'"),
    (["materialize", "--start", "2025-01-01", "--end", "2025-01-02", "--job", "all"], "Invalid value for '--job'"),
    (["no-such-command"], "No such command"),
], ids=["scale", "fault", "port", "missing-end", "job", "command"])
def test_bad_command_line_usage(env, args, fragment):
    one_clear_line(run_cli(args, env, check=False, timeout=60), fragment)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("command", ["materialize", "demo"])
def test_a_dagster_home_that_cannot_exist_is_one_line_before_anything_starts(env, tmp_path, command):
    """DAGSTER_HOME under a parent that does not exist (issue 16): one line naming it, nothing started. (One whose
    parent exists is created: billing_portal_tests/unit/test_dagster_home.py.)"""
    missing = tmp_path / "no-such-parent" / "dagster"
    args = ["materialize", *RANGE] if command == "materialize" else [
        "demo", "--days", "0", "--dagster-port", str(_free_port()), "--sidecar-port", str(_free_port()),
        "--simulator-port", str(_free_port())]
    home = tmp_path / "fresh-home"
    proc = run_cli(args, env | {"DAGSTER_HOME": str(missing), "BILLING_PORTAL_HOME": str(home)}, check=False,
                   cwd=tmp_path, timeout=120)
    one_clear_line(proc, f"DAGSTER_HOME ({missing}) does not exist", "unset DAGSTER_HOME")
    assert not missing.parent.exists()
    assert not (home / "pgdata").exists() and not (home / "logs").exists(), "nothing may start"


@pytest.mark.parametrize("text, fragments", [
    ("storage: {nonsense: 1}\n", ['unexpected config entry "nonsense"', "root:storage"]),
    ("storage: [unclosed\n", ["dagster.yaml is not valid YAML", "line 2"]),
], ids=["schema", "yaml"])
def test_a_dagster_yaml_dagster_refuses_is_one_line(env, tmp_path, text, fragments):
    home = tmp_path / "dagster-home"
    home.mkdir()
    (home / "dagster.yaml").write_text(text)
    proc = run_cli(["materialize", *RANGE], env | {"DAGSTER_HOME": str(home)}, check=False)
    one_clear_line(proc, f"DAGSTER_HOME ({home}) cannot be loaded", *fragments)
