"""WSGI entry point for production servers other than `billing-portal serve` (which runs waitress):

    gunicorn --workers 4 --bind 0.0.0.0:8000 'billing_portal.sidecar.wsgi:create()'
    waitress-serve --port 8000 --call billing_portal.sidecar.wsgi:create

Settings come from the environment and `.env` (DATABASE_URL, BILLING_PORTAL_API_TOKEN, DAGSTER_GRAPHQL_URL, …);
pending migrations are applied first. Flask's own server is for development only (`billing-portal serve --dev`).
"""

from __future__ import annotations

from apiflask import APIFlask

from billing_portal.config import get_settings


def create() -> APIFlask:
    from billing_portal.sidecar.app import create_app
    from billing_portal.warehouse.connection import resolve_database_url
    from billing_portal.warehouse.migrate import migrate

    settings = get_settings()
    url = resolve_database_url(settings)
    migrate(url)
    return create_app(url, settings)
