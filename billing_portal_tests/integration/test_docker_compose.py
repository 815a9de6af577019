"""docker/docker-compose.yml without a Docker engine: services, healthchecks, ports, mounts of files that exist,
every ${VAR} documented in .env.example, and the pieces each container relies on (workspace, dagster.yaml
variables, WSGI entry point, Prometheus and Grafana configuration) consistent with the repository."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
import yaml

from billing_portal.sidecar.exporter import load_budgets

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
SERVICES = {"postgres", "dagster-code", "dagster-webserver", "dagster-daemon", "sidecar", "prometheus", "grafana"}
PYTHON_SERVICES = {"dagster-code", "dagster-webserver", "dagster-daemon", "sidecar"}
VAR_RE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?+-][^}]*)?\}|(?<!\$)\$([A-Za-z_][A-Za-z0-9_]*)")


def env_example() -> dict[str, str]:
    out = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def substitute(value: str, env: dict[str, str]) -> str:
    return VAR_RE.sub(lambda m: env.get(m.group(1) or m.group(2), ""), value)


def test_services_and_healthchecks(compose):
    services = compose["services"]
    assert set(services) == SERVICES
    for name, svc in services.items():
        hc = svc.get("healthcheck")
        assert hc and hc["test"][0] in ("CMD", "CMD-SHELL") and hc.get("interval"), name
        for dep, cond in (svc.get("depends_on") or {}).items():
            assert dep in services, (name, dep)
            if cond["condition"] == "service_healthy":
                assert services[dep].get("healthcheck"), (name, dep)
    pg = services["postgres"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    data_volume = next(v for v in pg["volumes"] if v.endswith(":/var/lib/postgresql/data"))
    assert data_volume.split(":")[0] in compose["volumes"], "named volume for PostgreSQL data"
    for name in PYTHON_SERVICES:
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy", name


def test_every_variable_is_in_env_example(compose):
    documented = env_example()
    text = (DOCKER / "docker-compose.yml").read_text()
    used = {m.group(1) or m.group(2) for m in VAR_RE.finditer(text)}
    assert used, "the compose file takes its settings from docker/.env"
    missing = used - set(documented)
    assert not missing, f"used in docker-compose.yml but not in .env.example: {sorted(missing)}"
    # Grafana expands ${VAR} in provisioning files from its container's environment.
    grafana_env = compose["services"]["grafana"]["environment"]
    for f in (REPO / "grafana" / "provisioning").rglob("*.yaml"):
        for m in VAR_RE.finditer(f.read_text()):
            assert (m.group(1) or m.group(2)) in grafana_env, (f.name, m.group(0))


def test_ports_are_distinct_and_reach_the_right_container_port(compose):
    env = env_example()
    expected = {"postgres": 5432, "dagster-webserver": 3000, "sidecar": 8000, "prometheus": 9090, "grafana": 3000}
    host_ports = []
    for name, container_port in expected.items():
        (mapping,) = compose["services"][name]["ports"]
        host, _, container = substitute(mapping, env).rpartition(":")
        assert int(container) == container_port, name
        assert host.isdigit(), (name, mapping)
        host_ports.append(int(host))
    assert len(set(host_ports)) == len(host_ports), f"host ports collide: {host_ports}"
    assert env["GRAFANA_PORT"] == "3000" and env["SIDECAR_PORT"] == "8000"


def test_servers_listen_on_every_interface_inside_their_containers(compose):
    """Inside a container 0.0.0.0 is right (the published port decides what the host exposes); the local demo binds
    127.0.0.1 instead (billing_portal_tests/unit/test_demo_options.py)."""
    services = compose["services"]
    web = services["dagster-webserver"]["command"]
    assert web[web.index("-h") + 1] == "0.0.0.0"
    code = services["dagster-code"]["command"]
    assert code[code.index("-h") + 1] == "0.0.0.0"
    sidecar = services["sidecar"]["command"]
    assert sidecar[sidecar.index("--bind") + 1] == "0.0.0.0:8000"


def test_mounted_files_and_build_inputs_exist(compose):
    mounts = 0
    for name, svc in compose["services"].items():
        for vol in svc.get("volumes", []):
            source = vol.split(":")[0]
            if source.startswith((".", "/")):
                assert (DOCKER / source).resolve().exists(), (name, vol)
                mounts += 1
            else:
                assert source in compose["volumes"], (name, vol)
    assert mounts >= 6
    grafana_mounts = {v.split(":")[1] for v in compose["services"]["grafana"]["volumes"]}
    assert {"/etc/grafana/provisioning/datasources", "/etc/grafana/provisioning/dashboards",
            "/var/lib/grafana/dashboards"} <= grafana_mounts
    build = compose["services"]["sidecar"]["build"]
    context = (DOCKER / build["context"]).resolve()
    dockerfile = context / build["dockerfile"]
    assert dockerfile.is_file()
    for line in dockerfile.read_text().splitlines():
        if line.startswith("COPY "):
            for src in line.split()[1:-1]:
                assert (context / src).exists(), line


def test_python_services_are_wired_to_each_other(compose):
    services = compose["services"]
    dagster_yaml = (REPO / "dagster.yaml").read_text()
    instance_vars = set(re.findall(r"env: (\w+)", dagster_yaml))
    assert instance_vars == {"DAGSTER_PG_HOST", "DAGSTER_PG_USER", "DAGSTER_PG_PASSWORD", "DAGSTER_PG_DB"}
    for name in PYTHON_SERVICES:
        env = services[name]["environment"]
        assert instance_vars <= set(env), name
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
    # The webserver and the daemon load the code server named in the workspace, on its port.
    workspace = yaml.safe_load((DOCKER / "workspace.yaml").read_text())
    grpc = workspace["load_from"][0]["grpc_server"]
    assert grpc["host"] == "dagster-code"
    code_cmd = services["dagster-code"]["command"]
    assert code_cmd[:3] == ["dagster", "code-server", "start"]
    assert code_cmd[code_cmd.index("-p") + 1] == str(grpc["port"])
    assert code_cmd[code_cmd.index("-m") + 1] == "billing_portal.definitions"
    assert "/opt/dagster/app/workspace.yaml" in services["dagster-webserver"]["command"]
    assert "/opt/dagster/app/workspace.yaml" in services["dagster-daemon"]["command"]
    assert "COPY docker/workspace.yaml /opt/dagster/app/workspace.yaml" in (DOCKER / "Dockerfile").read_text()
    # The sidecar runs under gunicorn on the WSGI factory, and launches collect runs on the webserver.
    cmd = services["sidecar"]["command"]
    assert cmd[0] == "gunicorn"
    module, _, call = cmd[-1].partition(":")
    assert call == "create()" and callable(importlib.import_module(module).create)
    assert services["sidecar"]["environment"]["DAGSTER_GRAPHQL_URL"] == "http://dagster-webserver:3000"


def test_prometheus_and_grafana_configuration(compose):
    repo_cfg = yaml.safe_load((REPO / "prometheus" / "prometheus.yml").read_text())
    compose_cfg = yaml.safe_load((DOCKER / "prometheus" / "prometheus.yml").read_text())
    assert compose_cfg["scrape_configs"][0]["static_configs"][0]["targets"] == ["sidecar:8000"]
    compose_cfg["scrape_configs"][0]["static_configs"][0]["targets"] = repo_cfg["scrape_configs"][0][
        "static_configs"][0]["targets"]
    assert compose_cfg == repo_cfg, "docker/prometheus/prometheus.yml differs from prometheus/prometheus.yml"
    prom = compose["services"]["prometheus"]
    assert "../prometheus/rules:/etc/prometheus/rules:ro" in prom["volumes"]
    assert any(a.startswith("--storage.tsdb.retention.time=") for a in prom["command"])
    version = re.search(r"v(\d+)\.(\d+)", prom["image"])
    assert (int(version.group(1)), int(version.group(2))) >= (2, 39), "out-of-order ingestion needs ≥ 2.39"
    datasources = yaml.safe_load((REPO / "grafana/provisioning/datasources/billing-portal.yaml").read_text())
    prom_ds = next(d for d in datasources["datasources"] if d["type"] == "prometheus")
    assert prom_ds["url"] == "http://prometheus:9090"
    assert compose["services"]["grafana"]["environment"]["GRAFANA_WAREHOUSE_HOST"] == "postgres:5432"
    assert load_budgets(DOCKER / "config" / "budgets.yml"), "the mounted example budgets file is valid"
