"""``billing-portal simulate``: serve the Confluent Cloud simulator until Ctrl-C."""

from __future__ import annotations

import click

from billing_portal.signals import stop_on_signals
from billing_portal.simulator import faults as faults_module
from billing_portal.simulator.billing import FLAVORS
from billing_portal.simulator.config import LIVE_BILLING_LAG_HOURS, LIVE_METRICS_RETENTION_DAYS, RestrictedKey
from billing_portal.simulator.faults import FaultSpecError, parse_fault
from billing_portal.simulator.scales import SCALES
from billing_portal.simulator.server import make_config, serve_forever
from billing_portal.simulator.testing import MovableClock, parse_instant

# the fault reference of faults.py, kept verbatim (\b stops click from rewrapping each paragraph)
FAULT_HELP = "\n\n".join("\b\n" + para for para in faults_module.__doc__.strip().split("\n\n")[1:])


def _faults(ctx, param, values):
    for spec in values:
        try:
            parse_fault(spec)
        except FaultSpecError as exc:
            raise click.BadParameter(str(exc)) from None
    return tuple(values)


def _restricted(ctx, param, values):
    try:
        return tuple(RestrictedKey.parse(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command(name="simulate", epilog="Fault specs (--fault):\n\n" + FAULT_HELP,
               context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 120})
@click.option("--port", type=click.IntRange(0, 65535), required=True, help="Port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--seed", type=int, default=42, show_default=True, help="Seed of the generated organization.")
@click.option("--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True,
              help="Size of the organization (small: demo/tests; medium, large: benchmark).")
@click.option("--api-key", default="SIMKEY", show_default=True, help="Cloud API key (Basic auth user).")
@click.option("--api-secret", default="SIMSECRET", show_default=True, help="Cloud API secret.")
@click.option("--sr-api-key", default="SIMSRKEY", show_default=True, help="Schema Registry key (catalog).")
@click.option("--sr-api-secret", default="SIMSRSECRET", show_default=True, help="Schema Registry secret.")
@click.option("--restricted-key", "restricted_keys", multiple=True, callback=_restricted, metavar="K:S:FAMILIES",
              help="A key lacking roles on some API families, e.g. K:S:billing,metrics (403 there). Repeatable.")
@click.option("--fault", "fault_specs", multiple=True, callback=_faults, metavar="SPEC",
              help="Inject a fault (see below). Repeatable.")
@click.option("--billing-lag-hours", type=click.FloatRange(min=0), default=LIVE_BILLING_LAG_HOURS, show_default=True,
              help="Days whose end is less than this many hours ago have no billing rows yet (live: up to 72).")
@click.option("--metrics-retention-days", type=click.IntRange(min=0), default=LIVE_METRICS_RETENTION_DAYS,
              show_default=True, help="The Metrics API answers only for this many days back (live: about 7; 0: "
                                      "forever, which no live org does).")
@click.option("--legacy-billing", is_flag=True,
              help="Bill Basic/Standard/Enterprise clusters as an org created before 2024-04-16 does (KAFKA_BASE + "
                   "KAFKA_PARTITION) instead of eCKU-hours (KAFKA_NUM_CKUS).")
@click.option("--clock", "clock_start", default=None, metavar="RFC3339",
              help="Start the simulator's clock frozen at this UTC instant (e.g. 2026-10-01T06:00:00Z); move it with "
                   "PUT /_simulator/clock. Default: the wall clock.")
@click.option("--flavor", type=click.Choice(FLAVORS), default="live", show_default=True,
              help="live: the live API's quirks (api_version v1, singular line types, missing fields); "
                   "spec: the OpenAPI spec's shapes.")
@click.option("--public-url", default=None, help="Base URL to put in links (default: from the request's Host).")
@click.option("--api-rate-limit", type=click.IntRange(min=1), default=None,
              help="Enforce this many requests/minute per key on api paths (default: advertised, not enforced).")
@click.option("--telemetry-rate-limit", type=click.IntRange(min=1), default=None,
              help="Enforce this many requests/minute per key on the telemetry API.")
def simulate(port, host, seed, scale, api_key, api_secret, sr_api_key, sr_api_secret, restricted_keys, fault_specs,
             billing_lag_hours, metrics_retention_days, legacy_billing, clock_start, flavor, public_url, api_rate_limit,
             telemetry_rate_limit):
    """Serve a faithful simulator of the Confluent Cloud APIs (billing, core objects, connectors, telemetry and
    Stream Catalog) for a deterministic organization, until Ctrl-C."""
    try:
        config = make_config(seed=seed, scale=scale, api_key=api_key, api_secret=api_secret, sr_api_key=sr_api_key,
                             sr_api_secret=sr_api_secret, restricted_keys=restricted_keys, faults=fault_specs,
                             billing_lag_hours=billing_lag_hours, flavor=flavor, public_url=public_url,
                             api_rate_limit=api_rate_limit, telemetry_rate_limit=telemetry_rate_limit,
                             metrics_retention_days=metrics_retention_days,
                             billing_model="legacy" if legacy_billing else "ecku")
        clock = MovableClock(parse_instant(clock_start)) if clock_start else None
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None

    def ready(url, state):
        m = state.model
        click.echo(f"Confluent Cloud simulator listening on {url} (seed={seed}, scale={scale}, flavor={flavor})")
        click.echo(f"  org {m.organization.id}: {len(m.environments)} environments, {len(m.kafka_clusters)} Kafka "
                   f"clusters, {len(m.principal_ids)} principals")
        click.echo(f"  Cloud key {api_key} / SR key {sr_api_key}; faults: {len(state.faults.active())}")
        click.echo("  press Ctrl-C to stop")

    stop_on_signals()
    try:
        serve_forever(config, host=host, port=port, on_ready=ready, clock=clock)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    click.echo("simulator stopped")
