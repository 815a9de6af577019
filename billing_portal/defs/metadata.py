"""Numeric Dagster metadata, so the Dagster UI can plot a value across materializations: amounts as floats in USD,
shares as ratios (0.017873 is 1.7873 %, 6 decimals as in the API). The exact amounts (8 decimals) stay in the
warehouse and the API; text stays text (statuses, reasons, timestamps)."""

from __future__ import annotations

from decimal import Decimal

from dagster import MetadataValue


def usd(amount: Decimal | str | float | int) -> MetadataValue:
    return MetadataValue.float(float(Decimal(str(amount))))


def ratio(value: Decimal | float) -> MetadataValue:
    return MetadataValue.float(round(float(value), 6))
