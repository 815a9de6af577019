"""The fact tables as data: their columns, PostgreSQL types and roles, in table order.

Derived from here, never listed again: the write path's COPY column order (`defs/facts/write.py`, the topic view's
`defs/topics/assets.py`), the allocation's output frames (`allocation.FACT_COLUMNS`, `allocation.topics.
TOPIC_FACT_COLUMNS`: the same columns with amounts as int64 `amount_units` and without the write-time `fact_no`),
the API's fact fields and its filter / group-by dimensions (`sidecar/query.py`), and the topic rollup's dimensions.
`billing_portal_tests/integration/test_model_tables.py` checks the migrated warehouse against it.

Roles: `time` (the day and the hour of a fact), `key` (the fact's number within its day and its bill line),
`dimension` (what the API filters and groups by), `amount` (USD, NUMERIC(20,8)).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["time", "key", "dimension", "amount"]


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str           # as information_schema.columns.data_type spells it
    role: Role
    nullable: bool = True


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]

    def names(self, *roles: Role) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not roles or c.role in roles)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.names("dimension")

    @property
    def frame_columns(self) -> tuple[str, ...]:
        """The allocation's output frame: amounts as int64 units (1e-8 USD), no write-time `fact_no`."""
        return tuple("amount_units" if c.role == "amount" else c.name for c in self.columns if c.name != "fact_no")

    @property
    def api_fields(self) -> tuple[str, ...]:
        """A fact as the API returns it: hour and day first, the columns in table order, its bill line last
        (`fact_no` is the keyset position, not a field)."""
        rest = [c.name for c in self.columns if c.role not in ("time", "key")]
        return ("hour", "usage_date", *rest, "line_no")


def _text(name: str, nullable: bool = True) -> Column:
    return Column(name, "text", "dimension", nullable)


_TIME_AND_KEYS = (Column("usage_date", "date", "time", False), Column("hour", "timestamp with time zone", "time", False),
                  Column("fact_no", "integer", "key", False), Column("line_no", "integer", "key", False))
_OWNERS = (_text("owner"), _text("team"), _text("business_unit"), _text("business_product"), _text("cost_center"))
_ALLOCATION = (_text("allocation_method", False), _text("allocation_reason", False), _text("confidence", False))
_AMOUNT = Column("amount_usd", "numeric", "amount", False)

HOURLY_COST_FACTS = Table("hourly_cost_facts", (
    *_TIME_AND_KEYS, _text("org_id"), _text("env_id"), _text("resource_id"), _text("resource_type"),
    _text("cluster_id"), _text("product", False), _text("line_type", False), _text("principal_id", False),
    _text("principal_type"), *_OWNERS, _AMOUNT, *_ALLOCATION,
))

HOURLY_TOPIC_FACTS = Table("hourly_topic_facts", (
    *_TIME_AND_KEYS, _text("org_id"), _text("env_id"), _text("cluster_id", False), _text("product", False),
    _text("line_type", False), _text("topic", False), *_OWNERS, _AMOUNT, *_ALLOCATION,
))

TABLES: tuple[Table, ...] = (HOURLY_COST_FACTS, HOURLY_TOPIC_FACTS)
