"""The user documentation stays true to the code: README_EN.md and README_PT.md list every setting, dashboard,
alert, asset, job and schedule, are equivalent (same sections, same tables, same code references), and every
relative link of the documentation resolves to a file and heading that exist."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from billing_portal.config import Settings

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
READMES = [DOCS / "README_EN.md", DOCS / "README_PT.md"]
MINE = READMES + [DOCS / "SETUP_REAL_DATA.md", DOCS / "ARCHITECTURE.md", DOCS / "PROMQL_EXAMPLES.md"]


def env_example_keys() -> set[str]:
    return {line.split("=", 1)[0].strip() for line in (REPO / ".env.example").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#") and "=" in line}


def code_spans(text: str) -> set[str]:
    return set(re.findall(r"`([^`\n]+)`", text))


@pytest.mark.parametrize("doc", READMES, ids=lambda p: p.name)
def test_every_setting_is_documented(doc):
    text = doc.read_text()
    spans = " ".join(code_spans(text))
    names = set(Settings.model_fields) | env_example_keys()
    missing = sorted(n for n in names if not re.search(rf"\b{n}\b", spans))
    assert not missing, f"{doc.name} does not document {missing}"


@pytest.mark.parametrize("doc", READMES, ids=lambda p: p.name)
def test_dashboards_alerts_assets_jobs_and_schedules_are_documented(doc):
    from billing_portal.definitions import load_defs
    from billing_portal.jobs import JOBS, SCHEDULES

    text = doc.read_text()
    spans = code_spans(text)
    for f in (REPO / "grafana" / "dashboards").glob("*.json"):
        assert f.name in spans and json.loads(f.read_text())["uid"] in spans, (doc.name, f.name)
    for f in (REPO / "prometheus" / "rules").glob("*.yml"):
        for group in yaml.safe_load(f.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["alert"] in spans, (doc.name, rule["alert"])
    assets = {k.to_user_string() for k in load_defs().resolve_asset_graph().get_all_asset_keys()}
    assert assets and not sorted(a for a in assets if a not in spans), (doc.name, sorted(assets - spans))
    for item in [*JOBS, *SCHEDULES]:
        assert item.name in spans, (doc.name, item.name)


def test_english_and_portuguese_are_equivalent():
    en, pt = (p.read_text() for p in READMES)
    assert len(re.findall(r"^## ", en, re.M)) == len(re.findall(r"^## ", pt, re.M))
    assert len(re.findall(r"^\|", en, re.M)) == len(re.findall(r"^\|", pt, re.M)), "same tables, same rows"
    assert en.count("```") == pt.count("```")
    # Code, names and commands are the same in both languages (only prose is translated).
    words = re.compile(r"^[\w.:/{}$*\-|@=<>\[\], ()'\"…+→]+$")
    en_code = {s for s in code_spans(en) if words.match(s)}
    pt_code = {s for s in code_spans(pt) if words.match(s)}
    assert en_code == pt_code, (sorted(en_code - pt_code), sorted(pt_code - en_code))


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    s = unicodedata.normalize("NFC", heading.strip().lower())
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


@pytest.mark.parametrize("doc", MINE + [REPO / "README.md"], ids=lambda p: p.name)
def test_relative_links_resolve(doc):
    text = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links
    for link in links:
        if re.match(r"[a-z]+://", link):
            continue
        target, _, anchor = link.partition("#")
        path = (doc.parent / target).resolve() if target else doc
        assert path.exists(), (doc.name, link)
        if anchor and path.suffix == ".md":
            assert anchor in anchors(path), (doc.name, link, sorted(anchors(path))[:50])


def test_readme_links_every_document():
    readme = (REPO / "README.md").read_text()
    for p in MINE:
        assert f"(docs/{p.name})" in readme, p.name


def test_setup_and_architecture_cover_what_a_newcomer_needs():
    setup = (DOCS / "SETUP_REAL_DATA.md").read_text()
    for needle in ("BillingAdmin", "OrganizationAdmin", "MetricsViewer", "Schema Registry", "72 hours",
                   "daily_chargeback_schedule", "restatement_window_schedule", "Launch backfill",
                   "RESTATEMENT_WINDOW_DAYS", "BILLING_START_DATE", "usage_capture_schedule",
                   "usage_expired_before_capture", "USAGE_PROMETHEUS_URL", "METRICS_RETENTION_DAYS",
                   "before_first_observation"):
        assert needle in setup, needle
    arch = (DOCS / "ARCHITECTURE.md").read_text()
    diagram, model = re.findall(r"```mermaid\n(.*?)```", arch, flags=re.S)
    # the data model at the centre: what derives from the tables and the line types
    for name in ("model/tables.py", "model/line_types.py", "RULE_OF_LINE_TYPE", "deps", "test_model_tables.py"):
        assert name in model, name
    for name in ("billing_costs", "principal_usage", "ownership", "hourly_cost_facts", "cost_confidence",
                 "cost_daily", "cost_hourly_team", "dagster-webserver", "dagster-daemon", "/metrics", "Prometheus",
                 "Grafana", "sidecar_metric_ledger"):
        assert name in diagram, name
    compose = yaml.safe_load((REPO / "docker" / "docker-compose.yml").read_text())
    for service in compose["services"]:
        assert f"`{service}`" in arch, service
