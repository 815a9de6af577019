"""Expand a Grafana PostgreSQL panel query the way Grafana does, so tests can execute dashboards' SQL.

Two steps, in Grafana's order:

1. **Template variables** (frontend, `templateSrv.replace` with the PostgreSQL data source's `interpolateVariable`):
   `$name`, `${name}`, `${name:format}`, `[[name]]`. A multi-value or include-All variable renders each value as a
   quoted SQL literal (`'a','b'`, quotes doubled); a single-value variable without those options is inserted
   escaped but unquoted; a custom All value (`allValue`) is inserted raw; All without a custom value means every
   option's value. Built-ins: `$__interval`, `$__interval_ms`, `$__from`, `$__to` (epoch ms), `$__range_s`.
   Unknown variables are left as they are (Grafana does the same).
2. **Macros** (backend, pkg/tsdb/grafana-postgresql-datasource/macros.go): `$__time`, `$__timeEpoch`,
   `$__timeFilter` (`col BETWEEN 'from' AND 'to'`, RFC3339Nano UTC), `$__timeFrom()`, `$__timeTo()`,
   `$__timeGroup` / `$__timeGroupAlias` (`floor(extract(epoch from col)/S)*S`, S printed like Go's `%v` of a
   float64), `$__unixEpochFilter`, `$__unixEpochFrom()`, `$__unixEpochTo()`, `$__unixEpochGroup(Alias)`. SQL
   comments are stripped first, as Grafana does; an unknown macro is an error.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

ALL = object()  # the "All" selection of a variable


class GrafanaSqlError(ValueError):
    pass


@dataclass(frozen=True)
class TimeRange:
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self):
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise GrafanaSqlError("time range bounds must be timezone-aware")


# --- formatting helpers ------------------------------------------------------------------------------------------
def rfc3339nano(t: dt.datetime) -> str:
    """Go's time.RFC3339Nano of a UTC time: fraction without trailing zeros, 'Z'."""
    t = t.astimezone(dt.UTC)
    base = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        base += "." + f"{t.microsecond:06d}".rstrip("0")
    return base + "Z"


def go_float(x: float) -> str:
    """Go's `%v` of a float64: strconv 'g' with the shortest precision, whose exponent form is used when the decimal
    exponent is < -4 or >= 6 (so 3600 → "3600", 2592000 → "2.592e+06", 0.5 → "0.5")."""
    if x == 0:
        return "0"
    d = Decimal(repr(float(x)))
    sign, digits, exponent = d.as_tuple()
    digits_str = "".join(map(str, digits)).rstrip("0") or "0"
    exp10 = len(digits) + exponent - 1  # position of the first digit
    if exp10 < -4 or exp10 >= 6:
        mantissa = digits_str[0] + ("." + digits_str[1:] if len(digits_str) > 1 else "")
        out = f"{mantissa}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    else:
        out = format(d.normalize(), "f")
    return ("-" if sign else "") + out


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def parse_interval(text: str) -> float:
    """Seconds of a Grafana interval such as '1h', '30m', '1d', '1w' (gtime.ParseInterval; months unsupported)."""
    m = re.fullmatch(r"\s*(\d+)\s*(ms|s|m|h|d|w|y)\s*", text.strip("'"))
    if not m:
        raise GrafanaSqlError(f"error parsing interval {text}")
    seconds = int(m.group(1)) * _UNITS[m.group(2)]
    if seconds <= 0:
        raise GrafanaSqlError(f"interval must be positive, got {text}")
    return seconds


def quote_literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


# --- step 1: template variables ----------------------------------------------------------------------------------
# Grafana's variableRegex: $var | [[var:fmt]] | ${var.fieldPath:fmt}
_VAR_RE = re.compile(r"\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}")


@dataclass(frozen=True)
class Variable:
    """What matters of a dashboard variable for interpolation (`templating.list[]` entry)."""

    name: str
    multi: bool = False
    include_all: bool = False
    all_value: str | None = None
    options: tuple[str, ...] = ()  # every option's value (used for All without a custom all value)

    @classmethod
    def from_json(cls, v: dict, options: tuple[str, ...] = ()) -> Variable:
        return cls(name=v["name"], multi=bool(v.get("multi")), include_all=bool(v.get("includeAll")),
                   all_value=v.get("allValue") or None, options=tuple(options))


def _format(value, var: Variable, fmt: str | None) -> str:
    values = list(value) if isinstance(value, list | tuple) else None
    if fmt in ("raw", "text"):
        return ",".join(map(str, values)) if values is not None else str(value)
    if fmt == "csv":
        return ",".join(map(str, values)) if values is not None else str(value)
    if fmt == "sqlstring":
        return ",".join(quote_literal(v) for v in (values if values is not None else [value]))
    if fmt == "singlequote":
        return ",".join("'" + str(v).replace("'", "\\'") + "'" for v in (values if values is not None else [value]))
    if fmt == "doublequote":
        return ",".join('"' + str(v).replace('"', '\\"') + '"' for v in (values if values is not None else [value]))
    if fmt is not None:
        raise GrafanaSqlError(f"unsupported variable format {fmt!r} for ${var.name}")
    # The PostgreSQL data source's interpolateVariable.
    if values is not None:
        return ",".join(quote_literal(v) for v in values)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if var.multi or var.include_all:
        return quote_literal(value)
    return str(value).replace("'", "''")


