"""The eligibility decisions partitioned by month of `period` on PostgreSQL (migration 0015,
zrunva/programmes/partitions.py): where runs write, that closing and replacing rows reads one
month, the default partition, the conversion both ways, and what replaced the foreign key."""

import io
import re
from datetime import date

import polars as pl
import psycopg
import pytest
from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.tests.factories import submit
from zrunva.assessment.tests.factories import assess
from zrunva.core import bulk, partitions
from zrunva.core.partitions import add_months, metrics, month_start
from zrunva.programmes import runs
from zrunva.programmes.models import Decision
from zrunva.programmes.partitions import DECISIONS
from zrunva.programmes.tests.factories import eligibility_run, family_and_pensioner

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"),
]

THIS_MONTH = month_start(timezone.localdate())
NEXT_MONTH = add_months(THIS_MONTH, 1)


@pytest.fixture
def admin(make_user, settings):
    # Last year and this one by month, older years one partition each (the default).
    settings.DECISION_PARTITIONS_MONTHLY_YEARS = 1
    return make_user(Role.ADMIN)


def home_of(month: date) -> str:
    """The partition a decision of `month` belongs in."""
    if month.year < THIS_MONTH.year - 1:
        return DECISIONS.year_name(month.year)
    return DECISIONS.name_of(month)


def closed(like: Decision, month: date) -> Decision:
    """A decision of an earlier month, ended that month, for the same beneficiary."""
    return Decision.objects.create(
        programme_id=like.programme_id,
        household_id=like.household_id,
        person_id=like.person_id,
        period=month,
        until=month,
        status=like.status,
        reason=like.reason,
        run_id=like.run_id,
    )


def homes(**filters) -> dict[int, str]:
    """The partition each decision is stored in, by id."""
    ids = list(Decision.objects.filter(**filters).values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, tableoid::regclass::text FROM programmes_decision WHERE id = ANY(%s)",
            [ids],
        )
        return dict(cursor.fetchall())


def rewrites(queries) -> list[str]:
    """The UPDATE and DELETE statements of the decisions a run sent."""
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith(
            ('UPDATE "programmes_decision"', 'DELETE FROM "programmes_decision"')
        )
    ]


def refused_twin(row: Decision) -> None:
    """A second decision for the same household, programme and month is refused (the month's
    copy of the unique index)."""
    with (
        pytest.raises(DatabaseError, match=r"\(programme_id, household_id, period\)"),
        transaction.atomic(),
    ):
        Decision.objects.create(
            programme_id=row.programme_id,
            household_id=row.household_id,
            period=row.period,
            status=row.status,
            reason=row.reason,
            run_id=row.run_id,
        )


