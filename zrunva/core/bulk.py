"""Columns in and out of the database for whole-registry work: no ORM objects per row.

PostgreSQL moves rows with `COPY` (CSV out, text format in); SQLite, the embedded default, with
one query or `executemany`. Both give and take Polars frames with the caller's column types.

Large reads on PostgreSQL go through ADBC when they may (`adbc_driver_postgresql`: binary COPY
decoded in C into Arrow columns) on a connection of their own. It decodes without Python's lock,
so such a read goes on in a thread beside the caller's work (`soon`), and it costs less client
time than psycopg's COPY, whose Python loop takes each row (0.16 against 0.52 s for 900,000
scores; 3.1 against 4.5 s of wall time for the 3.3M people's columns). A connection of its own does not see the caller's
uncommitted rows, so it is used only when there are none the read could need
(`_own_connection`).
"""

import io
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import TypeVar

import polars as pl
import psycopg
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections
from psycopg.conninfo import make_conninfo

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


def _adbc():
    try:
        import adbc_driver_postgresql.dbapi
    except ImportError:  # an optional speed-up: COPY through psycopg reads the same rows
        return None
    return adbc_driver_postgresql.dbapi


def _own_connection(unwritten: bool) -> bool:
    """Whether a read on a connection of its own sees what Django's connection would: no
    transaction is open (autocommit, outside `atomic`), or the caller says its open transaction
    has written nothing the read depends on (`unwritten`) and it is at READ COMMITTED, where
    each statement sees what is committed when it starts, as the other connection does."""
    if not _postgres() or _adbc() is None:
        return False
    if not connection.in_atomic_block and connection.get_autocommit():
        return True
    if not unwritten:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('transaction_isolation')")
        return cursor.fetchone()[0] == "read committed"


def _target() -> tuple[str, str]:
    """How to open a connection of its own like Django's (its server, database, user and
    options), and its time zone."""
    connection.ensure_connection()
    info = connection.connection.info
    return make_conninfo(info.dsn, password=info.password or None), connection.timezone_name


def _read_adbc(query: str, schema: Mapping[str, pl.DataType], target) -> pl.DataFrame:
    """The rows of `query` (no parameters left) read with ADBC on a connection of its own."""
    conninfo, zone = target
    names = [f"c{i}" for i in range(len(schema))]
    # Exact amounts come as the text COPY would print: ADBC's own decoding of `numeric` costs
    # twice the client time (0.45 against 0.22 s for 1.5M amounts).
    columns = [
        f"{n}::text" if isinstance(t, pl.Decimal) else n
        for n, t in zip(names, schema.values(), strict=True)
    ]
    # The column list names the select's columns by position, unnamed and repeated ones too.
    wrapped = f"SELECT {', '.join(columns)} FROM ({query}) AS q ({', '.join(names)})"  # noqa: S608
    zone = zone.replace("'", "''")
    with _adbc().connect(conninfo) as own, own.cursor() as cursor:
        cursor.execute(f"SET TIME ZONE '{zone}'")
        cursor.execute(wrapped)
        frame = pl.DataFrame(cursor.fetch_arrow())
    return frame.select(
        _cast(pl.col(c), frame.schema[c], wanted).alias(name)
        for c, (name, wanted) in zip(names, schema.items(), strict=True)
    )


T = TypeVar("T")

# Set in a thread `soon` started: its reads go on connections of their own, like this one's.
_worker = threading.local()


def soon(
    function: Callable[..., T], /, *args, unwritten: bool = False, **kwargs
) -> Callable[[], T]:
    """`function(*args, **kwargs)`, which reads with `read_frame`, started now in a thread of its
    own where its reads may go on connections of their own (PostgreSQL, `unwritten` as for
    `read_frame`), else done now. Returns a function that gives its result, waiting for it.
    ADBC leaves Python's lock while the server works and while it decodes, so the read goes on
    beside the caller's work (a run decides while the decisions in force are read)."""
    if not _own_connection(unwritten):
        result = function(*args, **kwargs)
        return lambda: result
    target = _target()

    def work():
        _worker.target = target
        try:
            return function(*args, **kwargs)
        finally:
            _worker.target = None
            connections.close_all()  # this thread's, should the function have used one

    return _started(work)


