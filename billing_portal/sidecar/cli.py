"""`billing-portal serve`: the sidecar behind waitress (a production WSGI server); `--dev` for Flask's server.

SIGTERM, SIGINT and SIGHUP stop it cleanly (exit 0): waitress stops accepting, gives busy request threads at most
`SHUTDOWN_GRACE` seconds, and the warehouse pool is closed. The handlers are installed explicitly because inherited
dispositions cannot be trusted: a parent that ignored SIGINT (a background job of a non-interactive shell) and ran a
Dagster job in process passes SIGTERM on *ignored* (Dagster maps SIGTERM to SIGINT's disposition, and an ignored
signal survives exec), which left the sidecar deaf to `kill`.
"""

from __future__ import annotations

import logging

import click

log = logging.getLogger(__name__)

POOL_CLOSE_TIMEOUT = 2.0


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 256))
@click.option("--dev", is_flag=True, help="Flask's development server with reload (never in production).")
def serve_command(host: str, port: int, threads: int, dev: bool) -> None:
    """Serve the REST API, Swagger UI (/docs), the OpenAPI document (/openapi.json) and /metrics."""
    from billing_portal.sidecar.wsgi import create
    from billing_portal.signals import stop_on_signals

    stop_on_signals()  # first: a SIGTERM during start-up (migrations) stops it too
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create()
    if dev:
        click.echo(f"sidecar on http://{host}:{port} (docs at /docs, OpenAPI at /openapi.json, metrics at /metrics)")
        app.run(host=host, port=port, debug=True)
        return
    import waitress.server

    try:
        server = waitress.server.create_server(app, host=host, port=port, threads=threads, ident="billing-portal")
    except OSError as exc:
        app.extensions["warehouse_pool"].close(timeout=POOL_CLOSE_TIMEOUT)
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"sidecar on http://{host}:{port} (docs at /docs, OpenAPI at /openapi.json, metrics at /metrics)")
    server.print_listen("Serving on http://{}:{}")
    try:
        # Returns on KeyboardInterrupt (the handlers above raise it for SIGTERM/SIGHUP too), after waitress has
        # waited at most 5 s for busy threads (daemon threads: a request stuck on Dagster does not hold the exit).
        server.run()
    finally:
        server.close()
        app.extensions["warehouse_pool"].close(timeout=POOL_CLOSE_TIMEOUT)
    click.echo("sidecar stopped")
