"""Columns in and out of the database for whole-registry work: no ORM objects per row.

PostgreSQL moves rows with `COPY` (CSV out, text format in); SQLite, the embedded default, with
one query or `executemany`. Both give and take Polars frames with the caller's column types.
"""

import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

import polars as pl
from django.db import connection

# Booleans are selected as CASE WHEN … THEN 1 ELSE 0 END by callers, so every database
# returns them as integers; the schema's Boolean columns are cast from those.


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _literal(value) -> str:
    """A query parameter inlined into a COPY statement, which takes no bound parameters. Only
    numbers and dates are accepted: everything here is an id or a day, never user text."""
    if isinstance(value, bool) or not isinstance(value, int | date):
        raise TypeError(f"Only integers and dates are inlined into COPY, not {value!r}")
    return f"'{value.isoformat()}'" if isinstance(value, date) else str(value)


def _inline(sql: str, params: Sequence) -> str:
    return sql % tuple(_literal(p) for p in params)


def read_frame(sql: str, params: Sequence, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a SELECT as a frame, columns named and typed by `schema` in select order.

    `params` are integers and dates only (ids, days), bound as `%s`."""
    read_schema = {
        name: (pl.Int8 if dtype == pl.Boolean else dtype) for name, dtype in schema.items()
    }
    if _postgres():
        buffer = io.BytesIO()
        with connection.cursor() as cursor, connection.wrap_database_errors:
            query = f"COPY ({_inline(sql, params)}) TO STDOUT WITH (FORMAT csv)"
            with cursor.cursor.copy(query) as copy:
                for block in copy:
                    buffer.write(block)
        if buffer.tell() == 0:
            frame = pl.DataFrame(schema=read_schema)
        else:
            buffer.seek(0)
            frame = pl.read_csv(buffer, has_header=False, schema=read_schema)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, list(params))
            rows = cursor.fetchall()
        # Django's SQLite backend gives declared date columns as dates, computed ones as text.
        dates = [i for i, t in enumerate(read_schema.values()) if t == pl.Date]
        if dates and any(isinstance(row[i], str) for row in rows for i in dates):
            rows = [
                tuple(
                    date.fromisoformat(v) if i in dates and isinstance(v, str) else v
                    for i, v in enumerate(row)
                )
                for row in rows
            ]
        # SQLite keeps numeric columns as floats or integers: exact amounts are made from their
        # shortest text (the value as it was written), never from the binary float.
        exact = [i for i, t in enumerate(read_schema.values()) if isinstance(t, pl.Decimal)]
        if exact:
            rows = [
                tuple(
                    Decimal(str(v)) if i in exact and v is not None else v
                    for i, v in enumerate(row)
                )
                for row in rows
            ]
        frame = pl.DataFrame(rows, schema=read_schema, orient="row", strict=False)
    return frame.with_columns(
        pl.col(n).cast(pl.Boolean) for n, t in schema.items() if t == pl.Boolean
    )


def copy_text(df: pl.DataFrame) -> bytes:
    """The frame in COPY's text format, text columns escaped (lists must be made text first)."""
    df = df.with_columns(
        pl.col(pl.String)
        .str.replace_all("\\", "\\\\", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
        .str.replace_all("\n", "\\n", literal=True)
        .str.replace_all("\r", "\\r", literal=True)
    )
    buffer = io.BytesIO()
    df.write_csv(
        buffer,
        include_header=False,
        separator="\t",
        quote_style="never",
        null_value="\\N",
        date_format="%Y-%m-%d",
        datetime_format="%Y-%m-%dT%H:%M:%S%.f%:z",
    )
    return buffer.getvalue()


def write_frame(table: str, df: pl.DataFrame) -> int:
    """Insert every row of `df` into `table` (columns by name) in the caller's transaction."""
    if df.is_empty():
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in df.columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if _postgres():
            with cursor.cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
                copy.write(copy_text(df))
        else:
            df = df.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
            df = df.with_columns(pl.col(pl.Datetime).dt.to_string("%Y-%m-%d %H:%M:%S%.f"))
            values = ", ".join(["%s"] * df.width)
            sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({values})"  # noqa: S608
            cursor.executemany(sql, df.rows())
    return df.height
