"""`billing-portal serve`: the sidecar behind waitress (a production WSGI server); `--dev` for Flask's server."""

from __future__ import annotations

import click

from billing_portal.config import get_settings


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--dev", is_flag=True, help="Flask's development server with reload (never in production).")
def serve_command(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the REST API, Swagger UI (/docs) and /metrics."""
    from billing_portal.sidecar.app import create_app  # noqa: PLC0415
    from billing_portal.warehouse.connection import resolve_database_url  # noqa: PLC0415
    from billing_portal.warehouse.migrate import migrate  # noqa: PLC0415

    url = resolve_database_url(get_settings())
    migrate(url)
    app = create_app(url)
    click.echo(f"sidecar on http://{host}:{port} (docs at /docs, metrics at /metrics)")
    if dev:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress  # noqa: PLC0415

        waitress.serve(app, host=host, port=port, threads=threads, ident="billing-portal")
