"""One module per rule family; `registry.py` says which line type goes where. Every rule is a pure function
`allocate(lines, ctx) -> weights frame` (see weights.py); rounding to exact amounts happens once, in the engine."""

from billing_portal.allocation.rules import connect, fallback, flink, governance, kafka_network, kafka_shared, ksqldb

PHASE_ONE = {
    "kafka_network": kafka_network.allocate,
    "kafka_shared": kafka_shared.allocate,
    "connect": connect.allocate,
    "ksqldb": ksqldb.allocate,
    "flink": flink.allocate,
    "governance": governance.allocate,
    "fallback": fallback.allocate,
}

__all__ = ["PHASE_ONE"]
