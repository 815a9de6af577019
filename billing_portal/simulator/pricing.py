"""Price list (USD, realistic list prices) and the exact amount rule used by every simulated bill row.

Amount rule (exact decimal arithmetic, ``Decimal``, rounding half-even to 8 places):

    original_amount = round8(quantity × price)
    discount_amount = round8(original_amount × discount_rate)
    amount          = original_amount − discount_amount

Every amount is emitted as a JSON double; all values stay below 15 significant digits so the double's shortest
text (``repr``) is exactly the decimal above. Discount rates: 20 % on Kafka CKUs (a committed-use discount), 10 % on
ksqlDB CSUs, 0 elsewhere — in particular network lines are undiscounted, so for them ``amount = quantity × price``.
Rows without price/quantity (support, promo credits) carry their amounts directly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

Q8 = Decimal("0.00000001")
Q6 = Decimal("0.000001")
GB = Decimal(2**30)  # the billing API's GB is 2^30 bytes (a GiB), as live
GB_PLACES = Decimal("1e-9")  # quantities in GB are served with 9 decimals


def round8(value: Decimal) -> Decimal:
    return value.quantize(Q8, rounding=ROUND_HALF_EVEN)


def round6(value: Decimal) -> Decimal:
    return value.quantize(Q6, rounding=ROUND_HALF_EVEN)


def amounts(quantity: Decimal, price: Decimal, discount_rate: Decimal = Decimal(0)) -> tuple[Decimal, Decimal, Decimal]:
    original = round8(quantity * price)
    discount = round8(original * discount_rate)
    return original, discount, original - discount


def bytes_to_gb(total_bytes: int) -> Decimal:
    """Bytes in GB of 2^30 bytes, rounded half-even to 9 decimals (what a JSON double carries exactly here)."""
    return (Decimal(int(total_bytes)) / GB).quantize(GB_PLACES)


D = Decimal

# Kafka
KAFKA_BASE_HOURLY = {"Standard": D("1.50"), "Enterprise": D("2.25")}  # Basic has no base charge
CKU_HOURLY = D("2.50")
ECKU_HOURLY = {"Basic": D("0.14"), "Standard": D("0.75"), "Enterprise": D("2.25")}  # per eCKU-hour
PARTITION_HOURLY = D("0.0015")
STORAGE_GB_HOUR = D("0.000137")  # ≈ $0.10 per GB-month (730 h)
NETWORK_GB = D("0.05")  # read and write
NETWORK_TIER2_GB = D("0.04")  # volume tier beyond NETWORK_TIER1_LIMIT_GB GB on tiered (Dedicated) clusters
NETWORK_TIER1_LIMIT_GB = D(10)
REST_PRODUCE_GB = D("0.08")
# Connect, ksqlDB, Flink
CONNECT_CAPACITY_HOURLY = D("0.10")
CONNECT_TASK_HOURLY = D("0.034")
CONNECT_THROUGHPUT_GB = D("0.025")
KSQL_CSU_HOURLY = D("0.23")
FLINK_CFU_MINUTE = D("0.0035")  # $0.21 per CFU-hour
# Stream Governance
GOVERNANCE_BASE_HOURLY = D("1.00")  # ADVANCED package
SCHEMA_HOURLY = D("0.002")  # per schema-hour beyond the free schemas
FREE_SCHEMAS = {"ESSENTIALS": 100, "ADVANCED": 20000}
# Cluster linking, audit log, Tableflow
CLUSTER_LINK_HOURLY = D("0.28")
CLUSTER_LINK_WRITE_GB = D("0.05")
AUDIT_LOG_READ_GB = D("0.12")
TABLEFLOW_TOPIC_HOURLY = D("0.10")
# Support and credits
SUPPORT_MONTHLY = {"SUPPORT_CLOUD_BUSINESS": D("1000")}
PROMO_CREDIT_DAILY = D("-40.00")
# the deliberately unknown product
UNKNOWN_PRODUCT_HOURLY = D("0.45")

DISCOUNT_RATES = {
    "KAFKA_NUM_CKUS": D("0.20"),
    "KAFKA_NUM_CKU": D("0.20"),
    "KSQL_NUM_CSUS": D("0.10"),
    "KSQL_NUM_CSU": D("0.10"),
}


def discount_rate(line_type: str) -> Decimal:
    return DISCOUNT_RATES.get(line_type, Decimal(0))
