"""Vocabularies for display names, owners, teams and topics. Pure data."""

from __future__ import annotations

FIRST_NAMES = (
    "bob", "carol", "alice", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
    "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wendy", "xavier", "yvonne", "zoe", "arthur",
    "bianca", "cedric", "diana", "elias", "fatima", "gustavo", "hana", "igor", "jun", "kira", "liam", "maya",
    "nadia", "oscar", "priya", "quentin",
)
LAST_NAMES = (
    "smith", "jones", "garcia", "silva", "souza", "nguyen", "kim", "muller", "rossi", "kowalski", "tanaka", "patel",
    "oliveira", "santos", "costa", "dubois", "novak", "larsen", "moreau", "fischer", "weber", "ivanova", "haddad",
    "okafor", "mendes", "pereira", "lopez", "chen", "wang", "singh", "ali", "khan", "hansen", "berg", "lima",
    "ferreira", "rocha", "almeida", "carvalho", "gomes",
)
EMAIL_DOMAIN = "company.com"

DOMAINS = (
    "analytics", "payments", "orders", "logistics", "marketing", "risk", "platform", "search", "iot", "identity",
    "inventory", "pricing", "fraud", "growth", "billing", "ml",
)
TEAMS = (
    "payments", "checkout", "fraud", "search", "growth", "platform", "data", "ml", "logistics", "identity", "risk",
    "marketing", "inventory", "pricing",
)
TEAM_LETTERS = ("teamA", "teamB", "teamC", "teamD")
BUSINESS_UNITS = ("retail", "finance", "operations", "technology", "marketing")
BUSINESS_PRODUCTS = ("webshop", "mobile-app", "b2b-portal", "data-platform", "payments-gateway", "loyalty")
STAGES = ("prod", "staging", "dev")

SA_PURPOSES = (
    "ingest", "etl", "sink", "stream-processor", "api-gateway", "reporting", "cdc", "enricher", "notifier",
    "scheduler", "exporter", "indexer",
)

TOPIC_STEMS = (
    "orders", "payments", "clickstream", "inventory-updates", "customer-profiles", "shipments", "fraud-alerts",
    "price-changes", "audit-events", "sessions", "recommendations", "search-queries", "device-telemetry",
    "invoices", "refunds", "notifications", "user-signups", "cart-events", "ledger", "returns", "metrics",
    "logs", "page-views", "ad-impressions", "stock-levels",
)
TOPIC_SUFFIXES = ("", ".v1", ".v2", "-dlq", "-compacted", ".avro", "-raw", "-enriched")

CONNECTOR_CLASSES = (
    ("PostgresSink", "sink"),
    ("S3_SINK", "sink"),
    ("DatagenSource", "source"),
    ("MySqlCdcSource", "source"),
    ("ElasticsearchSink", "sink"),
    ("SnowflakeSink", "sink"),
    ("MongoDbAtlasSource", "source"),
    ("BigQuerySink", "sink"),
)

REGIONS = (("AWS", "us-east-1"), ("AWS", "eu-west-1"), ("GCP", "us-central1"), ("AZURE", "westeurope"))
DEDICATED_NETWORKS = ("PRIVATE_LINK", "PEERED_VPC", "TRANSIT_GATEWAY")
