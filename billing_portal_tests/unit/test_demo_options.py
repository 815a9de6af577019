"""`billing-portal demo` binds the Dagster UI and the sidecar to 127.0.0.1 unless `--host` asks for another
interface (issue 16); docker compose binds every interface inside its containers (see
billing_portal_tests/integration/test_docker_compose.py)."""

from __future__ import annotations

from click.testing import CliRunner

from billing_portal.demo import LOOPBACK, browsable, demo_command, service_commands


def _bound(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_a_local_demo_listens_on_loopback_unless_asked():
    assert {p.name: p for p in demo_command.params}["host"].default == LOOPBACK == "127.0.0.1"
    local = service_commands(LOOPBACK, 3000, 8000)
    assert _bound(local["dagster-webserver"], "-h") == "127.0.0.1"
    assert _bound(local["dagster-webserver"], "-p") == "3000"
    assert _bound(local["sidecar"], "--host") == "127.0.0.1" and _bound(local["sidecar"], "--port") == "8000"
    asked = service_commands("0.0.0.0", 3100, 8100)
    assert _bound(asked["dagster-webserver"], "-h") == _bound(asked["sidecar"], "--host") == "0.0.0.0"
    assert "0.0.0.0" not in " ".join(" ".join(argv) for argv in local.values())


def test_the_address_shown_is_one_a_browser_opens():
    assert browsable("127.0.0.1") == "127.0.0.1"
    assert browsable("0.0.0.0") == browsable("::") == "127.0.0.1"
    assert browsable("192.168.1.20") == "192.168.1.20"


def test_help_names_the_host_option():
    out = CliRunner().invoke(demo_command, ["--help"]).output
    assert "--host" in out and "127.0.0.1" in out
