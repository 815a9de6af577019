"""The Metrics API's export endpoint, ``GET /v2/metrics/cloud/export?resource.kafka.id=…`` (repeatable).

As live (CONFLUENT_API.md, "Metrics, more precisely"): only the latest point per series — for the byte counters the
bytes of the last complete minute, all typed gauge — in Prometheus text format, or OpenMetrics when the client's
``Accept`` asks for it. Series:

* ``confluent_kafka_server_request_bytes{kafka_id, principal_id, type="Produce"}`` and
  ``confluent_kafka_server_response_bytes{kafka_id, principal_id, type="Fetch"}``: a pair's bytes of the hour that
  contains the minute, / 60;
* ``confluent_kafka_server_received_bytes{kafka_id, topic}``, ``…_sent_bytes{kafka_id, topic}`` likewise, and
  ``…_retained_bytes{kafka_id, topic}`` (a gauge: that hour's value).

History exists only in a Prometheus that scraped it: ``openmetrics_history`` renders, for tests, what one scrape a
minute would have stored over a range (the input of ``promtool tsdb create-blocks-from openmetrics``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

import numpy as np

from billing_portal.simulator.model import OrgModel

PREFIX = "confluent_kafka_server_"
PAIR_METRICS = (("request_bytes", "Produce"), ("response_bytes", "Fetch"))
TOPIC_METRICS = (("received_bytes", "topic_received"), ("sent_bytes", "topic_sent"),
                 ("retained_bytes", "topic_retained"))


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in pairs) + "}"


def minute_samples(model: OrgModel, clusters: Sequence[str], minute_end: datetime,
                   families: Sequence[str] | None = None) -> dict[str, list[tuple[str, float]]]:
    """Per metric name: (label text, value) of every series with a non-zero value for the minute ending at
    `minute_end` (the minute [minute_end − 1 min, minute_end)); `families` limits the metric names (without the
    prefix)."""
    t = minute_end - timedelta(minutes=1)
    usage = model.usage(t.date())
    h = t.hour
    wanted = {model.cluster_index[c] for c in clusters if c in model.cluster_index}
    prof = model.usage_profile
    out: dict[str, list[tuple[str, float]]] = {}
    pairs = [i for i in range(prof.n_pairs) if int(prof.cluster[i]) in wanted]
    for field, rtype in PAIR_METRICS:
        if families is not None and field not in families:
            continue
        values = getattr(usage, field)
        rows = []
        for i in pairs:
            v = float(values[i, h])
            if v > 0:
                cluster = model.kafka_clusters[int(prof.cluster[i])].id
                principal = model.principal_ids[int(prof.principal[i])]
                rows.append((_labels((("kafka_id", cluster), ("principal_id", principal), ("type", rtype))),
                             v / 60.0))
        out[PREFIX + field] = rows
    topics = [i for i, tp in enumerate(model.topics) if model.cluster_index[tp.cluster_id] in wanted]
    for name, field in TOPIC_METRICS:
        if families is not None and name not in families:
            continue
        values = getattr(usage, field)
        rows = []
        for i in topics:
            v = float(values[i, h])
            if v > 0:
                tp = model.topics[i]
                rows.append((_labels((("kafka_id", tp.cluster_id), ("topic", tp.name))),
                             v if name == "retained_bytes" else v / 60.0))
        out[PREFIX + name] = rows
    return out


def render_export(model: OrgModel, clusters: Sequence[str], now: datetime, openmetrics: bool) -> str:
    """The export endpoint's body at `now`: the last complete minute, each sample stamped with that minute."""
    minute_end = now.replace(second=0, microsecond=0)
    samples = minute_samples(model, clusters, minute_end)
    ts_ms = int((minute_end - timedelta(minutes=1)).timestamp() * 1000)
    lines = []
    for name, rows in samples.items():
        lines.append(f"# HELP {name} {name.removeprefix(PREFIX).replace('_', ' ')} (Confluent Cloud)")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in rows:
            lines.append(f"{name}{labels} {value!r} {ts_ms / 1000 if openmetrics else ts_ms}")
    if openmetrics:
        lines.append("# EOF")
    return "\n".join(lines) + "\n"


def openmetrics_history(model: OrgModel, clusters: Sequence[str], start: datetime, end: datetime,
                        metrics: Sequence[str] = ("request_bytes", "response_bytes")) -> str:
    """What a Prometheus scraping the export once a minute over [start, end) stored, as OpenMetrics text with
    timestamps (families contiguous, each series in time order), for `promtool tsdb create-blocks-from
    openmetrics`. Each scrape just after minute [m, m + 1 min) stores that minute's bytes stamped m (the export's
    own timestamp, kept by `honor_timestamps`)."""
    minutes = int((end - start).total_seconds() // 60)
    series: dict[str, dict[str, list[tuple[float, float]]]] = {PREFIX + m: {} for m in metrics}
    for k in range(1, minutes + 1):
        m_end = start + timedelta(minutes=k)
        samples = minute_samples(model, clusters, m_end, metrics)
        for name in series:
            for labels, value in samples.get(name, []):
                series[name].setdefault(labels, []).append(((m_end - timedelta(minutes=1)).timestamp(), value))
    lines = []
    for name, by_labels in series.items():
        lines.append(f"# TYPE {name} gauge")
        for labels in sorted(by_labels):
            for ts, value in by_labels[labels]:
                lines.append(f"{name}{labels} {value!r} {ts:.0f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def hourly_truth(model: OrgModel, cluster: str, day) -> dict[str, np.ndarray]:
    """Per principal: (24, 2) request/response bytes of `cluster` on `day` (ground truth for tests)."""
    usage = model.usage(day)
    prof = model.usage_profile
    ci = model.cluster_index[cluster]
    out: dict[str, np.ndarray] = {}
    for i in np.flatnonzero(prof.cluster == ci):
        p = model.principal_ids[int(prof.principal[i])]
        arr = np.stack([usage.request_bytes[i], usage.response_bytes[i]], axis=1).astype(float)
        if arr.any():
            out[p] = out.get(p, np.zeros((24, 2))) + arr
    return out
