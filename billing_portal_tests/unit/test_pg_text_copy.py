"""The fact writer's COPY text: exact amounts from int64 units, PostgreSQL text-format escaping, NULLs."""

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing_portal.defs.facts.write import FACT_COLUMNS, _converters, fact_table
from billing_portal.money import from_units, units_to_text_arrow
from billing_portal.warehouse.copy import column_text, escape_strings, join_rows, pg_text_escape, text_chunks

INT64_MAX = 2**63 - 1


def test_amount_text_is_exact_for_zero_negatives_and_extremes():
    units = [0, 1, -1, 99_999_999, -99_999_999, 100_000_000, -100_000_000, 123_456_789_012, -5, 10**17,
             INT64_MAX, -INT64_MAX]
    assert units_to_text_arrow(np.array(units, dtype=np.int64)).to_pylist() == [
        "0.00000000", "0.00000001", "-0.00000001", "0.99999999", "-0.99999999", "1.00000000", "-1.00000000",
        "1234.56789012", "-0.00000005", "1000000000.00000000", "92233720368.54775807", "-92233720368.54775807"]


def test_amount_text_keeps_nulls_and_takes_arrow_input():
    assert units_to_text_arrow(pa.array([None, 250, None, -250], pa.int64())).to_pylist() == [
        None, "0.00000250", None, "-0.00000250"]
    assert units_to_text_arrow(np.array([], dtype=np.int64)).to_pylist() == []


@given(st.lists(st.integers(min_value=-INT64_MAX, max_value=INT64_MAX), min_size=1, max_size=50))
def test_amount_text_roundtrips_through_decimal(units):
    texts = units_to_text_arrow(np.array(units, dtype=np.int64)).to_pylist()
    assert [Decimal(t) for t in texts] == [from_units(u) for u in units]
    assert all(t == f"{from_units(u):f}" for t, u in zip(texts, units, strict=True))


SPECIAL = ["plain", "", "tab\there", "new\nline", "cr\rhere", "back\\slash", "\\N", "\\.", "ünï€ødé 🚀", "a,b\"c'd"]


def test_strings_are_escaped_in_text_format_and_nulls_are_backslash_n():
    out = escape_strings(pa.array(SPECIAL + [None])).to_pylist()
    assert out == ["plain", "", "tab\\there", "new\\nline", "cr\\rhere", "back\\\\slash", "\\\\N", "\\\\.",
                   "ünï€ødé 🚀", "a,b\"c'd", "\\N"]
    assert out[:-1] == [pg_text_escape(s) for s in SPECIAL]


def test_dictionary_and_large_strings_give_the_same_text():
    plain = escape_strings(pa.array(SPECIAL + [None])).to_pylist()
    assert escape_strings(pa.array(SPECIAL + [None]).dictionary_encode()).to_pylist() == plain
    assert escape_strings(pa.array(SPECIAL + [None], pa.large_string())).to_pylist() == plain


def test_other_types_format_exactly():
    hours = pa.array([pd.Timestamp("2024-05-01T03:00Z"), None, pd.Timestamp("2024-05-01T23:00Z")],
                     pa.timestamp("ns", "UTC"))
    assert column_text(hours).to_pylist() == ["2024-05-01 03:00:00+00:00", "\\N", "2024-05-01 23:00:00+00:00"]
    assert column_text(pa.array([dt.date(2024, 5, 1), None])).to_pylist() == ["2024-05-01", "\\N"]
    assert column_text(pa.array([7, None, -3], pa.int64())).to_pylist() == ["7", "\\N", "-3"]
    assert column_text(pa.array([True, False, None])).to_pylist() == ["t", "f", "\\N"]
    with pytest.raises(TypeError):
        column_text(pa.array([1.5]))


def test_rows_are_tab_separated_and_newline_terminated():
    rows = join_rows([pa.array(["a", "\\N"]), pa.array(["x\\ty", ""])])
    assert rows.to_pylist() == ["a\tx\\ty\n", "\\N\t\n"]


def _facts(n: int) -> pd.DataFrame:
    hours = pd.to_datetime(["2024-05-01T05:00Z", "2024-05-01T01:00Z", "2024-05-01T05:00Z", "2024-05-01T00:00Z"] *
                           (n // 4), utc=True)
    frame = pd.DataFrame({c: pd.array(["v"] * len(hours), dtype="str") for c in FACT_COLUMNS
                          if c not in ("usage_date", "hour", "fact_no", "line_no", "amount_usd")})
    frame["hour"] = hours
    frame["line_no"] = np.arange(len(hours))
    frame["team"] = pd.array([None, "t\tab", "", "back\\slash"] * (n // 4), dtype="str")
    frame["amount_units"] = np.array([0, -1, 150_000_000, -99_999_999] * (n // 4), dtype=np.int64)
    return frame


def test_fact_chunks_are_ordered_by_hour_with_fact_no_across_chunks():
    day = dt.date(2024, 5, 1)
    table = fact_table(_facts(8))
    payload = b"".join(bytes(data) for data, _ in text_chunks(table, FACT_COLUMNS, converters=_converters(day),
                                                             chunk_rows=3))
    lines = payload.decode().split("\n")
    assert lines[-1] == ""
    rows = [line.split("\t") for line in lines[:-1]]
    assert [r[FACT_COLUMNS.index("fact_no")] for r in rows] == [str(i) for i in range(8)]
    assert [r[FACT_COLUMNS.index("hour")][11:13] for r in rows] == ["00", "00", "01", "01", "05", "05", "05", "05"]
    assert {r[FACT_COLUMNS.index("usage_date")] for r in rows} == {"2024-05-01"}
    by_line = {int(r[FACT_COLUMNS.index("line_no")]): r for r in rows}
    assert by_line[0][FACT_COLUMNS.index("team")] == "\\N"
    assert by_line[1][FACT_COLUMNS.index("team")] == "t\\tab"
    assert by_line[2][FACT_COLUMNS.index("team")] == ""
    assert by_line[3][FACT_COLUMNS.index("team")] == "back\\\\slash"
    assert [by_line[i][FACT_COLUMNS.index("amount_usd")] for i in range(4)] == [
        "0.00000000", "-0.00000001", "1.50000000", "-0.99999999"]
    assert all(len(r) == len(FACT_COLUMNS) for r in rows)
