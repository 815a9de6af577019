"""The vocabulary of the warehouse model: a `Column` (name, PostgreSQL type, role, nullability), a `Table` (its
columns in table order, what it is for), and the two kinds of table with more to say about themselves:

- `RollupTable`: an aggregate of a fact table at a time grain over a subset of its dimensions (its columns follow
  from that: the day, the hour for an hourly rollup or the month for a monthly one, the dimensions typed as in the
  fact table, the amounts), summed from the facts or, when it names one (`of`), from another rollup;
- `ObservedTable`: present-only state (objects, catalog, Flink statements) kept as versioned history
  (`<table>_history`) and derived per day (`<table>`); its history table follows from its attributes.

Pure data: imports nothing from the rest of the package (pyarrow only when an Arrow schema is asked for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# time: the day and the hour of a row; key: what identifies a row within its day; dimension: what readers filter and
# group by; amount: USD, NUMERIC; measure: other numbers (bytes, CFUs, counts); attribute: anything else an object
# carries; bookkeeping: written by the pipeline about the row (versions, observation flags).
Role = Literal["time", "key", "dimension", "amount", "measure", "attribute", "bookkeeping"]
Kind = Literal["fact", "rollup", "object", "catalog", "flink", "bill", "usage", "attribution", "figure",
               "bookkeeping", "publication"]
Grain = Literal["hour", "day", "month"]

# information_schema.columns.data_type → the Arrow type a frame of that column carries
_ARROW = {
    "text": "string", "jsonb": "string", "integer": "int32", "bigint": "int64", "double precision": "float64",
    "boolean": "bool", "date": "date32", "timestamp with time zone": "timestamp", "ARRAY": "list<string>",
}


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str           # as information_schema.columns.data_type spells it
    role: Role = "attribute"
    nullable: bool = True

    def arrow_type(self):
        import pyarrow as pa

        kind = _ARROW.get(self.sql_type)
        if kind is None:
            raise TypeError(f"{self.name} ({self.sql_type}): amounts travel as int64 units, not as Arrow values")
        return {"string": pa.string(), "int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64(),
                "bool": pa.bool_(), "date32": pa.date32(), "timestamp": pa.timestamp("us", tz="UTC"),
                "list<string>": pa.list_(pa.string())}[kind]


def text(name: str, role: Role = "dimension", nullable: bool = True) -> Column:
    return Column(name, "text", role, nullable)


def amount(name: str, nullable: bool = False) -> Column:
    return Column(name, "numeric", "amount", nullable)


@dataclass(frozen=True, kw_only=True)
class Table:
    name: str
    kind: Kind
    columns: tuple[Column, ...]
    description: str = ""
    day_column: str | None = "usage_date"   # the column a day of the table is replaced by
    asset: str | None = None                # the Dagster asset that writes it (None: several, or none)
    partition_key: str | None = None        # natively partitioned by day on this column (a partition per day)

    def names(self, *roles: Role) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not roles or c.role in roles)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def dimensions(self) -> tuple[str, ...]:
        return self.names("dimension")

    def arrow_schema(self, *names: str):
        """The Arrow schema of a frame of these columns (all by default, in table order)."""
        import pyarrow as pa

        cols = [self.column(n) for n in names] if names else list(self.columns)
        return pa.schema([(c.name, c.arrow_type()) for c in cols])


@dataclass(frozen=True, kw_only=True)
class FactTable(Table):
    kind: Kind = "fact"

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


# The measures every rollup row carries: the net, the positive part (charges, which the figures need: a row can hold
# a charge and a credit) and how many facts it sums.
ROLLUP_MEASURES = ("amount_usd", "fact_rows", "charges_usd")


@dataclass(frozen=True, kw_only=True)
class RollupTable(Table):
    """`source` grouped by the day (and the hour when `grain` is hour) and `group_by`; `rank` orders the rollups from
    the cheapest to read (the sidecar and Grafana take the first one that holds what a question needs).

    A rollup with `of` is summed from that rollup of the same facts instead of from the facts (exact NUMERIC sums of
    its amounts and `fact_rows`, in SQL, in the transaction that wrote it: warehouse/derived_rollups.py); its
    `group_by` is a subset of the other's. A `grain="month"` rollup is always such a rollup of a day rollup: one row
    per month (`usage_month`, the month's first day) and group, recomputed from the month's days whenever one of
    them is written, so it always equals the sum of its day rollup's rows of that month."""

    kind: Kind = "rollup"
    source: FactTable
    grain: Grain
    group_by: tuple[str, ...]
    rank: int
    of: RollupTable | None = None
    columns: tuple[Column, ...] = ()

    def __post_init__(self):
        if self.asset is None:
            object.__setattr__(self, "asset", self.source.asset)
        if self.grain == "month":
            if self.of is None or self.of.grain != "day":
                raise ValueError(f"{self.name}: a month rollup is summed from a day rollup (of=...)")
            object.__setattr__(self, "day_column", None)
        if self.of is not None and (self.of.source is not self.source or not set(self.group_by) <= set(
                self.of.group_by) or self.grain == "hour"):
            raise ValueError(f"{self.name}: not a rollup of {self.of.name}")
        if not self.columns:
            time = {"day": (Column("usage_date", "date", "time", False),),
                    "hour": (Column("usage_date", "date", "time", False),
                             Column("hour", "timestamp with time zone", "time", False)),
                    "month": (Column(MONTH_COLUMN, "date", "time", False),)}[self.grain]
            cols = time + tuple(self.source.column(d) for d in self.group_by) + (
                amount("amount_usd"), Column("fact_rows", "bigint", "measure", False), amount("charges_usd"))
            object.__setattr__(self, "columns", cols)

    @property
    def keys(self) -> tuple[str, ...]:
        """What a row is grouped by: the hour for an hourly rollup, then the dimensions (the day or month is
        implied)."""
        return (("hour",) if self.grain == "hour" else ()) + self.group_by

    @property
    def time_column(self) -> str:
        return {"hour": "hour", "day": "usage_date", "month": MONTH_COLUMN}[self.grain]


# The time column of a month rollup: the first day of the month (a date, UTC months).
MONTH_COLUMN = "usage_month"


# Columns of a history table that are bookkeeping, not the object's attributes.
HISTORY_BOOKKEEPING = (
    Column("version_id", "bigint", "bookkeeping", False),
    Column("valid_from", "timestamp with time zone", "bookkeeping", False),
    Column("valid_to", "timestamp with time zone", "bookkeeping"),
    Column("observed_first", "timestamp with time zone", "bookkeeping", False),
    Column("observed_last", "timestamp with time zone", "bookkeeping", False),
    Column("version_hash", "text", "bookkeeping", False),
)
SNAPSHOT_DATE = Column("snapshot_date", "date", "time", False)
BEFORE_FIRST_OBSERVATION = Column("before_first_observation", "boolean", "bookkeeping", False)


@dataclass(frozen=True, kw_only=True)
class ObservedTable(Table):
    """Present-only state of `source` (objects | catalog | flink): `attributes` as collected; `keys` identify one
    object or entity; `scope` says which part of the org a row belongs to (an environment, a registry), so that a
    scope that could not be observed never closes the versions it holds. The table itself is the per-day state
    (`snapshot_date`, the attributes, `before_first_observation`); `history` its versions."""

    source: Literal["objects", "catalog", "flink"]
    attributes: tuple[Column, ...]
    keys: tuple[str, ...]
    scope: str | None = None
    columns: tuple[Column, ...] = ()
    day_column: str | None = "snapshot_date"
    history: Table = field(init=False)

    def __post_init__(self):
        if self.asset is None:
            object.__setattr__(self, "asset", self.name)
        object.__setattr__(self, "columns", (SNAPSHOT_DATE, *self.attributes, BEFORE_FIRST_OBSERVATION))
        object.__setattr__(self, "history", Table(
            name=f"{self.name}_history", kind=self.kind, columns=(*self.attributes, *HISTORY_BOOKKEEPING),
            description=f"Versions of {self.name} with their validity.", day_column=None, asset=self.asset))

    @property
    def attribute_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.attributes)

    @property
    def history_table(self) -> str:
        return self.history.name

