"""`billing-portal bench`: see `billing_portal/bench/runner.py` and docs/PERFORMANCE.md."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("bench")
@click.option("--scale", type=click.Choice(["small", "medium", "large"]), default="large", show_default=True,
              help="The simulator's organization size.")
@click.option("--days", type=click.IntRange(0, 400), default=3, show_default=True,
              help="Days of the backfill (one run), before the measured day.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write every figure to this JSON file.")
@click.option("--api-days", type=click.IntRange(1, 400), default=30, show_default=True,
              help="Days of data the API is measured on (missing days are SQL copies of the measured day).")
@click.option("--api-fact-days", type=click.IntRange(1, 400), default=30, show_default=True,
              help="Of the --api-days, the newest that get a copy of the facts (the /v1/costs pages are measured on "
                   "those); every day gets the rollups.")
@click.option("--api-requests", type=click.IntRange(1, 100000), default=200, show_default=True,
              help="Requests per endpoint.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--keep", is_flag=True, help="Keep the temporary home and database (for inspection).")
def bench_command(scale: str, days: int, json_path: Path | None, api_days: int, api_fact_days: int,
                  api_requests: int, seed: int, keep: bool) -> None:
    """Measure the pipeline against this machine's COPY limit and the API's latency, on a fresh database."""
    from billing_portal.bench.runner import Bench, render

    bench = Bench(scale=scale, days=days, api_days=api_days, api_fact_days=api_fact_days,
                  api_requests=api_requests, seed=seed, keep=keep,
                  echo=lambda m: click.echo(m, err=True))
    res = bench.run()
    click.echo(render(res))
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(res, indent=2, default=str) + "\n")
        click.echo(f"\nwritten: {json_path}")
