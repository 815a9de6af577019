"""Rule 1, hours: on which UTC hours of the day each bill line's amount lands.

- Capacity lines (base, CKUs, partitions, storage, tasks, CSUs, CFUs, support, …) and every line without usable
  usage: evenly, 1/24 per hour.
- Usage-driven lines (config `usage_driven_line_types`: network, REST produce, connector throughput, …) follow the
  hourly usage shape of their resource that day: a Kafka cluster's hourly bytes (request for writes, response for
  reads, request + response otherwise); a connector's bytes are its identity's bytes on its Kafka cluster.
  A line whose resource shows no bytes that day falls back to the even profile.

Network lines do not use the profile: their rows come straight from the (hour, principal) bytes, which carry the
same hourly shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from billing_portal.allocation.joins import join

if TYPE_CHECKING:
    import pandas as pd

    from billing_portal.allocation.context import Usage

HOURS = 24


def even_profile(n: int) -> np.ndarray:
    return np.full((n, HOURS), 1.0 / HOURS)


def hour_profiles(lines: pd.DataFrame, usage: Usage) -> np.ndarray:
    """(n_lines, 24) weights per line (columns `cluster`, `metric`, `runs_as`, `usage_driven` of the context's
    lines); each row sums to 1."""
    n = len(lines)
    prof = np.zeros((n, HOURS))
    c = lines["cluster"].to_numpy()
    metric = lines["metric"].to_numpy()
    runs_as = lines["runs_as"].to_numpy()
    driven = lines["usage_driven"].to_numpy(dtype=bool) & (c >= 0)

    by_cluster = driven & (runs_as < 0)
    if by_cluster.any():
        rows = np.flatnonzero(by_cluster)
        prof[rows] = usage.hourly[c[rows], :, metric[rows]]

    by_identity = driven & (runs_as >= 0)
    if by_identity.any():
        rows = np.flatnonzero(by_identity)
        u = usage
        li, ri = join(c[rows] * u.n_principals + runs_as[rows], u.cluster * u.n_principals + u.principal)
        np.add.at(prof, (rows[li], u.hour[ri]), u.values[ri, metric[rows[li]]])

    total = prof.sum(axis=1)
    flat = total <= 0
    prof[flat] = 1.0 / HOURS
    prof[~flat] /= total[~flat, None]
    return prof
