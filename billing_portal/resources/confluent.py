"""Confluent Cloud API clients as Dagster resources. Secrets arrive through `EnvVar` (see definitions.py), so the
Dagster UI shows the variable name, never the value."""

from __future__ import annotations

from dagster import ConfigurableResource

from billing_portal.config import DEFAULT_API_URL, DEFAULT_TELEMETRY_URL


def _http_config(resource):
    """The retry budget and read timeout (CCLOUD_HTTP_* settings) of a resource's HTTP transport."""
    from billing_portal.confluent.http import HttpConfig

    return HttpConfig(max_attempts=resource.max_attempts, max_total_sleep=resource.retry_budget_seconds,
                      read_timeout=resource.read_timeout_seconds)


class ConfluentCloudResource(ConfigurableResource):
    """Cloud API key (api.confluent.cloud and the telemetry API). Needs BillingAdmin or OrganizationAdmin for
    billing and objects, MetricsViewer for the Metrics API."""

    api_key: str
    api_secret: str
    api_url: str = DEFAULT_API_URL
    telemetry_url: str = DEFAULT_TELEMETRY_URL
    max_workers: int = 4
    billing_page_size: int = 2000
    max_attempts: int = 8
    retry_budget_seconds: float = 300.0
    read_timeout_seconds: float = 60.0
    # How far back the Metrics API answers (METRICS_RETENTION_DAYS): older days are never queried.
    metrics_retention_days: int = 7

    def _http(self, base_url: str, family: str):
        from billing_portal.confluent.http import ConfluentHttp

        return ConfluentHttp(base_url, self.api_key, self.api_secret, config=_http_config(self), family=family)

    def billing(self):
        from billing_portal.confluent.billing import BillingClient

        return BillingClient(self._http(self.api_url, "cloud"), page_size=self.billing_page_size)

    def objects(self):
        from billing_portal.confluent.objects import ObjectsClient

        return ObjectsClient(self._http(self.api_url, "cloud"), max_workers=self.max_workers)

    def metrics(self):
        from billing_portal.confluent.metrics import MetricsClient

        return MetricsClient(self._http(self.telemetry_url, "telemetry"), max_workers=self.max_workers)


class SchemaRegistryResource(ConfigurableResource):
    """Schema Registry keys for the Stream Catalog of every environment (tags and business metadata): a credentials
    file (SCHEMA_REGISTRY_CREDENTIALS_FILE: registry or environment id → key) and/or the single
    SCHEMA_REGISTRY_URL/_API_KEY/_API_SECRET of a one-registry org. Optional: with neither, no catalog is read."""

    url: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    credentials_file: str | None = None
    max_workers: int = 8
    max_attempts: int = 8
    retry_budget_seconds: float = 300.0
    read_timeout_seconds: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.credentials_file or (self.url and self.api_key and self.api_secret))

    def plan(self, registries):
        """(targets, skipped) for the discovered registries (see confluent/registries.py)."""
        from billing_portal.confluent.registries import load_credentials, plan_catalogs

        return plan_catalogs(registries, load_credentials(self.credentials_file), self.url, self.api_key,
                             self.api_secret)

    def catalog(self, target=None):
        """A catalog client for one target (default: the single configured URL and key)."""
        from billing_portal.confluent.catalog import CatalogClient
        from billing_portal.confluent.http import ConfluentHttp

        url, key, secret = (target.url, target.api_key, target.api_secret) if target is not None else (
            self.url, self.api_key, self.api_secret)
        http = ConfluentHttp(url, key, secret, config=_http_config(self), family="catalog")
        return CatalogClient(http, max_workers=self.max_workers)


class FlinkResource(ConfigurableResource):
    """Region-scoped Flink API keys for the statements of the compute pools (FLINK_CREDENTIALS_FILE: region →
    key, and/or FLINK_API_KEY/_SECRET for every region without an entry). Optional: without any, statements are not
    read and Flink lines go to the pool's owner."""

    endpoint_template: str = "https://flink.{region}.{cloud}.confluent.cloud"
    credentials_file: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    max_workers: int = 4
    max_attempts: int = 8
    retry_budget_seconds: float = 300.0
    read_timeout_seconds: float = 60.0

    @property
    def configured(self) -> bool:
        return bool(self.credentials_file or (self.api_key and self.api_secret))

    def client(self):
        from billing_portal.confluent.flink import FlinkStatementsClient, load_credentials

        return FlinkStatementsClient(endpoint_template=self.endpoint_template,
                                     keys=load_credentials(self.credentials_file),
                                     default_key=(self.api_key, self.api_secret) if self.api_key else None,
                                     config=_http_config(self), max_workers=self.max_workers)


class UsagePrometheusResource(ConfigurableResource):
    """Optional usage history (USAGE_PROMETHEUS_URL): a Prometheus that scraped Confluent's
    `/v2/metrics/cloud/export`, read for days whose usage the Metrics API no longer has."""

    url: str | None = None
    timeout_seconds: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def client(self):
        from billing_portal.confluent.prometheus_usage import PrometheusUsageClient

        return PrometheusUsageClient(self.url, timeout=self.timeout_seconds)
