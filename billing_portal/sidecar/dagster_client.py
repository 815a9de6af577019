"""Launching and following Dagster runs through the webserver's GraphQL API (`dagster-graphql` client).

A day range runs as one run (the assets' single-run backfill policy) tagged with
`dagster/asset_partition_range_start`/`_end`; one day uses `dagster/partition`.
"""

from __future__ import annotations

import datetime as dt
import logging
from urllib.parse import urlparse

from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from billing_portal.sidecar.errors import ApiError

log = logging.getLogger(__name__)

TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


class DagsterLauncher:
    def __init__(self, url: str, timeout: int = 20):
        p = urlparse(url)
        self.url = url
        self._client = DagsterGraphQLClient(p.hostname or "localhost", port_number=p.port,
                                            use_https=p.scheme == "https", timeout=timeout,
                                            path_prefix=p.path.rstrip("/"))

    def _unavailable(self, exc: Exception) -> ApiError:
        log.warning("dagster at %s: %s", self.url, str(exc).splitlines()[0][:200])
        return ApiError(503, f"the Dagster webserver at {self.url} is not reachable (DAGSTER_GRAPHQL_URL)",
                        code="dagster_unavailable")

    def launch(self, job_name: str, start: dt.date, end: dt.date, extra_tags: dict | None = None) -> str:
        if start == end:
            tags = {"dagster/partition": start.isoformat()}
        else:
            tags = {"dagster/asset_partition_range_start": start.isoformat(),
                    "dagster/asset_partition_range_end": end.isoformat()}
        tags.update(extra_tags or {})
        try:
            return self._client.submit_job_execution(job_name, tags=tags)
        except DagsterGraphQLClientError as exc:
            text = str(exc)
            if "Error when connecting" in text or "Server error" in text or "Exception occured" in text:
                raise self._unavailable(exc) from None
            log.warning("dagster refused %s: %s", job_name, text[:300])
            raise ApiError(502, f"Dagster refused to launch {job_name}: {text.splitlines()[0][:200]}",
                           code="dagster_rejected") from None

    def status(self, run_id: str) -> str:
        try:
            return self._client.get_run_status(run_id).value
        except DagsterGraphQLClientError as exc:
            text = str(exc)
            if "RunNotFoundError" in text:
                raise ApiError(404, f"no Dagster run {run_id}", parameter="run_id", code="run_not_found") from None
            raise self._unavailable(exc) from None
