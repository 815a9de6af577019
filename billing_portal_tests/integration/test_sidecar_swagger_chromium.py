"""Swagger UI at /docs renders every operation in headless Chromium (Debian `chromium`) with no network: only
loopback is reachable (dead proxy + resolver rules), and the net log proves the page fetched nothing remote."""

from __future__ import annotations

import json
import re
import subprocess
from urllib.parse import urlsplit

from billing_portal_tests.factories import LiveServer, require_binary, sidecar_app

# Chromium's own background services (updates, accounts): requested by the browser, not the page, and blocked.
BROWSER_SERVICES = ("google.com", "googleapis.com", "gstatic.com", "googleusercontent.com")


def test_swagger_ui_renders_operations_offline(database_url, tmp_path):
    chromium = require_binary("chromium")
    with LiveServer(sidecar_app(database_url)) as srv:
        net_log = tmp_path / "net.json"
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}",
               "--proxy-server=http://127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
               f"--log-net-log={net_log}", "--virtual-time-budget=20000", "--dump-dom", f"{srv.url}/docs"]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    paths = set(re.findall(r'class="opblock-summary-path" data-path="([^"]+)"', dom))
    assert {"/v1/costs", "/v1/costs/summary", "/v1/dimensions", "/v1/confidence", "/v1/reconciliation",
            "/v1/forecast", "/v1/export/focus", "/healthz", "/readyz", "/metrics", "/api/v1/collect/billing",
            "/api/v1/collect/core-objects", "/api/v1/collect/catalog-tags", "/api/v1/collect/full",
            "/api/v1/collect/runs/{run_id}"} <= paths, dom[:2000]
    assert "Confluent Billing Portal API" in dom
    urls = set(re.findall(r'"url":"([^"]+)"', net_log.read_text()))
    page = {u for u in urls if urlsplit(u).hostname == "127.0.0.1"}
    assert {f"{srv.url}/openapi.json", f"{srv.url}/docs/static/swagger-ui-bundle.js",
            f"{srv.url}/docs/static/swagger-ui.css"} <= page
    remote = {u for u in urls - page if not (urlsplit(u).hostname or "").endswith(BROWSER_SERVICES)}
    assert not remote, f"the docs page requested remote resources: {json.dumps(sorted(remote))}"
