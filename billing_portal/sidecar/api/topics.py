"""The topic view over HTTP (`query.TOPIC_VIEW`, table hourly_topic_facts): `GET /v1/topics` (hourly topic facts,
filtered, keyset pages, CSV) and `GET /v1/topics/summary` (sums by dimensions and UTC buckets, exactly the envelope of
/v1/costs/summary), answered as the principal view's are (`api/views.py`).

Dimensions: those of hourly_topic_facts in the model. Summaries read the day rollup topic_cost_daily when the range
is whole days and the granularity a day or coarser, else the facts.
"""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar.api.common import read_endpoint
from billing_portal.sidecar.api.views import list_facts, summarize
from billing_portal.sidecar.query import TOPIC_VIEW
from billing_portal.sidecar.responses import Summary, TopicsPage
from billing_portal.sidecar.schemas import TopicsQuery, TopicSummaryQuery

bp = APIBlueprint("topics", __name__, tag="topics")


@read_endpoint(bp, "/v1/topics", TopicsQuery, TopicsPage, csv=True, summary="Hourly topic facts", description=(
    "The topic view: every line billed on a Kafka cluster split over the cluster's topics (hour × bill line × "
    "topic), with an hour in [from_ts, to_ts), at most 366 days, same filters, paging and CSV as /v1/costs. "
    "Topic `UNALLOCATED`: a cluster line without topic metrics."))
def list_topics(query_data: dict):
    return list_facts(TOPIC_VIEW, TopicsPage, query_data, "topics.csv")


@read_endpoint(bp, "/v1/topics/summary", TopicSummaryQuery, Summary, csv=True,
               summary="Topic cost summary by dimensions and time buckets", description=(
    "The topic view summed in [from_ts, to_ts) by `group_by` (" + ", ".join(TOPIC_VIEW.dimensions) + ") and "
    "`granularity` (hour ≤ 31 days, day, month, total): exactly the envelope of /v1/costs/summary. The total of "
    "a range is the total of its Kafka-cluster bill lines."))
def topics_summary(query_data: dict):
    return summarize(TOPIC_VIEW, query_data, "topics-summary.csv")
