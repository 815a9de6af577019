"""Confluent Cloud API clients: one per API family, built on a shared retrying, credential-safe transport.

Import the submodules directly (`billing_portal.confluent.billing`, …) or use `build_clients` from `factory`.
"""

from billing_portal.confluent.billing import BillingClient
from billing_portal.confluent.catalog import CatalogClient, CatalogSnapshot
from billing_portal.confluent.factory import ConfluentClients, build_clients, clients_from_settings
from billing_portal.confluent.http import ConfluentHttp, HttpConfig
from billing_portal.confluent.metrics import MetricsClient
from billing_portal.confluent.normalize import BillingBatch, normalize_costs
from billing_portal.confluent.objects import ObjectsClient, ObjectsSnapshot

__all__ = [
    "BillingBatch", "BillingClient", "CatalogClient", "CatalogSnapshot", "ConfluentClients", "ConfluentHttp",
    "HttpConfig", "MetricsClient", "ObjectsClient", "ObjectsSnapshot", "build_clients", "clients_from_settings",
    "normalize_costs",
]
