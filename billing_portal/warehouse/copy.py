"""Bulk writes with COPY: frames are serialised by Arrow's C++ CSV writer and streamed to PostgreSQL.

Quoting is Arrow's: strings are always quoted, so an empty string stays '' and a missing value (unquoted empty
field) becomes NULL.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import pandas as pd
import psycopg
import pyarrow as pa
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
