"""`billing-portal` command line. Each capability contributes its own click command; this module wires them up
and turns every user-facing error into one line and a non-zero exit (never a traceback)."""

from __future__ import annotations

import importlib
import logging
import sys

import click

from billing_portal.errors import BillingPortalError

# (module, attribute) of each sub-command; imported lazily so `billing-portal --help` stays fast.
COMMANDS = {
    "simulate": ("billing_portal.simulator.cli", "simulate"),
    "migrate": ("billing_portal.warehouse.cli", "migrate_command"),
    "db": ("billing_portal.warehouse.cli", "db_group"),
    "materialize": ("billing_portal.pipeline_cli", "materialize_command"),
    "serve": ("billing_portal.sidecar.cli", "serve_command"),
    "demo": ("billing_portal.demo", "demo_command"),
    "bench": ("billing_portal.bench.cli", "bench_command"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as exc:
            reason = str(exc)  # `exc` is unbound once the except block ends; the command runs later

            @click.command(name=name, help=f"(unavailable: {reason})")
            def unavailable():
                raise click.ClickException(f"'{name}' is not available in this build: {reason}")

            return unavailable


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def cli(verbose: bool) -> None:
    """Confluent Billing Portal: chargeback/showback for Confluent Cloud."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not verbose:
        # Dagster's local instance storage announces every schema stamp at INFO: noise for an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="billing-portal", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BillingPortalError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
