"""Flask (APIFlask) application factory of the sidecar: REST API, OpenAPI document, Swagger UI and /metrics."""

from __future__ import annotations

import logging

from apiflask import APIFlask
from flask import Response, current_app, request

from billing_portal import __version__
from billing_portal.config import Settings, get_settings
from billing_portal.sidecar import auth
from billing_portal.sidecar.dagster_client import DagsterLauncher
from billing_portal.sidecar.db import make_pool
from billing_portal.sidecar.docs_assets import configure_docs
from billing_portal.sidecar.errors import register_error_handlers
from billing_portal.sidecar.exporter import (
    MAX_SAMPLES_PER_SCRAPE,
    CostCollector,
    GaugeCache,
    load_budgets,
    render,
)
from billing_portal.sidecar.guards import register_guards
from billing_portal.sidecar.responses import ErrorEnvelope

log = logging.getLogger(__name__)

DESCRIPTION = """Chargeback/showback of Confluent Cloud: hourly cost facts allocated to principals, teams and
business units, reconciled to the bill.

* Amounts are strings with exactly 8 decimals (`"12.34000000"`), never floats; ratios are numbers.
* Timestamps are RFC3339 with an offset; ranges are `[from_ts, to_ts)`; days are UTC.
* Every error is `{"error": {"status", "code", "parameter", "message"}}`; unknown query parameters are rejected.
* The collect endpoints need `Authorization: Bearer <BILLING_PORTAL_API_TOKEN>`.
"""
DEFAULT_DAGSTER_URL = "http://localhost:3000"


def create_app(database_url: str, settings: Settings | None = None) -> APIFlask:
    settings = settings or get_settings()
    app = APIFlask(__name__, title="Confluent Billing Portal API", version=__version__,
                   spec_path="/openapi.json", docs_path="/docs", docs_ui="swagger-ui")
    token = settings.BILLING_PORTAL_API_TOKEN.get_secret_value() if settings.BILLING_PORTAL_API_TOKEN else None
    app.config.update(
        OPENAPI_VERSION="3.0.3",
        DESCRIPTION=DESCRIPTION,
        VALIDATION_ERROR_STATUS_CODE=400,
        VALIDATION_ERROR_DESCRIPTION="Invalid parameter (the envelope names it)",
        VALIDATION_ERROR_SCHEMA=ErrorEnvelope,
        HTTP_ERROR_SCHEMA=ErrorEnvelope,
        AUTO_404_RESPONSE=False,
        SECURITY_SCHEMES=auth.SECURITY_SCHEMES,
        TAGS=[{"name": "costs", "description": "Hourly cost facts, summaries and forecasts"},
              {"name": "topics", "description": "The topic view: cluster costs split over topics"},
              {"name": "dimensions", "description": "Values of the dimensions"},
              {"name": "quality", "description": "Confidence, coverage and reconciliation"},
              {"name": "export", "description": "FOCUS export"},
              {"name": "collect", "description": "Launch collection runs on Dagster (bearer token)"},
              {"name": "health", "description": "Liveness and readiness"},
              {"name": "metrics", "description": "OpenMetrics for Prometheus"}],
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
        BILLING_START_DATE=settings.BILLING_START_DATE,
        METRICS_EXPOSURE_HOURS=settings.BILLING_PORTAL_METRICS_EXPOSURE_HOURS,
        METRICS_MAX_SAMPLES_PER_SCRAPE=MAX_SAMPLES_PER_SCRAPE,
    )
    app.config[auth.CONFIG_KEY] = token.encode("utf-8") if token else None
    app.json.sort_keys = False
    app.extensions["budgets"] = load_budgets(settings.BILLING_PORTAL_BUDGETS_FILE)  # a bad file fails here, first
    app.extensions["warehouse_pool"] = make_pool(database_url)
    app.extensions["dagster"] = DagsterLauncher(settings.DAGSTER_GRAPHQL_URL or DEFAULT_DAGSTER_URL)
    app.extensions["metrics_cache"] = GaugeCache()

    register_error_handlers(app)
    register_guards(app)
    configure_docs(app)

    from billing_portal.sidecar.api import (
        collect,
        confidence,
        costs,
        dimensions,
        export_focus,
        forecast,
        health,
        ownership,
        reconciliation,
        topics,
    )

    for module in (health, costs, topics, dimensions, confidence, ownership, reconciliation, forecast,
                   export_focus, collect):
        app.register_blueprint(module.bp)

    @app.get("/metrics")
    @app.doc(summary="OpenMetrics exposition", tags=["metrics"], description=(
        "Hourly costs at their own hour's timestamp plus freshness and coverage gauges (see docs/API.md). "
        "OpenMetrics for Prometheus (Accept: application/openmetrics-text) and by default; the Prometheus text "
        "format as text/plain for text/plain clients (promtool) and browsers (Accept: text/html), so a browser "
        "shows it instead of downloading it."),
        responses={200: {"description": "OpenMetrics text", "content": {
            "application/openmetrics-text": {"schema": {"type": "string"}},
            "text/plain": {"schema": {"type": "string"}}}}, 503: "Warehouse unreachable"})
    def metrics():
        collector = CostCollector(current_app.extensions["warehouse_pool"],
                                  exposure_hours=current_app.config["METRICS_EXPOSURE_HOURS"],
                                  cache=current_app.extensions["metrics_cache"],
                                  max_samples=current_app.config["METRICS_MAX_SAMPLES_PER_SCRAPE"],
                                  budgets=current_app.extensions["budgets"])
        body, content_type = render(collector, request.headers.get("Accept"))
        return Response(body, content_type=content_type, headers={"X-Content-Type-Options": "nosniff"})

    return app


__all__ = ["create_app"]
