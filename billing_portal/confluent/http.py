"""HTTP transport shared by every Confluent Cloud client: Basic auth, timeouts, retries, error mapping.

`ConfluentHttp` talks to one base URL (api.confluent.cloud, api.telemetry.confluent.cloud, or a Schema Registry
endpoint) with one key. What it does, faithful to ../shared/CONFLUENT_API.md:

- Retries 429, 500/502/503/504, connection errors/resets, timeouts, truncated bodies and 2xx bodies that are not
  valid JSON, with `tenacity`; the wait honours `Retry-After`, then the rate-limit reset headers, then backoff with
  full jitter (see `retry.py`), within a retry budget (attempts and total sleep). A response that says the rate-limit
  window is exhausted (remaining 0) also holds back *later* requests from every thread until the reset (capped).
- 401 → `ConfluentAuthError` naming the variables to check; 403 → `ConfluentAuthError` naming the missing role for
  the API family, with the API's own reason when it gives one other than "Forbidden Access" (a 403 also means "not
  available in this cloud" or "deleted"); other 4xx → `ConfluentApiError` with the status, the endpoint path and
  the API's own detail; a 404 on a list call → `None` (the caller treats it as an empty list: a product that is not
  enabled).
- Credentials live only inside the `requests` auth object: they are never in a message, log line or `repr`, and
  they are sent only to the configured origin — absolute URLs for another scheme/host/port are refused here (the
  paginator rebases them first, see `pagination.py`).
- Thread-safe: sessions are checked out of a small pool, one per concurrent caller, and returned after the call.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import orjson
import requests
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type

from billing_portal.confluent.retry import (
    RETRYABLE_STATUSES,
    RetryableFailure,
    WaitDecision,
    decide_wait,
    rate_limit_remaining,
    rate_limit_reset,
)
from billing_portal.errors import ConfigError, ConfluentApiError, ConfluentAuthError

log = logging.getLogger(__name__)

Family = Literal["cloud", "telemetry", "catalog", "flink"]
Api = Literal["billing", "objects", "metrics", "catalog", "flink"]

ROLE_BY_API: dict[str, str] = {
    "billing": "BillingAdmin or OrganizationAdmin",
    "objects": "OrganizationAdmin (or EnvironmentAdmin for environment-scoped lists)",
    "metrics": "MetricsViewer (or OrganizationAdmin)",
    "catalog": "DataSteward or ResourceOwner on the Schema Registry cluster",
    "flink": "FlinkDeveloper (or FlinkAdmin, EnvironmentAdmin) on the environment",
}

_KEY_VARS = {
    "cloud": ("CCLOUD_API_KEY", "CCLOUD_API_SECRET"),
    "telemetry": ("CCLOUD_API_KEY", "CCLOUD_API_SECRET"),
    "catalog": ("SCHEMA_REGISTRY_API_KEY", "SCHEMA_REGISTRY_API_SECRET"),
    "flink": ("FLINK_API_KEY", "FLINK_API_SECRET"),
}


@dataclass(frozen=True)
class HttpConfig:
    """Timeouts, retry budget, backoff and pacing. Defaults suit the real API; tests shrink the waits.

    `*_requests_per_second` pace requests per `ConfluentHttp` (None = unpaced): telemetry stays under Confluent's
    ~300 requests/min/IP, the catalog under the Schema Registry's 75 reads/s.
    """

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_attempts: int = 8
    max_total_sleep: float = 300.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    user_agent: str = "billing-portal/0.1 (Confluent Cloud chargeback; python-requests)"
    pool_size: int = 16
    cloud_requests_per_second: float | None = None
    telemetry_requests_per_second: float | None = 4.5
    catalog_requests_per_second: float | None = 60.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("HttpConfig.max_attempts must be at least 1")
        if self.max_total_sleep < 0 or self.backoff_base < 0 or self.backoff_cap < 0:
            raise ValueError("HttpConfig sleep settings must not be negative")

    def pace_for(self, family: str) -> float | None:
        return {"cloud": self.cloud_requests_per_second, "telemetry": self.telemetry_requests_per_second,
                "catalog": self.catalog_requests_per_second}.get(family)


class _Pacer:
    """Spaces request starts at least 1/rate apart across threads (a leaky bucket without bursts)."""

    def __init__(self, rate: float | None):
        self._interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._next = 0.0
        self._hold_until = 0.0
        self._lock = threading.Lock()

    def hold(self, seconds: float) -> None:
        """After 'remaining: 0', keep every thread from starting a request until the window resets."""
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def wait_turn(self) -> None:
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next, self._hold_until)
            self._next = slot + self._interval
        delay = slot - now
        if delay > 0:
            time.sleep(delay)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _detail_from_body(body: bytes) -> str:
    """The API's own explanation: `errors[].detail/title` (api hosts) or `message` (catalog), else a text snippet."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body[:200].decode("utf-8", "replace").strip()
        return " ".join(text.split())
    parts: list[str] = []
    if isinstance(doc, dict):
        errors = doc.get("errors")
        if isinstance(errors, list):
            for err in errors:
                if isinstance(err, dict):
                    text = err.get("detail") or err.get("title")
                    code = err.get("code")
                    if text:
                        parts.append(f"{text} ({code})" if code else str(text))
        if not parts:
            for key in ("message", "detail", "title", "error"):
                if isinstance(doc.get(key), str) and doc[key]:
                    parts.append(doc[key])
                    break
    return "; ".join(parts) if parts else orjson.dumps(doc)[:200].decode("utf-8", "replace")


