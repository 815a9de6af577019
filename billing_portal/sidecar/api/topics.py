"""The topic view over HTTP (`query.TOPIC_VIEW`, table hourly_topic_facts): `GET /v1/topics` (hourly topic facts,
filtered, keyset pages, CSV) and `GET /v1/topics/summary` (sums by dimensions and UTC buckets, exactly the envelope of
/v1/costs/summary), answered as the principal view's are (`api/views.py`). The total of a range is the total of its
Kafka-cluster bill lines; summaries read the day rollup topic_cost_daily when the range is whole days and the
granularity a day or coarser, else the facts.
"""

from __future__ import annotations

from apiflask import APIBlueprint

from billing_portal.sidecar.api.views import declare_view
from billing_portal.sidecar.query import TOPIC_VIEW

bp = APIBlueprint("topics", __name__, tag="topics")
declare_view(bp, TOPIC_VIEW, "/v1/topics", titles=("Hourly topic facts", "Topic cost summary by dimensions and time "
                                                                          "buckets"),
             about="The topic view: every line billed on a Kafka cluster split over the cluster's topics (hour × bill "
                   "line × topic; topic `UNALLOCATED`: a cluster line without topic metrics)",
             csv_names=("topics.csv", "topics-summary.csv"))
