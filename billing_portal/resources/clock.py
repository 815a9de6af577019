"""The pipeline's notion of "now" as a resource: the wall clock, or a fixed instant (BILLING_PORTAL_NOW) for replays
and for tests that move a simulator's clock. Observations of objects and catalog are stamped with it, and usage
capture decides from it whether a day is complete and still inside the Metrics API's retention."""

from __future__ import annotations

import datetime as dt

from dagster import ConfigurableResource


class ClockResource(ConfigurableResource):
    """`now`: an RFC3339 instant; empty = the wall clock."""

    now: str | None = None

    def current(self) -> dt.datetime:
        if not self.now:
            return dt.datetime.now(dt.UTC)
        t = dt.datetime.fromisoformat(self.now.replace("Z", "+00:00"))
        return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(dt.UTC)
