"""Build every Confluent client from URLs and credentials in one call.

`build_clients(...)` returns `ConfluentClients(billing, objects, metrics, catalog)`; `catalog` is None when no Schema
Registry URL/key is given (the catalog is optional). Secrets may be plain strings or pydantic `SecretStr`;
`clients_from_settings(settings)` reads the variables of `billing_portal.config.Settings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from billing_portal.config import DEFAULT_API_URL, DEFAULT_TELEMETRY_URL
from billing_portal.confluent.billing import DEFAULT_PAGE_SIZE, BillingClient
from billing_portal.confluent.catalog import CatalogClient
from billing_portal.confluent.http import ConfluentHttp, HttpConfig
from billing_portal.confluent.metrics import MetricsClient
from billing_portal.confluent.objects import ObjectsClient


def _reveal(value: Any) -> str | None:
    if value is None:
        return None
    getter = getattr(value, "get_secret_value", None)
    return getter() if callable(getter) else str(value)


@dataclass
class ConfluentClients:
    billing: BillingClient
    objects: ObjectsClient
    metrics: MetricsClient
    catalog: CatalogClient | None

    def close(self) -> None:
        for client in (self.billing, self.objects, self.metrics, self.catalog):
            if client is not None:
                client.http.close()


def build_clients(*, api_key: Any, api_secret: Any, api_url: str = DEFAULT_API_URL,
                  telemetry_url: str = DEFAULT_TELEMETRY_URL, schema_registry_url: str | None = None,
                  schema_registry_api_key: Any = None, schema_registry_api_secret: Any = None,
                  config: HttpConfig | None = None, max_workers: int = 4, catalog_max_workers: int = 8,
                  billing_page_size: int = DEFAULT_PAGE_SIZE) -> ConfluentClients:
    """One `ConfluentHttp` per host (api / telemetry / Schema Registry), each client on its own."""
    config = config or HttpConfig()
    key, secret = _reveal(api_key), _reveal(api_secret)
    api = ConfluentHttp(api_url, key, secret, config, family="cloud")
    telemetry = ConfluentHttp(telemetry_url, key, secret, config, family="telemetry")
    catalog = None
    sr_key, sr_secret = _reveal(schema_registry_api_key), _reveal(schema_registry_api_secret)
    if schema_registry_url:
        catalog = CatalogClient(ConfluentHttp(schema_registry_url, sr_key, sr_secret, config, family="catalog"),
                                max_workers=catalog_max_workers)
    return ConfluentClients(
        billing=BillingClient(api, page_size=billing_page_size),
        objects=ObjectsClient(api, max_workers=max_workers),
        metrics=MetricsClient(telemetry, max_workers=max_workers),
        catalog=catalog,
    )


def clients_from_settings(settings: Any, config: HttpConfig | None = None) -> ConfluentClients:
    """From `billing_portal.config.Settings`: CCLOUD_* for api/telemetry, SCHEMA_REGISTRY_* for the catalog."""
    return build_clients(
        api_key=settings.require("CCLOUD_API_KEY"), api_secret=settings.require("CCLOUD_API_SECRET"),
        api_url=settings.CCLOUD_API_URL, telemetry_url=settings.CCLOUD_TELEMETRY_URL,
        schema_registry_url=settings.SCHEMA_REGISTRY_URL,
        schema_registry_api_key=settings.SCHEMA_REGISTRY_API_KEY,
        schema_registry_api_secret=settings.SCHEMA_REGISTRY_API_SECRET, config=config)
