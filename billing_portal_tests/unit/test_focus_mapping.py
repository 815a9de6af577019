"""The FOCUS mapping of Confluent bill lines (billing_portal/sidecar/focus.py): units, categories, services, prices."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_portal.sidecar import focus


@pytest.mark.parametrize(("confluent", "expected"), [
    ("Hour", "Hours"), ("hours", "Hours"), ("GB", "GB"), ("GB-hour", "GB-Hours"), ("CKU-hour", "CKU-Hours"),
    ("Partition-hour", "Partition-Hours"), ("CFU-minute", "CFU-Minutes"), ("Widget-hour", "Widget-Hours"),
    ("Task-hours", "Task-Hours"), ("GB/hour", "GB/Hour"), ("Requests", "Requests"), ("1000 Requests", "1000 Requests"),
    ("Qubit_hour", "Qubit hour"), ("", None), (None, None), ("   ", None), ("$$$", None),
])
def test_units_are_spelled_in_the_focus_unit_format(confluent, expected):
    assert focus.focus_unit(confluent) == expected
    if expected is not None:
        assert focus.conforms(expected)


def test_every_inferred_unit_conforms():
    assert all(focus.conforms(u) for u in focus.LINE_TYPE_UNITS.values())
    assert focus.conforms(focus.GENERIC_UNIT) and focus.conforms(focus.LINE_DAY_UNIT)


@pytest.mark.parametrize(("product", "line_type", "amount", "description", "category", "frequency"), [
    ("KAFKA", "KAFKA_NUM_CKUS", "48", None, "Usage", "Usage-Based"),
    ("SUPPORT_CLOUD_BUSINESS", "SUPPORT", "33.3", None, "Usage", "Recurring"),
    ("PROMO_CREDIT", "PROMO_CREDIT", "-40", "Promotional credit", "Credit", "Usage-Based"),
    ("KAFKA", "KAFKA_BASE", "-5", "Service credit for the outage", "Credit", "Usage-Based"),
    ("KAFKA", "KAFKA_BASE", "-5", "restated", "Usage", "Usage-Based"),
    ("TAX", "TAX", "3", None, "Tax", "One-Time"),
])
def test_charge_category_and_frequency(product, line_type, amount, description, category, frequency):
    got = focus.charge_category(product, line_type, Decimal(amount), description)
    assert got == category
    assert focus.charge_frequency(got, product, line_type) == frequency


def test_each_service_name_has_one_subcategory_of_its_category():
    seen: dict[str, tuple[str, str]] = {}
    for product in [*focus.SERVICES, "SUPPORT_CLOUD_PREMIER", "NEW_PRODUCT_X", "PROMO_CREDIT"]:
        name, category, sub = focus.service(product, "X", "Credit" if product == "PROMO_CREDIT" else "Usage")
        assert seen.setdefault(name, (category, sub)) == (category, sub)
        assert sub.startswith("Other (") or category in ("Integration", "Analytics", "Management and Governance")
    assert focus.service("SUPPORT_CLOUD_BASIC", "SUPPORT", "Usage") == ("Support", "Management and Governance",
                                                                         "Support")


def test_host_provider():
    assert focus.host_provider("aws") == "Amazon Web Services"
    assert focus.host_provider("GCP") == "Google Cloud"
    assert focus.host_provider("azure") == "Microsoft Azure"
    assert focus.host_provider(None) == "Confluent"


def test_line_pricing_multiplies_to_the_list_amount():
    billed = focus.line_pricing("KAFKA_NUM_CKUS", "CKU-hour", Decimal("2.5"), Decimal(24), Decimal(60), Decimal(48))
    assert billed == focus.Pricing("CKU-Hours", Decimal("2.5"), Decimal(24))
    # Confluent sent the row without unit and price: unit of the line type, price = list amount / quantity
    derived = focus.line_pricing("KAFKA_PARTITION", "", None, Decimal(2616), Decimal("3.924"), Decimal("3.924"))
    assert derived == focus.Pricing("Partition-Hours", Decimal("0.001500000000"), Decimal(2616))
    # no quantity at all (support): one day of the daily line at its list amount
    support = focus.line_pricing("SUPPORT", None, None, None, Decimal("33.33333"), Decimal("33.33333"))
    assert support == focus.Pricing("Days", Decimal("33.33333"), Decimal(1))
    unknown = focus.line_pricing("SOMETHING_NEW", None, Decimal("0.5"), Decimal(10), Decimal(5), Decimal(5))
    assert unknown.unit == "Units"
    negative = focus.line_pricing("KAFKA_BASE", "Hour", Decimal("-1.5"), Decimal(24), Decimal(-36), Decimal(-36))
    assert negative.list_unit_price == Decimal("1.5") and negative.quantity == -24
