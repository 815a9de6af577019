"""Billing costs: `GET /billing/v1/costs` → `BillingBatch` (normalised lines + quarantine).

Faithful to the live API (../shared/CONFLUENT_API.md): `start_date` inclusive, `end_date` **exclusive**, UTC days;
windows of at most 31 days (the API answers 400 otherwise), so longer ranges are split; a start more than one year
back is refused here, before any request, with a message saying how far back is allowed (the API would answer 400
"start date is too far in the past"). Pages are followed through `metadata.next` (a full URL; the original dates are
re-sent if it lost them); a window whose page token expires mid-way is re-read from its first page. `api_version` is "billing/v1" in the spec and "v1" live: both are accepted; anything else
is logged and the rows are still read.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator

from billing_portal.confluent.http import ConfluentHttp
from billing_portal.confluent.normalize import BillingBatch, normalize_costs
from billing_portal.confluent.pagination import collect_envelope
from billing_portal.errors import ConfluentApiError

log = logging.getLogger(__name__)

COSTS_PATH = "/billing/v1/costs"
MAX_WINDOW_DAYS = 31
MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 2000
ACCEPTED_API_VERSIONS = ("billing/v1", "v1")


def earliest_start(today: dt.date) -> dt.date:
    """The oldest start_date the API accepts: the same calendar day one year before `today` (Feb 29 → Feb 28)."""
    try:
        return today.replace(year=today.year - 1)
    except ValueError:
        return today.replace(year=today.year - 1, day=28)


def split_windows(start: dt.date, end: dt.date, max_days: int = MAX_WINDOW_DAYS) -> list[tuple[dt.date, dt.date]]:
    """[start, end) cut into consecutive half-open windows of at most `max_days` days."""
    windows = []
    lo = start
    while lo < end:
        hi = min(end, lo + dt.timedelta(days=max_days))
        windows.append((lo, hi))
        lo = hi
    return windows


class BillingClient:
    """Reads the Confluent Cloud bill. Needs a Cloud API key whose owner has BillingAdmin or OrganizationAdmin."""

    def __init__(self, http: ConfluentHttp, *, page_size: int = DEFAULT_PAGE_SIZE,
                 today: Callable[[], dt.date] | None = None):
        if not 1 <= int(page_size) <= MAX_PAGE_SIZE:
            raise ValueError(f"billing page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        self.http = http
        self.page_size = int(page_size)
        self._today = today or (lambda: dt.datetime.now(dt.UTC).date())

    def __repr__(self) -> str:
        return f"BillingClient({self.http!r}, page_size={self.page_size})"

    def _check_range(self, start: dt.date, end: dt.date) -> None:
        if not isinstance(start, dt.date) or not isinstance(end, dt.date):
            raise ValueError("billing start and end must be dates")
        if isinstance(start, dt.datetime) or isinstance(end, dt.datetime):
            raise ValueError("billing start and end must be dates (UTC days), not datetimes")
        if not start < end:
            raise ValueError(f"billing range is empty: start {start} must be before end {end} (end is exclusive)")
        floor = earliest_start(self._today())
        if start < floor:
            raise ConfluentApiError(
                f"billing start date {start.isoformat()} is more than one year back: Confluent's billing API "
                f"refuses it (earliest accepted today: {floor.isoformat()}); set BILLING_START_DATE to "
                f"{floor.isoformat()} or later", url=COSTS_PATH)

    def iter_rows(self, start: dt.date, end: dt.date, stats: dict | None = None) -> Iterator[object]:
        """Raw cost rows for [start, end), window by window and page by page (no parsing, no de-duplication).
        `stats`, when given, receives the counts of windows and pages."""
        self._check_range(start, end)
        stats = stats if stats is not None else {}
        stats.update(windows=0, pages=0)
        for lo, hi in split_windows(start, end):
            stats["windows"] += 1
            params = {"start_date": lo.isoformat(), "end_date": hi.isoformat()}

            def on_page(page: dict) -> None:
                stats["pages"] += 1
                version = page.get("api_version")
                if version is not None and version not in ACCEPTED_API_VERSIONS:
                    log.warning("billing: unexpected api_version %r (expected one of %s); reading rows anyway",
                                version, ", ".join(ACCEPTED_API_VERSIONS))

            # One consistent pass per window: an expired page token restarts the window from its first page.
            yield from collect_envelope(self.http, COSTS_PATH, params, page_size=self.page_size, api="billing",
                                        on_page=on_page)

    def fetch_costs(self, start: dt.date, end: dt.date) -> BillingBatch:
        """All cost rows with `start <= usage day < end`, normalised and de-duplicated (see `normalize.py`)."""
        self._check_range(start, end)
        fetch_stats: dict = {}
        batch = normalize_costs(self.iter_rows(start, end, fetch_stats), start, end)
        batch.stats.update(fetch_stats)
        log.info("billing %s..%s: %d lines, %d duplicates, %d quarantined, %d window(s), %d page(s)",
                 start, end, batch.stats["lines"], batch.duplicates, batch.stats["quarantined"],
                 batch.stats.get("windows", 0), batch.stats.get("pages", 0))
        return batch
