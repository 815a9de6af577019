"""Confluent Cloud API clients as Dagster resources. Secrets arrive through `EnvVar` (see definitions.py), so the
Dagster UI shows the variable name, never the value."""

from __future__ import annotations

from dagster import ConfigurableResource

from billing_portal.config import DEFAULT_API_URL, DEFAULT_TELEMETRY_URL, setting_default


class HttpBudgetResource(ConfigurableResource):
    """What every Confluent client's HTTP transport shares: the retry budget and read timeout (CCLOUD_HTTP_*)."""

    max_attempts: int = setting_default("CCLOUD_HTTP_MAX_ATTEMPTS")
    retry_budget_seconds: float = setting_default("CCLOUD_HTTP_RETRY_BUDGET_SECONDS")
    read_timeout_seconds: float = setting_default("CCLOUD_HTTP_READ_TIMEOUT_SECONDS")

    def http_config(self):
        from billing_portal.confluent.http import HttpConfig

        return HttpConfig(max_attempts=self.max_attempts, max_total_sleep=self.retry_budget_seconds,
                          read_timeout=self.read_timeout_seconds)


class ConfluentCloudResource(HttpBudgetResource):
    """Cloud API key (api.confluent.cloud and the telemetry API). Needs BillingAdmin or OrganizationAdmin for
    billing and objects, MetricsViewer for the Metrics API."""

    api_key: str
    api_secret: str
    api_url: str = DEFAULT_API_URL
    telemetry_url: str = DEFAULT_TELEMETRY_URL
    max_workers: int = 4
    billing_page_size: int = setting_default("CCLOUD_BILLING_PAGE_SIZE")
    # How far back the Metrics API answers (METRICS_RETENTION_DAYS): older days are never queried.
    metrics_retention_days: int = setting_default("METRICS_RETENTION_DAYS")

    def _http(self, base_url: str, family: str):
        from billing_portal.confluent.http import ConfluentHttp

        return ConfluentHttp(base_url, self.api_key, self.api_secret, config=self.http_config(), family=family)

    def billing(self):
        from billing_portal.confluent.billing import BillingClient

        return BillingClient(self._http(self.api_url, "cloud"), page_size=self.billing_page_size)

    def objects(self):
        from billing_portal.confluent.objects import ObjectsClient

        return ObjectsClient(self._http(self.api_url, "cloud"), max_workers=self.max_workers)

    def metrics(self):
        from billing_portal.confluent.metrics import MetricsClient

        return MetricsClient(self._http(self.telemetry_url, "telemetry"), max_workers=self.max_workers)


class SchemaRegistryResource(HttpBudgetResource):
    """Schema Registry keys for the Stream Catalog of every environment (tags and business metadata): a credentials
    file (SCHEMA_REGISTRY_CREDENTIALS_FILE: registry or environment id → key) and/or the single
    SCHEMA_REGISTRY_URL/_API_KEY/_API_SECRET of a one-registry org. Optional: with neither, no catalog is read."""

    url: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    credentials_file: str | None = None
    max_workers: int = 8

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
        http = ConfluentHttp(url, key, secret, config=self.http_config(), family="catalog")
        return CatalogClient(http, max_workers=self.max_workers)


class FlinkResource(HttpBudgetResource):
    """Region-scoped Flink API keys for the statements of the compute pools (FLINK_CREDENTIALS_FILE: region →
    key, and/or FLINK_API_KEY/_SECRET for every region without an entry). Optional: without any, statements are not
    read and Flink lines go to the pool's owner."""

    endpoint_template: str = setting_default("FLINK_ENDPOINT_TEMPLATE")
    credentials_file: str | None = None
    api_key: str | None = None
    api_secret: str | None = None
    max_workers: int = 4

    @property
    def configured(self) -> bool:
        return bool(self.credentials_file or (self.api_key and self.api_secret))

    def client(self):
        from billing_portal.confluent.flink import FlinkStatementsClient, load_credentials

        return FlinkStatementsClient(endpoint_template=self.endpoint_template,
                                     keys=load_credentials(self.credentials_file),
                                     default_key=(self.api_key, self.api_secret) if self.api_key else None,
                                     config=self.http_config(), max_workers=self.max_workers)


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
