"""`query_frame` reads a queryset's rows as a frame on Django's own connection, by COPY on
PostgreSQL: the rows the ORM gives, with text parameters bound (quoted), not spliced."""

import polars as pl
from django.db.models import CharField, F, Func, IntegerField, Value

from zrunva.core.bulk import query_frame
from zrunva.geo.models import Municipality, Region

SCHEMA = {"id": pl.Int64, "code": pl.String, "name": pl.String}


def _area(*codes: str) -> list[Municipality]:
    region = Region.objects.first()  # the reference data's
    return [
        Municipality.objects.create(
            code=code,
            name_ka=f"{code} ქართული",
            name_en=code,
            region=region,
            area_km2=1,
            villages=1,
            population=1,
        )
        for code in codes
    ]


def test_the_rows_the_orm_gives(db):
    _area("qf-1", "qf-2")
    rows = Municipality.objects.filter(code__startswith="qf-").order_by("code")
    read = query_frame(rows.values_list("pk", "code", "name_ka"), SCHEMA)
    assert read.rows() == list(rows.values_list("pk", "code", "name_ka"))
    assert read.schema == pl.Schema(SCHEMA)


def test_text_parameters_are_bound_not_spliced(db):
    # Quotes, a backslash and a percent sign in what the ORM binds: the rows that match them,
    # and nothing of them read as SQL.
    odd = "q'f\\%; DROP TABLE x; --"
    _area(odd, "qf-plain")
    rows = Municipality.objects.filter(code__in=[odd, "x' OR '1'='1"]).values_list(
        "pk", "code", "name_ka"
    )
    read = query_frame(rows, SCHEMA)
    assert read["code"].to_list() == [odd]
    assert Municipality.objects.filter(code="qf-plain").exists()


def test_a_percent_sign_written_in_the_sql(db):
    # The SQL Django writes doubles a literal %, with parameters or without (the template is
    # filled with % first: %%%% is %% in the SQL, which means %).
    _area("qf-3")
    percent = Func(template="'50%%%%'", output_field=CharField())
    rows = Municipality.objects.filter(code="qf-3").values_list("pk", percent)
    with_params = query_frame(rows, {"id": pl.Int64, "share": pl.String})
    assert with_params["share"].to_list() == ["50%"]
    every = Municipality.objects.values_list(percent, Value(1, output_field=IntegerField()))
    without = query_frame(every.order_by().distinct(), {"share": pl.String, "one": pl.Int64})
    assert without.rows() == [("50%", 1)]


def test_no_rows(db):
    rows = Municipality.objects.filter(code="none such").values_list("pk", "code", F("name_ka"))
    assert query_frame(rows, SCHEMA).is_empty()
    # A filter no row can meet is no query at all for the ORM: an empty frame, typed.
    none = Municipality.objects.filter(pk__in=[]).values_list("pk", "code", "name_ka")
    empty = query_frame(none, SCHEMA)
    assert empty.is_empty() and empty.schema == pl.Schema(SCHEMA)
