"""A faithful simulator of the Confluent Cloud APIs a chargeback tool consumes.

Real Confluent Cloud is unreachable from development and CI, so the product ships this simulator. It speaks the
wire formats documented in ``CONFLUENT_API.md`` exactly — and nothing more: clients must never depend on a
convenience the real API lacks. Where the live API departs from its spec the ``live`` flavor does what live does.

Layout:

* ``scales`` · ``names`` · ``ids`` · ``entities`` · ``model`` — the deterministic organization (``build_model``)
* ``usage`` — hourly per-principal and per-topic traffic of a day (numpy)
* ``pricing`` · ``billing`` — the day's bill, consistent with usage (network lines = metric totals)
* ``estimate`` — fact rows a day yields under per-(hour, principal, line) allocation
* ``metrics`` · ``catalog`` — the telemetry query engine and the Stream Catalog documents
* ``faults`` · ``fault_rows`` — switchable faults
* ``wire/`` — one module per API family (objects, connectors, costs, telemetry, catalog, control) plus auth,
  pagination, rate limits and envelopes; ``app`` (WSGI), ``server`` (threaded server, ``start_simulator``), ``cli``
"""

from billing_portal.simulator.estimate import estimate_day, estimate_fact_rows
from billing_portal.simulator.model import OrgModel, build_model
from billing_portal.simulator.server import SimulatorHandle, serve_forever, start_simulator

__all__ = ["OrgModel", "SimulatorHandle", "build_model", "estimate_day", "estimate_fact_rows", "serve_forever",
           "start_simulator"]
