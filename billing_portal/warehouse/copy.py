"""Bulk writes with COPY: frames are serialised by Arrow's C++ CSV writer and streamed to PostgreSQL.

Quoting is Arrow's: strings are always quoted, so an empty string stays '' and a missing value (unquoted empty
field) becomes NULL.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql

CHUNK_BYTES = 8 << 20


def frame_to_csv(frame: pd.DataFrame | pa.Table, columns: Sequence[str]) -> bytes:
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    if isinstance(frame, pa.Table):
        table = table.select(list(columns))
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, write_options=pacsv.WriteOptions(include_header=False, batch_size=65536))
    return buf.getvalue()


def copy_csv(conn: psycopg.Connection, table: str | sql.Composable, columns: Sequence[str], data: bytes) -> None:
    """COPY already-encoded CSV bytes into `table(columns)`."""
    ident = sql.Identifier(*table.split(".")) if isinstance(table, str) else table
    stmt = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        ident, sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    with conn.cursor() as cur, cur.copy(stmt) as cp:
        view = memoryview(data)
        for start in range(0, len(view), CHUNK_BYTES):
            cp.write(view[start:start + CHUNK_BYTES])


def copy_frame(conn: psycopg.Connection, table: str | sql.Composable, frame: pd.DataFrame | pa.Table,
               columns: Sequence[str] | None = None) -> int:
    """COPY a frame's `columns` (default: all, in order) into `table`. Returns the row count."""
    columns = list(columns if columns is not None else frame.column_names if isinstance(frame, pa.Table)
                   else frame.columns)
    n = frame.num_rows if isinstance(frame, pa.Table) else len(frame)
    if n == 0:
        return 0
    copy_csv(conn, table, columns, frame_to_csv(frame, columns))
    return n


# --- PostgreSQL text format, built column by column with Arrow compute -------------------------------------------
#
# COPY ... FROM STDIN (FORMAT text): one line per row, columns separated by a tab, `\N` for NULL, and backslash,
# tab, newline and carriage return escaped with a backslash. Every column is turned into an Arrow string array of
# its text (no Python per row: low-cardinality columns are dictionary-encoded and only the dictionary is formatted),
# the columns are joined element-wise with a tab and a newline, and the joined array's value buffer IS the COPY
# payload for that chunk: it is handed to psycopg without another copy. Chunks are produced while the previous one
# is being sent (psycopg's queued writer sends from its own thread; Arrow kernels release the GIL).


TEXT_CHUNK_ROWS = 131_072
NULL_TEXT = "\\N"
_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))
_NEEDS_ESCAPE = r"[\\\t\n\r]"


def pg_text_escape(value: str) -> str:
    """One value in COPY text format (the scalar twin of the vectorised escaping; used for dictionaries)."""
    for raw, esc in _ESCAPES:
        value = value.replace(raw, esc)
    return value


def escape_strings(arr: pa.Array) -> pa.Array:
    """A string array → its COPY text (escaped), NULL → `\\N`."""
    if pa.types.is_dictionary(arr.type):
        dictionary = escape_strings(arr.dictionary.cast(pa.string()))
        out = dictionary.take(arr.indices)
        return pc.fill_null(out, NULL_TEXT) if out.null_count else out
    if not pa.types.is_string(arr.type):
        arr = arr.cast(pa.string())  # large_string chunks are far below 2 GiB
    if len(arr) and pc.any(pc.match_substring_regex(arr, _NEEDS_ESCAPE)).as_py():
        for raw, esc in _ESCAPES:
            arr = pc.replace_substring(arr, raw, esc)
    return pc.fill_null(arr, NULL_TEXT) if arr.null_count else arr


def _format_scalar(value) -> str:
    if value is None:
        return NULL_TEXT
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.isoformat(sep=" ")
        return value.astimezone(dt.UTC).isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return pg_text_escape(str(value))


def column_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Any Arrow column → a string array of its COPY text. Strings are escaped; integers cast; timestamps, dates,
    booleans and anything else are dictionary-encoded and only distinct values are formatted (in Python, exactly)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or (
            pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type))):
        return escape_strings(arr)
    if pa.types.is_integer(t):
        out = arr.cast(pa.string())
        return pc.fill_null(out, NULL_TEXT) if out.null_count else out
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        raise TypeError(f"column of type {t}: pass money as integer units (money.units_to_text_arrow), "
                        "never floats")
    encoded = arr if pa.types.is_dictionary(t) else pc.dictionary_encode(arr)
    texts = pa.array([_format_scalar(v) for v in encoded.dictionary.to_pylist()], pa.string())
    out = texts.take(encoded.indices)
    return pc.fill_null(out, NULL_TEXT) if out.null_count else out


def join_rows(columns: Sequence[pa.Array]) -> pa.Array:
    """Text columns → one string per row, `col1\\tcol2…\\n`."""
    sep_nl = pa.scalar("\n", pa.string())
    joined = pc.binary_join_element_wise(*columns, pa.scalar("\t", pa.string()))
    return pc.binary_join_element_wise(joined, pa.scalar("", pa.string()), sep_nl)