def interpolate(sql: str, variables: dict[str, Variable], selection: dict[str, object],
                builtins: dict[str, str] | None = None) -> str:
    """Replace the dashboard variables in `sql`. `selection[name]` is a value, a list of values, or ALL."""
    builtins = builtins or {}

    def repl(m: re.Match) -> str:
        name = m.group(1) or m.group(2) or m.group(4)
        fmt = m.group(3) or m.group(6)
        if name in builtins:
            return builtins[name]
        var = variables.get(name)
        if var is None:
            return m.group(0)
        value = selection.get(name, ALL if var.include_all else None)
        if value is None:
            raise GrafanaSqlError(f"no value selected for ${name}")
        if value is ALL:
            if not var.include_all:
                raise GrafanaSqlError(f"${name} has no All option")
            if var.all_value is not None and fmt not in ("text", "percentencode"):
                return var.all_value  # custom all values are inserted raw
            value = list(var.options)
        elif var.multi and not isinstance(value, list | tuple):
            value = [value]
        elif not var.multi and isinstance(value, list | tuple):
            if len(value) != 1:
                raise GrafanaSqlError(f"${name} is not multi-value")
            value = value[0]
        return _format(value, var, fmt)

    return _VAR_RE.sub(repl, sql)


def builtin_variables(tr: TimeRange, interval: str = "1h") -> dict[str, str]:
    seconds = parse_interval(interval)
    return {"__interval": interval, "__interval_ms": str(int(seconds * 1000)),
            "__from": str(int(tr.start.timestamp() * 1000)), "__to": str(int(tr.end.timestamp() * 1000)),
            "__range_s": str(int((tr.end - tr.start).total_seconds()))}


# --- step 2: macros ----------------------------------------------------------------------------------------------
_MACRO_RE = re.compile(r"\$([_a-zA-Z0-9]+)\(([^)]*)\)")


def strip_sql_comments(sql: str) -> str:
    """Remove -- line comments and /* */ block comments outside string literals."""
    out, i, n = [], 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "'":
            j = i + 1
            while j < n:
                if sql[j] == "'" and j + 1 < n and sql[j + 1] == "'":
                    j += 2
                    continue
                if sql[j] == "'":
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _args(params: str) -> list[str]:
    params = params.strip().replace("\n", "")
    if params == "":
        return [""]
    return [a.strip() for a in params.split(",")]


def _macro(name: str, args: list[str], tr: TimeRange) -> str:
    frm, to = rfc3339nano(tr.start), rfc3339nano(tr.end)
    col = args[0] if args and args[0] != "" else None

    def need_col():
        if col is None:
            raise GrafanaSqlError(f"missing time column argument for macro {name}")
        return col

    if name == "__time":
        return f'{need_col()} AS "time"'
    if name == "__timeEpoch":
        return f'extract(epoch from {need_col()}) as "time"'
    if name == "__timeFilter":
        return f"{need_col()} BETWEEN '{frm}' AND '{to}'"
    if name == "__timeFrom":
        return f"'{frm}'"
    if name == "__timeTo":
        return f"'{to}'"
    if name in ("__timeGroup", "__timeGroupAlias", "__unixEpochGroup", "__unixEpochGroupAlias"):
        if len(args) < 2:
            raise GrafanaSqlError(f"macro {name} needs time column and interval and optional fill value")
        s = go_float(parse_interval(args[1]))
        expr = (f"floor(extract(epoch from {args[0]})/{s})*{s}" if name.startswith("__timeGroup")
                else f"floor(({args[0]})/{s})*{s}")
        return expr + (' AS "time"' if name.endswith("Alias") else "")
    if name == "__unixEpochFilter":
        c = need_col()
        return f"{c} >= {int(tr.start.timestamp())} AND {c} <= {int(tr.end.timestamp())}"
    if name == "__unixEpochFrom":
        return str(int(tr.start.timestamp()))
    if name == "__unixEpochTo":
        return str(int(tr.end.timestamp()))
    raise GrafanaSqlError(f"undefined macro: ${name}")


def expand_macros(sql: str, tr: TimeRange) -> str:
    sql = strip_sql_comments(sql)

    def repl(m: re.Match) -> str:
        name = m.group(1)
        if name == "__timeGroup":  # Grafana: a ',' right after the call means the pre-5.3 aliasing form
            end = m.end()
            if end < len(sql) and sql[end] == ",":
                name = "__timeGroupAlias"
        return _macro(name, _args(m.group(2)), tr)

    return _MACRO_RE.sub(repl, sql)


def render(sql: str, tr: TimeRange, variables: dict[str, Variable] | None = None,
           selection: dict[str, object] | None = None, interval: str = "1h") -> str:
    """The SQL Grafana sends to PostgreSQL for this panel query, time range and variable selection."""
    text = interpolate(sql, variables or {}, selection or {}, builtin_variables(tr, interval))
    return expand_macros(text, tr)
