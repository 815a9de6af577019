"""`billing-portal serve`: the sidecar behind waitress (a production WSGI server); `--dev` for Flask's server."""

from __future__ import annotations

import logging

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--dev", is_flag=True, help="Flask's development server with reload (never in production).")
def serve_command(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the REST API, Swagger UI (/docs), the OpenAPI document (/openapi.json) and /metrics."""
    from billing_portal.sidecar.wsgi import create

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create()
    click.echo(f"sidecar on http://{host}:{port} (docs at /docs, OpenAPI at /openapi.json, metrics at /metrics)")
    if dev:
        app.run(host=host, port=port, debug=True)
    else:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, ident="billing-portal")
