"""Pagination styles of the Confluent Cloud APIs (see ../shared/CONFLUENT_API.md).

- **List envelope** (org, iam, cmk, srcm, ksqldbcm, fcpm, billing): `metadata.next` is a *full URL* that keeps the
  other query parameters; the last page has no `next` or `metadata == {}`. `iter_envelope_pages` follows it.
- **Metrics**: POST the identical body to `…/query?page_token=TOKEN` until `meta.pagination.next_page_token` is
  absent (in `metrics.py`).
- **Catalog search**: offset/limit until a short page (in `catalog.py`).
- **Connectors**: a plain map, not paginated (in `objects.py`).

Why `next` is rebased: the `next` URL is built by the server from what *it* believes its public address is. Behind
a corporate proxy or an API gateway (or a test server) that address differs from the URL we were configured with,
and following it blindly would either bypass the proxy or — worse — send the Basic-auth credentials to a host the
operator never configured. So when `next` points at another scheme/host/port, its path and query are re-applied to
the configured base URL and credentials only ever go where the operator said. A relative `next` is accepted too.

Expired page tokens: page tokens are short-lived. A later page refused with 400/410 (the first page, with the same
parameters, was accepted, so the token is what the server rejects) raises `PageTokenExpired`; `collect_envelope`
then restarts the listing from the first page, discarding the partial pass (never mixing two passes), at most
`MAX_LISTING_RESTARTS` times, then fails with a message saying so.

Guards: a `next` already followed means the server is looping → `ConfluentApiError` (never an endless crawl). Query
parameters of the first request that the `next` URL lost (billing's `start_date`/`end_date`, `environment`) are
re-sent, because the API requires them on every page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from billing_portal.confluent.http import Api, ConfluentHttp
from billing_portal.errors import ConfluentApiError

log = logging.getLogger(__name__)

ENVELOPE_PAGE_SIZE = 99
MAX_LISTING_RESTARTS = 3
TOKEN_REFUSED_STATUSES = (400, 410)


class PageTokenExpired(ConfluentApiError):
    """A later page of a listing was refused (400/410): its page token expired; restart from the first page."""


def resolve_next(http: ConfluentHttp, next_value: str, original_params: Mapping[str, Any] | None = None) -> str:
    """The URL to fetch for `metadata.next`: on the configured origin, with the original parameters it dropped."""
    parts = urlsplit(str(next_value).strip())
    base_path = urlsplit(http.base_url).path
    if parts.scheme and parts.netloc and http.same_origin(next_value):
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"
    else:
        if parts.scheme or parts.netloc:
            log.warning("pagination: next page URL points at another origin; following its path on the configured "
                        "%s base URL instead (credentials are only sent there)", http.family)
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        if base_path and (path == base_path or path.startswith(base_path + "/")):
            path = path[len(base_path):]
        url = http.base_url + path
    query = parts.query
    present = {k for k, _ in parse_qsl(query, keep_blank_values=True)}
    missing = [(k, v) for k, v in (original_params or {}).items()
               if k not in present and k != "page_token" and v is not None]
    if missing:
        extra = urlencode(missing, doseq=True)
        query = f"{query}&{extra}" if query else extra
    return f"{url}?{query}" if query else url


def iter_envelope_pages(http: ConfluentHttp, path: str, params: Mapping[str, Any] | None = None, *,
                        page_size: int = ENVELOPE_PAGE_SIZE, api: Api | None = None) -> Iterator[dict]:
    """Every page of a list-envelope endpoint. A 404 on the first page → no pages (the list does not exist)."""
    first_params = dict(params or {})
    first_params["page_size"] = page_size
    page = http.get(path, first_params, not_found_empty=True, api=api)
    seen: set[str] = set()
    while page is not None:
        if not isinstance(page, dict):
            raise ConfluentApiError(f"unexpected response from {path}: expected a JSON object, got "
                                    f"{type(page).__name__}", url=path)
        yield page
        metadata = page.get("metadata")
        next_value = metadata.get("next") if isinstance(metadata, dict) else None
        if not next_value:
            return
        url = resolve_next(http, next_value, first_params)
        if url in seen:
            raise ConfluentApiError(f"pagination loop on {path}: the server returned an already-visited next page "
                                    f"after {len(seen) + 1} pages", url=path)
        seen.add(url)
        # A later page that 404s is an error (the list would be silently partial), not an empty list.
        try:
            page = http.get(url, api=api)
        except ConfluentApiError as exc:
            if exc.status in TOKEN_REFUSED_STATUSES:
                raise PageTokenExpired(f"page {len(seen) + 1} of {path} was refused ({exc}): the page token "
                                       f"expired", status=exc.status, url=path) from None
            raise


def collect_envelope(http: ConfluentHttp, path: str, params: Mapping[str, Any] | None = None, *,
                     page_size: int = ENVELOPE_PAGE_SIZE, api: Api | None = None,
                     restarts: int = MAX_LISTING_RESTARTS, on_page=None) -> list:
    """Every item of a listing as one consistent pass: an expired page token restarts it from the first page
    (the partial pass is discarded), at most `restarts` times. `on_page(page)` sees each page of the kept pass."""
    for attempt in range(restarts + 1):
        items: list = []
        pages: list[dict] = []
        try:
            for page in iter_envelope_pages(http, path, params, page_size=page_size, api=api):
                pages.append(page)
                items.extend(envelope_data(page, path))
        except PageTokenExpired as exc:
            if attempt >= restarts:
                raise ConfluentApiError(f"{exc}; gave up after restarting the listing {restarts} time"
                                        f"{'s' if restarts != 1 else ''}", status=exc.status, url=path) from None
            log.warning("pagination: %s; restarting the listing from the first page (%d/%d)", exc, attempt + 1,
                        restarts)
            continue
        if on_page is not None:
            for page in pages:
                on_page(page)
        return items
    raise AssertionError("unreachable")


def envelope_data(page: dict, path: str) -> list:
    data = page.get("data")
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfluentApiError(f"unexpected response from {path}: 'data' is {type(data).__name__}, not a list",
                                url=path)
    return data


def iter_envelope(http: ConfluentHttp, path: str, params: Mapping[str, Any] | None = None, *,
                  page_size: int = ENVELOPE_PAGE_SIZE, api: Api | None = None) -> Iterator[Any]:
    """Every item of a list-envelope endpoint, across pages (one consistent pass, see `collect_envelope`)."""
    yield from collect_envelope(http, path, params, page_size=page_size, api=api)