def _started(work: Callable[[], T]) -> Callable[[], T]:
    """`work()` started now in a thread of its own; a function that gives its result, waiting
    for it."""
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(work)
    executor.shutdown(wait=False)  # the thread ends with the work
    return future.result


# A connection `beside` waits this long for a lock, then gives up: its caller may hold one it
# needs while it waits for the work to end.
BESIDE_LOCK_TIMEOUT = "5s"


def beside(work: Callable[..., T]) -> Callable[[], T] | None:
    """`work(cursor)` started now in a thread, on a psycopg cursor of a connection of its own
    opened like Django's, committed when it returns (rolled back if it raises); None where
    there is no such connection (SQLite). Returns a function that gives its result, waiting
    for it. Its writes are committed whatever becomes of the caller's transaction, which
    does not see them until then: for a caller whose transaction is the outermost one, work
    that it takes over once done (`partitions.Monthly.fill`: a month loaded and indexed
    while the run writes its change log)."""
    if not _postgres():
        return None
    conninfo, zone = _target()

    def run() -> T:
        with psycopg.connect(conninfo) as own, own.cursor() as cursor:
            cursor.execute("SELECT set_config('TimeZone', %s, false)", [zone])
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [BESIDE_LOCK_TIMEOUT])
            return work(cursor)

    return _started(run)


def _cast(column: pl.Expr, read: pl.DataType, wanted: pl.DataType) -> pl.Expr:
    """A column as ADBC gives it, typed as the CSV reader types its text: `numeric` arrives as
    its text (an opaque extension), `real` through its shortest text, as COPY prints it."""
    if isinstance(read, pl.Extension):
        column = column.ext.storage()
    elif read == pl.Float32:
        column = column.cast(pl.String)
    if wanted == pl.Boolean:
        return column.cast(pl.Int8).cast(pl.Boolean)
    return column.cast(wanted)


def read_frame(
    sql: str, params: Sequence, schema: Mapping[str, pl.DataType], *, unwritten: bool = False
) -> pl.DataFrame:
    """The rows of a SELECT as a frame, columns named and typed by `schema` in select order.

    `params` are integers and dates only (ids, days), bound as `%s`. `unwritten`: the caller's
    open transaction has written nothing this read needs to see, so on PostgreSQL it may read
    on a connection of its own (with no transaction open, it always may)."""
    target = getattr(_worker, "target", None)
    if target is None and _own_connection(unwritten):
        target = _target()
    if target is not None:
        return _read_adbc(_inline(sql, params), schema, target)
    return _read_here(sql, params, schema)


def query_frame(queryset, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a `values_list()` queryset as a frame, columns named and typed by `schema`
    in its order, read on Django's own connection: by `COPY` on PostgreSQL, its parameters (any
    the ORM binds: text too) bound by psycopg; one fetch on SQLite. For a page's reads of tens
    of thousands of rows, where the ORM's row by row loading costs more than the query, and
    opening a connection of its own (`read_frame`'s ADBC) more still. The values are as the
    database gives them: Django's converters do not run (read instants as integers, say)."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # a filter no row can meet (`pk__in=[]`): the ORM reads nothing
        return pl.DataFrame(schema=dict(schema))
    return _read_here(sql, params, schema)


def _read_here(sql: str, params: Sequence, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The rows of a SELECT read on Django's connection (see `read_frame`)."""
    read_schema = {
        name: (pl.Int8 if dtype == pl.Boolean else dtype) for name, dtype in schema.items()
    }
    if _postgres():
        buffer = io.BytesIO()
        with connection.cursor() as cursor, connection.wrap_database_errors:
            # COPY takes no parameters on the server: psycopg binds them in the client, quoted.
            # It leaves a query without parameters as it is, where execute() would read its %%
            # as %, as the SQL written for it means.
            query = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
            if not params:
                query = query.replace("%%", "%")
            with cursor.cursor.copy(query, list(params) or None) as copy:
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


@contextmanager
def staged(table: str, df: pl.DataFrame, prefix: str):
    """`df` written (COPY on PostgreSQL) into a temporary table of `table`'s own column types,
    named `prefix_table`: yields its quoted name, then drops it. Meant inside the caller's
    `atomic()` (the temporary table lives and dies in it; on PostgreSQL the role needs the
    TEMPORARY privilege, which PUBLIC has by default)."""
    quote = connection.ops.quote_name
    name = quote(f"{prefix}_{table}")
    # The schema of temporary tables named: never a permanent table of the same name.
    temporary = f"{'pg_temp' if _postgres() else 'temp'}.{name}"
    columns = ", ".join(quote(c) for c in df.columns)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {name} AS SELECT {columns} FROM {quote(table)} LIMIT 0"  # noqa: S608
        )
    # An error leaves the caller's transaction to roll the table back (its DROP would fail in
    # an aborted transaction and hide the error); a table left by one is dropped above.
    write_frame(f"{prefix}_{table}", df)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if _postgres():
            cursor.execute(f"ANALYZE {name}")
        yield name
        cursor.execute(f"DROP TABLE {temporary}")


def update_frame(table: str, df: pl.DataFrame, *, key: str = "id") -> int:
    """Set the other columns of `df` on the rows of `table` whose `key` it names, in the
    caller's transaction, with one `UPDATE … FROM` a staged copy of the frame (`staged`). A
    list of a million ids in a `pk__in` filter costs seconds of Python to compile and quote
    before the server starts."""
    if df.is_empty():
        return 0
    quote = connection.ops.quote_name
    target = quote(table)
    assignments = ", ".join(f"{quote(c)} = s.{quote(c)}" for c in df.columns if c != key)
    with staged(table, df, "update") as temp, connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {target} SET {assignments} FROM {temp} AS s "  # noqa: S608
            f"WHERE {target}.{quote(key)} = s.{quote(key)}"
        )
        return cursor.rowcount


