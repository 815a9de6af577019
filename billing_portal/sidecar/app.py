"""Flask application factory for the sidecar."""

from __future__ import annotations

from apiflask import APIFlask
from flask import Response, current_app

from billing_portal import __version__
from billing_portal.sidecar.db import make_pool

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def create_app(database_url: str) -> APIFlask:
    app = APIFlask(__name__, title="Confluent Billing Portal API", version=__version__,
                   spec_path="/openapi.json", docs_path="/docs")
    app.extensions["warehouse_pool"] = make_pool(database_url)

    from billing_portal.sidecar.api import costs, health  # noqa: PLC0415

    app.register_blueprint(health.bp)
    app.register_blueprint(costs.bp)

    @app.get("/metrics")
    @app.doc(summary="OpenMetrics exposition of hourly costs", tags=["metrics"])
    def metrics():
        from billing_portal.sidecar.exporter import render  # noqa: PLC0415

        return Response(render(current_app.extensions["warehouse_pool"]), mimetype=None, content_type=OPENMETRICS)

    return app