def partitions_read(statement: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = " ".join(row[0] for row in cursor.fetchall())
    return set(re.findall(r"programmes_decision_(?:y\d{4}m\d{2}|default)\b", plan))


def test_the_decisions_are_partitioned_by_month_with_the_period_in_their_key(admin):
    household, _, _ = family_and_pensioner()
    assert DECISIONS.is_partitioned(connection)
    eligibility_run(timezone.localdate(), actor=admin)
    assert set(homes().values()) == {DECISIONS.name_of(THIS_MONTH)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'programmes_decision'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, period)"
    months = [p.month for p in DECISIONS.partitions(connection) if p.month]
    assert add_months(THIS_MONTH, 3) in months  # DECISION_PARTITIONS_AHEAD
    # One decision per beneficiary and month still (the month's copy of the unique index).
    row = Decision.objects.filter(household=household, person__isnull=True).first()
    refused_twin(row)


def test_a_run_closes_and_replaces_rows_reading_their_month_alone(admin):
    household, _, _ = family_and_pensioner()
    eligibility_run(timezone.localdate(), actor=admin)
    tsa = Decision.objects.get(household=household, programme__code="tsa")
    # Re-assessed above the threshold: next month's run closes this month's row...
    assess(household, 61000, visit=timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        eligibility_run(NEXT_MONTH, actor=admin)
    closing = rewrites(queries.captured_queries)
    assert len(closing) == 1 and closing[0].startswith("UPDATE")
    assert partitions_read(closing[0]) == {DECISIONS.name_of(THIS_MONTH)}
    tsa.refresh_from_db()
    assert tsa.until == THIS_MONTH and homes(pk=tsa.pk)[tsa.pk] == DECISIONS.name_of(THIS_MONTH)
    newer = Decision.objects.get(household=household, programme__code="tsa", period=NEXT_MONTH)
    assert homes(pk=newer.pk)[newer.pk] == DECISIONS.name_of(NEXT_MONTH)

    # ...and a second run for next month, after another change, replaces next month's row.
    assess(household, 20000, visit=timezone.localdate())
    with CaptureQueriesContext(connection) as queries:
        eligibility_run(NEXT_MONTH + relativedelta(days=3), actor=admin)
    replacing = rewrites(queries.captured_queries)
    assert len(replacing) == 1 and replacing[0].startswith("DELETE")
    assert partitions_read(replacing[0]) == {DECISIONS.name_of(NEXT_MONTH)}
    assert not Decision.objects.filter(pk=newer.pk).exists()
    assert Decision.objects.filter(household=household, programme__code="tsa").count() == 2


def test_months_without_their_partition_are_kept_in_the_default_and_moved_when_made(admin):
    household, _, _ = family_and_pensioner()
    later = add_months(THIS_MONTH, 7)
    eligibility_run(later, actor=admin)
    # A month before the oldest partition (one before the upgrade), which no cron makes ahead.
    earlier = add_months(THIS_MONTH, -5)
    kept = closed(Decision.objects.filter(household=household).first(), earlier)
    application = submit()
    application.decision = kept
    application.save(update_fields=["decision"])
    assert set(homes().values()) == {DECISIONS.default}
    values = {(m.name, s.labels["table"]): s.value for m in metrics() for s in m.samples}
    assert values["zrunva_partition_default_rows", "programmes_decision"] == 4
    assert values["zrunva_partition_months_ahead", "programmes_decision"] == 3

    out = io.StringIO()
    call_command("partitions", stdout=out)
    for month in (earlier, later):
        assert f"created {home_of(month)}" in out.getvalue()
    assert "programmes_decision: " in out.getvalue()
    assert homes(pk=kept.pk) == {kept.pk: home_of(earlier)}
    assert set(homes(period=later).values()) == {DECISIONS.name_of(later)}
    assert DECISIONS.default_rows(connection) == 0
    # The moved decision is still guarded: the trigger came back on every partition.
    with (
        pytest.raises(DatabaseError, match="basis of an application"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM programmes_decision WHERE id = %s", [kept.pk])


def test_a_decision_an_application_rests_on_is_never_deleted(admin):
    household, _, _ = family_and_pensioner()
    eligibility_run(timezone.localdate(), actor=admin)
    decision = Decision.objects.filter(household=household).first()
    application = submit()
    application.decision = decision
    application.save(update_fields=["decision"])
    with (
        pytest.raises(DatabaseError, match="basis of an application"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM programmes_decision WHERE id = %s", [decision.pk])
    # One nobody rests on may go (a run replaces its month's rows so).
    other = Decision.objects.filter(household=household).exclude(pk=decision.pk).first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM programmes_decision WHERE id = %s", [other.pk])
    assert Decision.objects.filter(pk=decision.pk).exists()


def test_the_conversion_keeps_every_row_and_id_both_ways(admin):
    """Migration 0015's rebuild, back to one table and forward again, inside this test's
    transaction: rows, ids, the sequence and the trigger survive; months from the oldest row's."""
    household, _, _ = family_and_pensioner()
    eligibility_run(timezone.localdate(), actor=admin)
    row = Decision.objects.filter(household=household).first()
    # Months before the migration: the default holds them.
    old, older = add_months(THIS_MONTH, -14), date(THIS_MONTH.year - 3, 6, 1)
    closed(row, old)
    closed(row, older)
    assert DECISIONS.default_rows(connection) == 2
    before = list(Decision.objects.order_by("id").values_list("id", "period", "until", "amount"))
    schema = definitions()
    DECISIONS.rebuild(connection, partitioned=False, ahead=0)
    assert not DECISIONS.is_partitioned(connection)
    DECISIONS.rebuild(connection, partitioned=True, ahead=3)
    assert DECISIONS.is_partitioned(connection)
    after = list(Decision.objects.order_by("id").values_list("id", "period", "until", "amount"))
    assert after == before
    assert definitions() == schema  # every index, constraint and trigger, by name and SQL
    listed = DECISIONS.partitions(connection)
    # From the oldest decision's year, past years one partition each, then months.
    assert (listed[0].name, listed[0].months) == (DECISIONS.year_name(older.year), 12)
    assert listed[-1].name == DECISIONS.default
    assert DECISIONS.year_name(THIS_MONTH.year - 2) in [p.name for p in listed]
    assert set(homes().values()) == {home_of(older), home_of(old), home_of(THIS_MONTH)}
    # Ids go on from where the sequence was, past ids deleted since (not reissued).
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('programmes_decision_id_seq')")
        taken = cursor.fetchone()[0]
    DECISIONS.rebuild(connection, partitioned=False, ahead=0)
    DECISIONS.rebuild(connection, partitioned=True, ahead=3)
    assess(household, 61000, visit=timezone.localdate())
    newest = eligibility_run(timezone.localdate(), actor=admin)
    assert Decision.objects.filter(run=newest).get().pk > taken


def definitions() -> set[tuple[str, str]]:
    """The decisions table's own indexes, constraints and triggers, by name and definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, regexp_replace(pg_get_indexdef(i.oid), ' ON (ONLY )?', ' ON ')
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = 'programmes_decision'::regclass
            UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = 'programmes_decision'::regclass AND contype <> 'p'
            UNION SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger
            WHERE tgrelid = 'programmes_decision'::regclass AND NOT tgisinternal
            """
        )
        return set(cursor.fetchall())


def test_a_past_years_months_are_merged_into_one_partition(admin):
    household, _, _ = family_and_pensioner()
    eligibility_run(timezone.localdate(), actor=admin)
    row = Decision.objects.filter(household=household).first()
    year = THIS_MONTH.year - 2
    # An installation's months of that year, from before it was past (made by the cron then).
    for month in (date(year, 3, 1), date(year, 11, 1)):
        DECISIONS.create(connection, month)
    kept = [closed(row, date(year, 3, 1)), closed(row, date(year, 11, 1))]
    application = submit()
    application.decision = kept[0]
    application.save(update_fields=["decision"])

    out = io.StringIO()
    call_command("partitions", stdout=out)
    assert f"created {DECISIONS.year_name(year)}" in out.getvalue()
    names = [p.name for p in DECISIONS.partitions(connection)]
    assert DECISIONS.year_name(year) in names
    assert DECISIONS.name_of(date(year, 3, 1)) not in names
    assert set(homes(pk__in=[d.pk for d in kept]).values()) == {DECISIONS.year_name(year)}
    # A decision of that year made now goes to the year's partition, not the default.
    assert not DECISIONS.create(connection, date(year, 6, 1))
    assert homes(pk=closed(row, date(year, 6, 1)).pk) == {
        Decision.objects.get(period=date(year, 6, 1)).pk: DECISIONS.year_name(year)
    }
    # The guard went along, and a run naming the month reads the year's partition alone.
    with (
        pytest.raises(DatabaseError, match="basis of an application"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM programmes_decision WHERE id = %s", [kept[0].pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN UPDATE programmes_decision SET until = period WHERE period = %s AND id = 1",
            [date(year, 11, 1)],
        )
        plan = " ".join(line for (line,) in cursor.fetchall())
    assert DECISIONS.year_name(year) in plan and DECISIONS.name_of(THIS_MONTH) not in plan
    # Done once.
    assert DECISIONS.ensure(connection, today=THIS_MONTH, ahead=3) == []


def test_a_rebuild_is_refused_while_a_foreign_key_points_into_the_table():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE zrunva_test_pointer (id bigint PRIMARY KEY, decision_id bigint, "
            "period date, FOREIGN KEY (decision_id, period) REFERENCES programmes_decision)"
        )
    with pytest.raises(RuntimeError, match="zrunva_test_pointer"):
        DECISIONS.rebuild(connection, partitioned=True, ahead=3)


def test_the_application_role_writes_decisions_after_the_conversion(settings, admin):
    """The role granted before the conversion (as on an installation upgraded through migration
    0015) writes through the rebuilt table and its new sequence without a new grant."""
    from zrunva.audit.database import app_role_grant

    family_and_pensioner()
    role = "zrunva_test_decisions_role"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        settings.DB_APP_ROLE = role
        assert app_role_grant(connection)
        DECISIONS.rebuild(connection, partitioned=False, ahead=0)
        DECISIONS.rebuild(connection, partitioned=True, ahead=3)
        later = add_months(THIS_MONTH, 5)
        DECISIONS.create(connection, later)  # a month made after
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute(
            "INSERT INTO programmes_decision (period, status, reason, missing, household_id, "
            "programme_id, run_id) SELECT %s, 'eligible', 'eligible', '[]', h.id, p.id, 1 "
            "FROM registry_household h, programmes_programme p LIMIT 1 RETURNING id",
            [later],
        )
        pk = cursor.fetchone()[0]
        cursor.execute("UPDATE programmes_decision SET until = %s WHERE id = %s", [later, pk])
        cursor.execute("DELETE FROM programmes_decision WHERE id = %s", [pk])
        cursor.execute("RESET ROLE")


# A month loaded as a table of its own (`Monthly.fill`, migration 0016's functions) ------------


@pytest.fixture
def fill_all(monkeypatch):
    """Every run's month loaded as a table of its own, however few its decisions."""
    monkeypatch.setattr(partitions, "FILL_ROWS", 1)


def oid(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [name])
        return cursor.fetchone()[0]


def shape(name: str) -> tuple[list, list, list]:
    """A partition's indexes (by the table's index each belongs to), checks and triggers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(p.relname, '(none)') FROM pg_index x "
            "LEFT JOIN pg_inherits i ON i.inhrelid = x.indexrelid "
            "LEFT JOIN pg_class p ON p.oid = i.inhparent WHERE x.indrelid = %s::regclass",
            [name],
        )
        indexes = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'",
            [name],
        )
        checks = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
            [name],
        )
        triggers = sorted(row[0] for row in cursor.fetchall())
    return indexes, checks, triggers


def staged() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE '%%\\_fill\\_%%'"
        )
        return [row[0] for row in cursor.fetchall()]


def stored() -> list[tuple]:
    return sorted(
        Decision.objects.values_list(
            "programme_id", "household_id", "person_id", "period", "until", "status",
            "reason", "amount", "missing", "rules_id", "enrolment_id",
        ),
        key=str,
    )  # fmt: skip


def test_an_empty_month_is_filled_as_a_table_of_its_own_and_swapped_in(
    admin, fill_all, monkeypatch
):
    household, _, _ = family_and_pensioner()
    month = DECISIONS.name_of(THIS_MONTH)
    empty, untouched = oid(month), shape(DECISIONS.name_of(NEXT_MONTH))
    assert eligibility_run(timezone.localdate(), actor=admin).summary["changed"] == 3
    assert oid(month) != empty  # the loaded table took the empty partition's place
    assert set(homes().values()) == {month}
    # Every index attached to the table's, the checks and the guard as any month has them.
    assert shape(month) == untouched
    assert "(none)" not in untouched[0] and "decision_read_kept" in untouched[2]
    assert staged() == []
    filled = stored()

    # The same rows as written through the indexes.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programmes_decisionchange, programmes_decision")
    monkeypatch.setattr(partitions, "FILL_ROWS", 10**9)
    eligibility_run(timezone.localdate(), actor=admin)
    assert stored() == filled

    # The keys hold over the loaded rows: nothing changed the next time, a twin refused.
    monkeypatch.setattr(partitions, "FILL_ROWS", 1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programmes_decisionchange, programmes_decision")
    eligibility_run(timezone.localdate(), actor=admin)
    assert eligibility_run(timezone.localdate(), actor=admin).summary["changed"] == 0
    row = Decision.objects.get(household=household, programme__code="tsa")
    refused_twin(row)


def test_a_month_holding_rows_is_written_through_its_indexes(admin, fill_all):
    household, _, _ = family_and_pensioner()
    eligibility_run(timezone.localdate(), actor=admin)
    filled = oid(DECISIONS.name_of(THIS_MONTH))
    assess(household, 61000, visit=timezone.localdate())
    assert eligibility_run(timezone.localdate(), actor=admin).summary["changed"] == 1
    assert oid(DECISIONS.name_of(THIS_MONTH)) == filled
    assert Decision.objects.filter(household=household, programme__code="tsa").count() == 1


def _dsn() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgresql://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def test_a_swap_waits_for_the_lock_once_then_inserts_through_the_table(
    admin, fill_all, monkeypatch
):
    family_and_pensioner()
    monkeypatch.setattr(partitions, "FILL_LOCK_TIMEOUT", "200ms")
    DECISIONS.fill_functions(connection)  # with the short wait, in this test's transaction
    month = DECISIONS.name_of(THIS_MONTH)
    empty = oid(month)
    # A reader's open transaction on another connection: the swap would lock it out.
    with psycopg.connect(_dsn()) as reader:
        reader.execute("SELECT count(*) FROM programmes_decision")
        started = timezone.now()
        run = eligibility_run(timezone.localdate(), actor=admin)
        waited = (timezone.now() - started).total_seconds()
        reader.rollback()
    assert run.summary["changed"] == 3 and waited < 5
    assert oid(month) == empty  # not swapped: inserted into the partition as it was
    assert set(homes().values()) == {month} and len(homes()) == 3
    assert staged() == []


def test_the_application_role_fills_a_month_through_the_owners_functions(settings, admin, fill_all):
    from zrunva.audit.database import app_role_grant

    family_and_pensioner()
    role = "zrunva_test_fill_role"
    month = DECISIONS.name_of(THIS_MONTH)
    empty = oid(month)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        settings.DB_APP_ROLE = role
        assert app_role_grant(connection)
        cursor.execute(f"SET LOCAL ROLE {role}")
        # The role may not alter the table itself...
        with pytest.raises(DatabaseError, match="must be owner"), transaction.atomic():
            cursor.execute(f"ALTER TABLE programmes_decision DETACH PARTITION {month}")
        # ...but its run loads the month through the owner's functions.
        run = eligibility_run(timezone.localdate(), actor=admin)
        cursor.execute("RESET ROLE")
    assert run.summary["changed"] == 3
    assert oid(month) != empty and set(homes().values()) == {month}


def test_a_month_given_rows_while_loading_takes_the_loaded_rows_through_the_table(admin, fill_all):
    """Rows of the month written meanwhile (another writer's, committed before the swap's
    lock): the loaded table is not swapped in; its rows are inserted beside them."""
    family_and_pensioner()
    run = eligibility_run(timezone.localdate(), actor=admin)
    like = Decision.objects.filter(run=run).first()
    month = DECISIONS.name_of(NEXT_MONTH)
    empty = oid(month)

    rows = pl.DataFrame(
        list(
            Decision.objects.filter(run=run)
            .exclude(pk=like.pk)
            .values("status", "reason", "household_id", "person_id", "programme_id", "run_id")
        ),
        schema_overrides={"person_id": pl.Int64},
    ).with_columns(period=pl.lit(NEXT_MONTH), missing=pl.lit("[]"))

    with transaction.atomic():
        # The other writer's row, in the partition while the rows were loaded.
        assert DECISIONS.fill(
            connection, NEXT_MONTH, rows, meanwhile=lambda: closed(like, NEXT_MONTH)
        )
    assert oid(month) == empty and staged() == []
    assert Decision.objects.filter(period=NEXT_MONTH).count() == run.summary["changed"]
    assert set(homes(period=NEXT_MONTH).values()) == {month}


# Loaded beside the run: on a connection of its own while the run writes its change log ------


def loaded_on(monkeypatch) -> list[tuple[int, int]]:
    """(the session that loads, the session that swaps in) for each month loaded."""
    seen, load = [], partitions.Monthly._load

    def spy(self, cursor, **kwargs):
        seen.append((cursor.connection.info.backend_pid, kwargs["owner"]))
        return load(self, cursor, **kwargs)

    monkeypatch.setattr(partitions.Monthly, "_load", spy)
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_loads_an_empty_month_on_a_connection_of_its_own_and_swaps_it_in(
    admin, fill_all, monkeypatch
):
    family_and_pensioner()
    month = DECISIONS.name_of(THIS_MONTH)
    empty, untouched = oid(month), shape(DECISIONS.name_of(NEXT_MONTH))
    seen = loaded_on(monkeypatch)
    run = eligibility_run(timezone.localdate(), actor=admin)
    assert run.summary["changed"] == 3 and run.changes.count() == 3
    ((loader, owner),) = seen
    assert loader != owner == connection.connection.info.backend_pid
    assert oid(month) != empty and shape(month) == untouched and staged() == []
    assert set(homes().values()) == {month}
    filled = stored()

    # The same rows as loaded in turn on the run's own connection.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE programmes_decisionchange, programmes_decision")
    monkeypatch.setattr(bulk, "beside", lambda work: None)
    eligibility_run(timezone.localdate(), actor=admin)
    assert stored() == filled and len(seen) == 2 and seen[1][0] == seen[1][1]
    assert eligibility_run(timezone.localdate(), actor=admin).summary["changed"] == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_stage_left_by_a_failed_run_is_dropped_by_the_next_fill(admin, fill_all, monkeypatch):
    family_and_pensioner()
    month = DECISIONS.name_of(THIS_MONTH)
    empty = oid(month)
    monkeypatch.setattr(runs, "_summary", lambda *args: 1 / 0)  # fails after its writes
    with pytest.raises(ZeroDivisionError):
        eligibility_run(timezone.localdate(), actor=admin)
    # The run's writes undone, its stage committed by the other connection left behind.
    assert Decision.objects.count() == 0 and oid(month) == empty
    assert staged() == [f"{month}_fill_{connection.connection.info.backend_pid}"]
    with connection.cursor() as cursor:  # and one whose session has gone
        cursor.execute(f"CREATE TABLE {month}_fill_99999999 (LIKE programmes_decision)")
    monkeypatch.undo()
    monkeypatch.setattr(partitions, "FILL_ROWS", 1)
    assert eligibility_run(timezone.localdate(), actor=admin).summary["changed"] == 3
    assert staged() == [] and oid(month) != empty


def test_a_stage_is_made_only_for_a_session_of_the_same_user(admin):
    with pytest.raises(DatabaseError, match="no session 1 of this user"), connection.cursor() as c:
        c.execute("SELECT programmes_decision_fill_begin(%s, 1)", [THIS_MONTH])


def test_a_month_whose_loading_beside_failed_is_written_on_the_callers_connection(
    admin, fill_all, monkeypatch
):
    family_and_pensioner()
    month = DECISIONS.name_of(THIS_MONTH)
    empty = oid(month)

    def failing():
        raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(bulk, "beside", lambda work: failing)
    # Asked for beside, as a run does only as the outermost transaction.
    fill = partitions.Monthly.fill
    monkeypatch.setattr(
        partitions.Monthly, "fill", lambda self, *a, **k: fill(self, *a, **k | {"beside": True})
    )
    run = eligibility_run(timezone.localdate(), actor=admin)
    assert run.summary["changed"] == 3 and oid(month) == empty
    assert set(homes().values()) == {month} and staged() == []
