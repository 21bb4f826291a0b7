"""`read_frame` on PostgreSQL reads on a connection of its own (ADBC) only where that sees what
Django's connection sees, and gives then the frame COPY gives, value for value."""

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from django.db import connection, transaction
from polars.testing import assert_frame_equal

from zrunva.core import bulk
from zrunva.core.money import AMOUNT
from zrunva.geo.models import Municipality

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.skipif(bulk._adbc() is None, reason="adbc-driver-postgresql not installed"),
]

# Every kind of column the bulk reads use, with nulls, text COPY would escape, a `numeric` read
# as an exact amount and as a float, a `real`, and an unnamed and a repeated column.
VALUES = r"""
    SELECT v.a, NULL::bigint, v.a, v.t, v.amount, v.amount, v.r, v.f, v.d,
           CASE WHEN v.b THEN 1 ELSE 0 END
    FROM (VALUES
        (1::bigint, E'tab\there, "quoted", back\\slash', 12.50::numeric(12, 2),
         0.1::real, 0.1::float8, date '2026-01-31', true),
        (%s, E'line\nbreak, ქართული', 0.05, 1.1, 2.675, %s, false),
        (NULL, NULL, NULL, NULL, NULL, NULL, NULL)
    ) v (a, t, amount, r, f, d, b)
    ORDER BY v.a NULLS LAST
"""
SCHEMA = {
    "a": pl.Int64,
    "none": pl.Int64,
    "again": pl.Int64,
    "text": pl.String,
    "amount": AMOUNT,
    "as_float": pl.Float64,
    "real": pl.Float64,
    "double": pl.Float64,
    "day": pl.Date,
    "flag": pl.Boolean,
}
PARAMS = [2, date(1999, 12, 31)]


@pytest.fixture
def spy(monkeypatch):
    calls = []
    read = bulk._read_adbc

    def spied(*args):
        calls.append(args[0])
        return read(*args)

    monkeypatch.setattr(bulk, "_read_adbc", spied)
    return calls


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_on_its_own_connection_gives_the_frame_copy_gives(spy):
    own = bulk.read_frame(VALUES, PARAMS, SCHEMA)
    assert len(spy) == 1
    with transaction.atomic():
        copied = bulk.read_frame(VALUES, PARAMS, SCHEMA)
    assert len(spy) == 1
    assert_frame_equal(own, copied)
    assert own.row(0) == (
        1,
        None,
        1,
        'tab\there, "quoted", back\\slash',
        Decimal("12.50"),
        12.5,
        0.1,
        0.1,
        date(2026, 1, 31),
        True,
    )
    assert own["text"][1] == "line\nbreak, ქართული" and own["flag"][1] is False
    assert own.row(2) == (None,) * (len(SCHEMA) - 1) + (False,)
    empty = bulk.read_frame(VALUES + " LIMIT 0", PARAMS, SCHEMA)
    assert empty.is_empty() and empty.schema == copied.schema


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_that_may_have_written_reads_its_own_rows(spy):
    first = Municipality.objects.order_by("id").first()
    villages = "SELECT villages FROM geo_municipality WHERE id = %s"
    schema = {"villages": pl.Int64}
    with transaction.atomic():
        Municipality.objects.filter(pk=first.pk).update(villages=first.villages + 1)
        assert bulk.read_frame(villages, [first.pk], schema).item() == first.villages + 1
        assert not spy
        # A caller that says it wrote nothing the read needs gets the committed rows.
        assert bulk.read_frame(villages, [first.pk], schema, unwritten=True).item() == (
            first.villages
        )
        assert len(spy) == 1
        transaction.set_rollback(True)
    assert bulk.read_frame(villages, [first.pk], schema).item() == first.villages
    assert len(spy) == 2


@pytest.mark.django_db
def test_a_test_transaction_reads_with_copy(spy):
    assert bulk.read_frame(VALUES, PARAMS, SCHEMA).height == 3
    assert not spy


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_soon_reads_in_a_thread_of_its_own_what_the_caller_would(spy):
    pending = bulk.soon(bulk.read_frame, VALUES, PARAMS, SCHEMA)
    with transaction.atomic():
        copied = bulk.read_frame(VALUES, PARAMS, SCHEMA)
    assert_frame_equal(pending(), copied)
    assert len(spy) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_soon_in_a_transaction_that_may_have_written_reads_now_on_its_connection(spy):
    first = Municipality.objects.order_by("id").first()
    villages = "SELECT villages FROM geo_municipality WHERE id = %s"
    with transaction.atomic():
        Municipality.objects.filter(pk=first.pk).update(villages=first.villages + 1)
        pending = bulk.soon(bulk.read_frame, villages, [first.pk], {"villages": pl.Int64})
        assert pending().item() == first.villages + 1
        assert not spy
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_soon_gives_the_reads_error():
    pending = bulk.soon(bulk.read_frame, "SELECT 1 / 0", [], {"n": pl.Int64})
    with pytest.raises(Exception, match="division by zero"):
        pending()