def _api_reason(body: bytes) -> str:
    """The API's own explanation when its JSON error body gives one (`errors[].detail` or `message`), else ''."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(doc, dict) or not (doc.get("errors") or doc.get("message")):
        return ""
    return " ".join(_detail_from_body(body).split())[:300]


class _Policy:
    """Per-call tenacity hooks; the wait is computed once per attempt and shared by `stop` and `wait`."""

    def __init__(self, config: HttpConfig):
        self.config = config
        self._decisions: dict[int, WaitDecision] = {}
        self.stop_reason: str | None = None

    def decision(self, rs: RetryCallState) -> WaitDecision:
        n = rs.attempt_number
        if n not in self._decisions:
            exc = rs.outcome.exception() if rs.outcome else None
            remaining = self.config.max_total_sleep - rs.idle_for
            self._decisions[n] = decide_wait(exc, n, remaining, base=self.config.backoff_base,
                                             cap=self.config.backoff_cap)
        return self._decisions[n]

    def wait(self, rs: RetryCallState) -> float:
        return self.decision(rs).seconds

    def stop(self, rs: RetryCallState) -> bool:
        if rs.attempt_number >= self.config.max_attempts:
            self.stop_reason = "attempts"
            return True
        d = self.decision(rs)
        remaining = self.config.max_total_sleep - rs.idle_for
        if d.server_mandated and d.seconds > remaining:
            self.stop_reason = (f"the server asked to wait {d.seconds:.1f} s ({d.reason}) but only {remaining:.1f} s "
                                f"remain of the {self.config.max_total_sleep:g} s retry budget")
            return True
        if not d.server_mandated and remaining <= 0:
            self.stop_reason = f"the {self.config.max_total_sleep:g} s retry budget is spent"
            return True
        return False


class ConfluentHttp:
    """JSON over HTTP to one Confluent host with one key; see the module docstring for the behaviour."""

    def __init__(self, base_url: str, api_key: str, api_secret: str, config: HttpConfig | None = None,
                 family: Family = "cloud"):
        if family not in _KEY_VARS:
            raise ValueError(f"family must be one of {sorted(_KEY_VARS)}, got {family!r}")
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"Confluent {family} URL must be http(s)://host[:port], got {parts.scheme}://…")
        if parts.username or parts.password:
            raise ConfigError(f"Confluent {family} URL must not embed credentials; pass the key and secret separately")
        if not api_key or not api_secret:
            key_var, secret_var = _KEY_VARS[family]
            raise ConfigError(f"{key_var} and {secret_var} must both be set to call the Confluent {family} API")
        self.base_url = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))
        self.family: Family = family
        self.config = config or HttpConfig()
        self._auth = HTTPBasicAuth(api_key, api_secret)
        self._origin = _origin(self.base_url)
        self._idle: list[requests.Session] = []
        self._all: list[requests.Session] = []
        self._lock = threading.Lock()
        self._pacer = _Pacer(self.config.pace_for(family))
        self.request_count = 0  # attempts sent (for tests and benchmarks)

    def __repr__(self) -> str:
        return f"ConfluentHttp(base_url={self.base_url!r}, family={self.family!r}, api_key=<hidden>)"

    # --- sessions ------------------------------------------------------------------------------------------
    def _new_session(self) -> requests.Session:
        s = requests.Session()
        s.auth = self._auth
        s.headers.update({"User-Agent": self.config.user_agent, "Accept": "application/json"})
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.config.pool_size, max_retries=0)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        return s

    def _checkout(self) -> requests.Session:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            s = self._new_session()
            self._all.append(s)
            return s

    def _checkin(self, s: requests.Session) -> None:
        with self._lock:
            self._idle.append(s)

    def close(self) -> None:
        with self._lock:
            for s in self._all:
                s.close()
            self._all.clear()
            self._idle.clear()

    def __enter__(self) -> ConfluentHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- URLs ----------------------------------------------------------------------------------------------
    def same_origin(self, url: str) -> bool:
        return _origin(url) == self._origin

    def url_for(self, path_or_url: str) -> str:
        """Absolute URL on the configured origin. Absolute URLs elsewhere are refused (credentials stay home)."""
        if "://" in path_or_url:
            if not self.same_origin(path_or_url):
                raise ValueError("refusing to send credentials to a URL outside the configured Confluent base URL")
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    # --- requests ------------------------------------------------------------------------------------------
    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None, *, not_found_empty: bool = False,
            api: Api | None = None) -> Any:
        """GET and decode JSON. With `not_found_empty`, a 404 returns None (a list that does not exist is empty)."""
        return self.request("GET", path_or_url, params=params, not_found_empty=not_found_empty, api=api)

    def post(self, path_or_url: str, body: Any, params: Mapping[str, Any] | None = None, *,
             api: Api | None = None) -> Any:
        return self.request("POST", path_or_url, params=params, json_body=body, api=api)

    def request(self, method: str, path_or_url: str, *, params: Mapping[str, Any] | None = None,
                json_body: Any = None, not_found_empty: bool = False, api: Api | None = None) -> Any:
        url = self.url_for(path_or_url)
        endpoint = urlsplit(url).path or "/"
        api = api or self._api_for(endpoint)
        policy = _Policy(self.config)

        def before_sleep(rs: RetryCallState) -> None:
            exc = rs.outcome.exception() if rs.outcome else None
            d = policy.decision(rs)
            desc = exc.describe() if isinstance(exc, RetryableFailure) else repr(exc)
            level = logging.INFO if isinstance(exc, RetryableFailure) and exc.status == 429 else logging.WARNING
            log.log(level, "%s %s: %s; retry %d/%d in %.2f s (%s)", method, endpoint, desc,
                    rs.attempt_number + 1, self.config.max_attempts, d.seconds, d.reason)

        retrying = Retrying(stop=policy.stop, wait=policy.wait, retry=retry_if_exception_type(RetryableFailure),
                            before_sleep=before_sleep, reraise=False)
        try:
            return retrying(self._attempt, method, url, endpoint, params, json_body, not_found_empty, api)
        except RetryError as err:
            last = err.last_attempt.exception()
            attempts = err.last_attempt.attempt_number
            desc = last.describe() if isinstance(last, RetryableFailure) else repr(last)
            status = last.status if isinstance(last, RetryableFailure) else None
            why = policy.stop_reason if policy.stop_reason not in (None, "attempts") else \
                f"slept {retrying.statistics.get('idle_for', 0.0):.1f} s of the {self.config.max_total_sleep:g} s budget"
            raise ConfluentApiError(
                f"Confluent {self.family} API call {method} {endpoint} failed after {attempts} attempt"
                f"{'s' if attempts != 1 else ''} ({why}); last error: {desc}",
                status=status, url=endpoint) from None

    def _api_for(self, endpoint: str) -> Api:
        if self.family == "telemetry":
            return "metrics"
        if self.family in ("catalog", "flink"):
            return self.family
        return "billing" if endpoint.startswith("/billing/") or "/billing/" in endpoint else "objects"

    def _attempt(self, method: str, url: str, endpoint: str, params: Mapping[str, Any] | None, json_body: Any,
                 not_found_empty: bool, api: Api) -> Any:
        self._pacer.wait_turn()
        session = self._checkout()
        try:
            with self._lock:
                self.request_count += 1
            try:
                resp = session.request(method, url, params=params, json=json_body,
                                       timeout=(self.config.connect_timeout, self.config.read_timeout))
                body = resp.content  # reads the whole body: truncation surfaces here
            except requests.exceptions.SSLError as exc:
                # A certificate problem does not heal by retrying: say so at once.
                raise ConfluentApiError(
                    f"TLS error calling the Confluent {self.family} API ({method} {endpoint}): {_short(exc)}; check "
                    "the URL and the CA bundle (REQUESTS_CA_BUNDLE behind a TLS-inspecting proxy)",
                    url=endpoint) from None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                raise RetryableFailure(f"{type(exc).__name__}: {_short(exc)}") from None
        finally:
            self._checkin(session)
        self._note_rate_limit(resp.headers)
        status = resp.status_code
        if 200 <= status < 300:
            if not body.strip():
                return None
            try:
                return orjson.loads(body)
            except orjson.JSONDecodeError:
                raise RetryableFailure(f"response body is not valid JSON ({len(body)} bytes, possibly truncated)",
                                       status=status, headers=resp.headers) from None
        if status in RETRYABLE_STATUSES:
            raise RetryableFailure(_detail_from_body(body) or resp.reason or "", status=status, headers=resp.headers)
        if status == 404 and not_found_empty:
            return None
        raise self._error(status, method, endpoint, api, body, resp.reason)

    def _note_rate_limit(self, headers: Mapping[str, str]) -> None:
        remaining = rate_limit_remaining(headers)
        if remaining is not None and remaining <= 0:
            reset = rate_limit_reset(headers)
            if reset:
                self._pacer.hold(min(reset, self.config.backoff_cap))

    def _error(self, status: int, method: str, endpoint: str, api: Api, body: bytes, reason: str | None
               ) -> ConfluentApiError:
        key_var, secret_var = _KEY_VARS[self.family]
        where = f"{method} {endpoint}"
        if status == 401:
            if self.family == "catalog":
                need = ("a Schema Registry API key for this Schema Registry cluster is needed "
                        "(not a Cloud or Kafka cluster key)")
            elif self.family == "flink":
                need = ("a Flink API key of this region is needed (resource kind Region, e.g. aws.us-east-1; "
                        "FLINK_CREDENTIALS_FILE), not a Cloud key")
            else:
                need = "a Cloud API key is needed (a cluster-scoped key, e.g. a Kafka or Schema Registry key, fails here)"
            return ConfluentAuthError(
                f"Confluent {self.family} API rejected the API key (401 Unauthorized) on {where}: check "
                f"{key_var} and {secret_var}; {need}, whose owner has the role {ROLE_BY_API[api]}",
                status=401, url=endpoint)
        if status == 403:
            role = ROLE_BY_API[api]
            if self.family == "catalog":
                who = f"the Schema Registry API key in {key_var} needs {role}"
            elif self.family == "flink":
                who = f"the owner of the Flink API key (FLINK_CREDENTIALS_FILE or {key_var}) needs {role}"
            else:
                who = f"the owner of the Cloud API key in {key_var} needs the role {role}"
            said = _api_reason(body)
            if said and "forbidden access" not in said.lower():  # e.g. "not available in …", "… was not found"
                who += f"; Confluent said: {said}"
            return ConfluentAuthError(
                f"Confluent {api} API refused {where} (403 Forbidden): {who}", status=403, url=endpoint)
        detail = _detail_from_body(body) or reason or ""
        return ConfluentApiError(f"Confluent {api} API error {status} on {where}: {detail}", status=status,
                                 url=endpoint)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
