"""`billing-portal migrate` and `billing-portal db …`."""

from __future__ import annotations

import click

from billing_portal.config import get_settings
from billing_portal.warehouse.connection import describe_url, resolve_database_url
from billing_portal.warehouse.migrate import migrate


@click.command("migrate")
def migrate_command() -> None:
    """Apply pending warehouse migrations (also applied on start)."""
    url = resolve_database_url(get_settings())
    applied = migrate(url)
    where = describe_url(url)
    if applied:
        for m in applied:
            click.echo(f"applied {m.version:04d}_{m.name} on {where}")
    else:
        click.echo(f"warehouse at {where} is up to date")


@click.group("db")
def db_group() -> None:
    """The embedded PostgreSQL (used when DATABASE_URL is not set)."""


@db_group.command("url")
def db_url() -> None:
    """Print the warehouse URL (starting the embedded server if needed)."""
    click.echo(resolve_database_url(get_settings()))


@db_group.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL."""
    from billing_portal.warehouse.embedded import stop_embedded

    click.echo("stopped" if stop_embedded(get_settings().home) else "not running")