def merge_frame(table: str, df: pl.DataFrame) -> int:
    """Insert the rows of `df` that no unique constraint of `table` already holds, in the
    caller's transaction (`INSERT … ON CONFLICT DO NOTHING` from a staged copy): what two
    writers may both add. Returns the rows inserted."""
    if df.is_empty():
        return 0
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in df.columns)
    with staged(table, df, "merge") as temp, connection.cursor() as cursor:
        # SQLite reads `ON` after a bare `FROM` as a join's: the WHERE ends the SELECT.
        cursor.execute(
            f"INSERT INTO {quote(table)} ({columns}) SELECT {columns} FROM {temp} "  # noqa: S608
            "WHERE true ON CONFLICT DO NOTHING"
        )
        return cursor.rowcount


def delete_frame(table: str, df: pl.DataFrame, *, key: str = "id") -> int:
    """Delete the rows of `table` whose `key` is in `df`'s one column of that name, in the
    caller's transaction, through a staged copy (as `update_frame`)."""
    if df.is_empty():
        return 0
    quote = connection.ops.quote_name
    with staged(table, df.select(key), "delete") as temp, connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(table)} WHERE {quote(key)} IN "  # noqa: S608
            f"(SELECT {quote(key)} FROM {temp})"
        )
        return cursor.rowcount


def replace_frame(model, df: pl.DataFrame) -> int:
    """Every row of `model`'s table deleted, then `df`'s written (its columns that are the
    model's), in the caller's transaction: a derived table rebuilt whole."""
    model.objects.all().delete()
    columns = {f.attname for f in model._meta.concrete_fields}
    return write_frame(model._meta.db_table, df.select([c for c in df.columns if c in columns]))


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


def copy_in(cursor, table: str, df: pl.DataFrame) -> None:
    """Every row of `df` into `table` (columns by name) by COPY on a psycopg cursor."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in df.columns)
    with cursor.copy(f"COPY {quote(table)} ({columns}) FROM STDIN") as copy:
        copy.write(copy_text(df))


def write_frame(table: str, df: pl.DataFrame) -> int:
    """Insert every row of `df` into `table` (columns by name) in the caller's transaction."""
    if df.is_empty():
        return 0
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if _postgres():
            copy_in(cursor.cursor, table, df)
        else:
            quote = connection.ops.quote_name
            columns = ", ".join(quote(c) for c in df.columns)
            df = df.with_columns(pl.col(pl.Date).dt.to_string("%Y-%m-%d"))
            df = df.with_columns(pl.col(pl.Datetime).dt.to_string("%Y-%m-%d %H:%M:%S%.f"))
            values = ", ".join(["%s"] * df.width)
            sql = f"INSERT INTO {quote(table)} ({columns}) VALUES ({values})"  # noqa: S608
            cursor.executemany(sql, df.rows())
    return df.height
