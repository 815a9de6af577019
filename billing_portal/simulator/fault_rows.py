"""Extra bill rows injected by the billing data faults (``bad-rows``, ``unknown-lines``, ``negative-amounts``).

They are built deterministically from the model and the day, in the same row shape as ``billing.py``; the
``bad-rows`` ones are deliberately malformed.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from billing_portal.simulator.billing import api_version
from billing_portal.simulator.model import OrgModel


def _base(day: date, flavor: str, suffix: str) -> dict[str, Any]:
    return {"api_version": api_version(flavor), "kind": "Cost", "id": f"dlz-f{suffix}",
            "start_date": day.isoformat(), "end_date": (day + timedelta(days=1)).isoformat(), "granularity": "DAILY"}


def _cluster_resource(model: OrgModel) -> dict[str, Any]:
    c = next(c for c in model.kafka_clusters if not c.idle)
    return {"id": c.id, "display_name": c.display_name, "environment": {"id": c.env_id}}


def bad_rows(model: OrgModel, day: date, flavor: str) -> list[dict[str, Any]]:
    res = _cluster_resource(model)
    no_amount = _base(day, flavor, "bad01") | {
        "network_access_type": "INTERNET", "product": "KAFKA", "line_type": "KAFKA_BASE", "price": 1.5,
        "unit": "Hour", "quantity": 24.0, "original_amount": 36.0, "discount_amount": 0.0, "resource": res}
    bad_date = _base(day, flavor, "bad02") | {
        "start_date": f"{day.year}-13-45", "end_date": "not-a-date", "network_access_type": "INTERNET",
        "product": "KAFKA", "line_type": "KAFKA_PARTITION", "price": 0.0015, "unit": "Partition-hour",
        "quantity": 240.0, "original_amount": 0.36, "discount_amount": 0.0, "amount": 0.36, "resource": res}
    not_a_number = _base(day, flavor, "bad03") | {
        "network_access_type": "INTERNET", "product": "KAFKA", "line_type": "KAFKA_STORAGE",
        "original_amount": "12,50", "discount_amount": 0.0, "amount": "12,50", "resource": res}
    return [no_amount, bad_date, not_a_number]


def unknown_lines(model: OrgModel, day: date, flavor: str) -> list[dict[str, Any]]:
    env = model.environments[-1]
    return [
        _base(day, flavor, "unk01") | {
            "network_access_type": "INTERNET", "product": "QUANTUM_STREAMS", "line_type": "QUBIT_HOURS",
            "price": 0.75, "unit": "Qubit-hour", "quantity": 24.0, "original_amount": 18.0,
            "discount_amount": 0.0, "amount": 18.0,
            "resource": {"id": "qs-000001", "display_name": "quantum", "environment": {"id": env.id}}},
        _base(day, flavor, "unk02") | {
            "network_access_type": "INTERNET", "product": "KAFKA", "line_type": "KAFKA_HYPER_TIER",
            "price": 0.125, "unit": "Hour", "quantity": 24.0, "original_amount": 3.0, "discount_amount": 0.0,
            "amount": 3.0, "resource": _cluster_resource(model)},
    ]


def negative_amounts(model: OrgModel, day: date, flavor: str) -> list[dict[str, Any]]:
    res = _cluster_resource(model)
    return [
        _base(day, flavor, "neg01") | {
            "network_access_type": "INTERNET", "product": "KAFKA", "line_type": "KAFKA_BASE",
            "original_amount": -5.5, "discount_amount": 0.0, "amount": -5.5,
            "description": "Service credit for the 2h degradation", "resource": res},
        _base(day, flavor, "neg02") | {
            "network_access_type": "INTERNET", "product": "KAFKA", "line_type": "KAFKA_PARTITION",
            "price": 0.0015, "unit": "Partition-hour", "quantity": 100.0, "original_amount": 0.15,
            "discount_amount": 1.65, "amount": -1.5, "resource": res},
    ]


BUILDERS = {"bad-rows": bad_rows, "unknown-lines": unknown_lines, "negative-amounts": negative_amounts}
