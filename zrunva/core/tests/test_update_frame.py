"""`update_frame` sets a frame's columns on the rows it names, in one UPDATE on SQLite and on
PostgreSQL (COPYed there): the others untouched, text as written, and again in the same
transaction."""

import polars as pl
from django.db import connection, transaction

from zrunva.core.bulk import update_frame
from zrunva.geo.models import Municipality

TABLE = Municipality._meta.db_table


def _three():
    return Municipality.objects.order_by("code")[:3]  # the reference data's


def test_the_rows_named_are_set_and_no_other(db):
    first, second, third = _three()
    before = list(Municipality.objects.exclude(pk__in=[first.pk, second.pk, third.pk]).values())
    odd = "tab\there, new\nline, back\\slash, 'quoted', ქართული"
    frame = pl.DataFrame(
        {"id": [first.pk, third.pk], "name_en": [odd, "Third"], "villages": [0, 3]}
    )
    with transaction.atomic():
        assert update_frame(TABLE, frame) == 2
        # again in the same transaction: the staging table of the first was dropped
        assert update_frame(TABLE, pl.DataFrame({"id": [second.pk], "villages": [7]})) == 1
    assert [(m.name_en, m.villages) for m in _three()] == [
        (odd, 0),
        (second.name_en, 7),
        ("Third", 3),
    ]
    assert (
        list(Municipality.objects.exclude(pk__in=[first.pk, second.pk, third.pk]).values())
        == before
    )


def test_an_empty_frame_changes_nothing(db):
    before = list(Municipality.objects.values())
    empty = pl.DataFrame(schema={"id": pl.Int64, "name_en": pl.String})
    assert update_frame(TABLE, empty) == 0
    assert list(Municipality.objects.values()) == before


def test_a_permanent_table_of_the_staging_tables_name_is_left_alone(db):
    assert TABLE == "geo_municipality"
    (only,) = _three()[:1]
    with connection.cursor() as cursor:
        cursor.execute('CREATE TABLE "update_geo_municipality" (id integer)')
        cursor.execute('INSERT INTO "update_geo_municipality" VALUES (42)')
    with transaction.atomic():
        assert update_frame(TABLE, pl.DataFrame({"id": [only.pk], "villages": [9]})) == 1
    with connection.cursor() as cursor:
        cursor.execute('SELECT id FROM "update_geo_municipality"')
        assert cursor.fetchall() == [(42,)]
    only.refresh_from_db()
    assert only.villages == 9