def value_bytes(arr: pa.Array) -> memoryview:
    """The contiguous bytes of a string array's values (no copy)."""
    offsets_type = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=offsets_type)
    start, end = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    data = arr.buffers()[2]
    if data is None:
        return memoryview(b"")
    return memoryview(data)[start:end]


def text_chunks(table: pa.Table, columns: Sequence[str], *, converters: dict | None = None,
                chunk_rows: int = TEXT_CHUNK_ROWS):
    """Yield COPY text payloads of `chunk_rows` rows of `table[columns]`.

    `converters[name](chunk_table, offset) -> pa.Array` builds a column's text for a chunk itself (computed columns,
    money from integer units); other columns come from `table` by name through `column_text`.
    """
    converters = converters or {}
    n = table.num_rows
    for offset in range(0, n, chunk_rows):
        chunk = table.slice(offset, chunk_rows)
        cols = []
        for name in columns:
            if name in converters:
                cols.append(converters[name](chunk, offset))
            else:
                cols.append(column_text(chunk.column(name)))
        rows = join_rows(cols)
        yield value_bytes(rows), rows  # keep `rows` alive while its bytes are in use


def day_columns(day: dt.date, amounts: dict[str, str], number: str | None = None) -> dict:
    """`text_chunks` converters for what rows computed in memory do not hold: the day (`usage_date`), a row number
    counted from the first row (`number`, e.g. a fact's `fact_no`), and each amount column as exact NUMERIC text
    from its int64 units column (`amounts`: amount column → units column)."""
    from billing_portal.money import units_to_text_arrow

    day_text = pa.array([day.isoformat()], pa.string())

    def usage_date(chunk: pa.Table, offset: int) -> pa.Array:
        return day_text.take(pa.array(np.zeros(chunk.num_rows, dtype=np.int32)))

    def numbered(chunk: pa.Table, offset: int) -> pa.Array:
        return pa.array(np.arange(offset, offset + chunk.num_rows, dtype=np.int64)).cast(pa.string())

    def amount(units: str):
        return lambda chunk, offset: units_to_text_arrow(chunk.column(units))

    out = {"usage_date": usage_date, **{name: amount(units) for name, units in amounts.items()}}
    if number:
        out[number] = numbered
    return out


WRITER_QUEUE_ITEMS = 16


def _bounded_writer(cur):
    """psycopg's queued writer (sends from a worker thread while we encode the next chunk) with a short queue, so at
    most a few buffers (and the chunk they point into) are held in memory instead of the whole day."""
    import queue

    from psycopg.copy import QueuedLibpqWriter

    writer = QueuedLibpqWriter(cur)
    writer._queue = queue.Queue(maxsize=WRITER_QUEUE_ITEMS)  # default 1024 items: unbounded for our purpose
    return writer


def copy_text(conn: psycopg.Connection, table: str | sql.Composable, columns: Sequence[str], payloads, *,
              freeze: bool = False) -> int:
    """COPY text-format payloads (iterable of bytes-like, or of (bytes-like, owner)) into `table(columns)`.
    Returns the number of rows the server says it copied. `freeze`: the rows are written frozen (and the table's
    pages all-visible), so no reader ever rewrites them to set hint bits; only for a table created in the current
    transaction (a staged day partition)."""
    ident = sql.Identifier(*table.split(".")) if isinstance(table, str) else table
    stmt = sql.SQL("COPY {} ({}) FROM STDIN{}").format(ident, sql.SQL(", ").join(sql.Identifier(c) for c in columns),
                                                       sql.SQL(" WITH (FREEZE)") if freeze else sql.SQL(""))
    with conn.cursor() as cur:
        with cur.copy(stmt, writer=_bounded_writer(cur)) as cp:
            for item in payloads:
                data = item[0] if isinstance(item, tuple) else item
                for start in range(0, len(data), CHUNK_BYTES):
                    cp.write(data[start:start + CHUNK_BYTES])
        return cur.rowcount


def copy_table_text(conn: psycopg.Connection, table: str | sql.Composable, data: pa.Table,
                    columns: Sequence[str] | None = None, *, converters: dict | None = None,
                    chunk_rows: int = TEXT_CHUNK_ROWS, freeze: bool = False) -> int:
    """COPY an Arrow table (text format, built with Arrow compute). Returns the row count, once the server's count of
    the rows it copied is checked against the table's (so what the caller computed from the table was stored)."""
    columns = list(columns if columns is not None else data.column_names)
    if data.num_rows == 0:
        return 0
    copied = copy_text(conn, table, columns, text_chunks(data, columns, converters=converters, chunk_rows=chunk_rows),
                       freeze=freeze)
    if copied != data.num_rows:
        raise RuntimeError(f"COPY into {table} stored {copied} rows of {data.num_rows}")
    return data.num_rows
