"""Eligibility runs: every programme over the registry (or a municipality) as of a date.

A run reads the registry as columns, decides with `engine.decide` (the path the one-household
page uses too), compares with the decisions in force for its month and writes only what changed,
with `COPY` on PostgreSQL, in one transaction. Executing a run again finds nothing to change,
so a failed or interrupted run is simply executed again.
"""

import json
import logging
from datetime import date

import polars as pl
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.assessment.selectors import latest_scores
from zrunva.core.bulk import read_frame, soon, write_frame
from zrunva.core.jobs import JobContext, Progress, job_execute
from zrunva.core.money import AMOUNT
from zrunva.core.trail import bulk_run_log
from zrunva.programmes import engine
from zrunva.programmes.choices import DecisionReason, DecisionStatus, RunStatus
from zrunva.programmes.eligibility import check_date, compiled_programmes
from zrunva.programmes.models import Decision, DecisionChange, Programme, Run
from zrunva.programmes.partitions import DECISIONS
from zrunva.programmes.services import rule_set
from zrunva.registry.columns import RegistryFrames, registry_frames
from zrunva.registry.models import Household, Membership, Person

logger = logging.getLogger(__name__)

PREVIOUS_SCHEMA = {
    "decision_id": pl.Int64,
    "programme_id": pl.Int64,
    "household_id": pl.Int64,
    "person_id": pl.Int64,
    "period": pl.Date,
    "until": pl.Date,
    "status": pl.String,
    "reason": pl.String,
    "amount": AMOUNT,
    "missing": pl.String,
    "enrolment_id": pl.Int64,
    "place": pl.Int64,
}
# One key for both kinds of beneficiary: the person, or the household as a negative number.
BENEFICIARY = pl.coalesce(pl.col("person_id"), -pl.col("household_id")).alias("beneficiary")


def can_start(actor, municipality_id: int | None) -> bool:
    if not permissions.has_perm(actor, permissions.ELIGIBILITY_RUN):
        return False
    if municipality_id is None:
        return permissions.municipality_scope(actor) is None
    return permissions.in_scope(actor, municipality_id)


@transaction.atomic
def run_start(*, actor, on: date, municipality=None, enqueue: bool = True) -> Run:
    """Queue a run as of `on` for the whole country (national staff only) or one municipality
    in the actor's area. One run at a time: they write the same decisions. The programmes are
    compiled first, so a rule that cannot be evaluated on the date is refused here, named."""
    permissions.require(actor, permissions.ELIGIBILITY_RUN)
    check_date(on)
    municipality_id = municipality.pk if municipality else None
    if municipality_id is None and permissions.municipality_scope(actor) is not None:
        raise PermissionDenied(
            _("Only national staff run the whole country; choose a municipality.")
        )
    if municipality_id is not None:
        permissions.require_in_scope(actor, municipality_id)
    # Serialise starts: lock the programmes every run reads.
    list(Programme.objects.select_for_update().values_list("id", flat=True))
    if Run.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists():
        raise ValidationError(_("Another run is queued or running; start this one when it ends."))
    try:
        # A state programme that cannot be evaluated stops the run; a municipality's is left
        # out of it and named in the run's summary.
        compiled_programmes(on=on, municipality_id=municipality_id, skipped=[])
    except ValidationError as error:
        raise ValidationError({"on": error.messages}) from error
    run = Run.objects.create(on=on, municipality=municipality, started_by=actor)
    if enqueue:
        from zrunva.programmes.tasks import eligibility_run

        transaction.on_commit(lambda: eligibility_run.enqueue(run.pk))
    return run


def run_list(*, actor) -> QuerySet[Run]:
    """Runs the actor may follow: the whole country's and their own area's (a national run's
    totals hold no personal data; its changes are scoped by `run_changes`)."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    qs = Run.objects.select_related("municipality", "started_by")
    scope = permissions.municipality_scope(actor)
    if scope is None:
        return qs
    return qs.filter(Q(municipality__isnull=True) | Q(municipality_id__in=scope))


CHANGE_KINDS = ("", "gained", "lost", "increased", "decreased")


def run_changes(*, actor, run: Run, kind: str = "") -> QuerySet[DecisionChange]:
    """What a run changed for households in the actor's area: all, or those who gained or lost
    a benefit, or whose amount went up or down."""
    permissions.require(actor, permissions.REGISTRY_VIEW)
    qs = permissions.scoped(run.changes.all(), actor, "household__municipality_id")
    # A disability package paid to a person says they have a disability.
    qs = permissions.health_programmes_hidden(qs, actor)
    eligible = DecisionStatus.ELIGIBLE
    both = Q(new_status=eligible, old_status=eligible)
    qs = qs.filter(
        {
            "": Q(),
            "gained": Q(new_status=eligible) & ~Q(old_status=eligible),
            "lost": Q(old_status=eligible) & ~Q(new_status=eligible),
            "increased": both & Q(new_amount__gt=F("old_amount")),
            "decreased": both & Q(new_amount__lt=F("old_amount")),
        }[kind]
    )
    return qs.select_related("programme", "household", "person").order_by("id")


def _superseded(run: Run) -> bool:
    """Whether a run started later over the same households has finished: executing this one
    now would put older decisions back over newer ones."""
    later = Run.objects.filter(pk__gt=run.pk, status=RunStatus.DONE)
    if run.municipality_id is not None:
        later = later.filter(Q(municipality__isnull=True) | Q(municipality_id=run.municipality_id))
    return later.exists()


def previous_decisions(
    *, period: date, programme_ids: list[int], places: bool = True
) -> pl.DataFrame:
    """The decision in force in `period` for every beneficiary of the programmes (the row from
    that month or before whose `until` is not before it), wherever they lived then, with
    `place`: the municipality the decision's household is in now (null unless `places`; only
    runs for one municipality need it)."""
    if not programme_ids:
        return pl.DataFrame(schema=PREVIOUS_SCHEMA)
    d, h = Decision._meta.db_table, Household._meta.db_table
    place, join = (
        ("h.municipality_id", f"JOIN {h} h ON h.id = d.household_id")
        if places
        else (
            "NULL",
            "",
        )
    )
    return read_frame(
        f"""
        SELECT d.id, d.programme_id, d.household_id, d.person_id, d.period, d.until, d.status,
               d.reason, d.amount, d.missing, d.enrolment_id, {place}
        FROM {d} d {join}
        WHERE d.programme_id IN ({", ".join(["%s"] * len(programme_ids))})
          AND d.period <= %s AND (d.until IS NULL OR d.until >= %s)
        """,  # noqa: S608 (table names from models; values bound)
        [*programme_ids, period, period],
        PREVIOUS_SCHEMA,
    )


def _next_periods(*, period: date, programme_ids: list[int]) -> pl.DataFrame:
    """Per beneficiary, the first month after `period` with a decision: a run for a past month
    executed after later ones must end its rows before those."""
    d = Decision._meta.db_table
    return read_frame(
        f"""
        SELECT programme_id, COALESCE(person_id, -household_id), MIN(period)
        FROM {d}
        WHERE programme_id IN ({", ".join(["%s"] * len(programme_ids))}) AND period > %s
        GROUP BY programme_id, COALESCE(person_id, -household_id)
        """,  # noqa: S608 (table names from models; values bound)
        [*programme_ids, period],
        {"programme_id": pl.Int64, "beneficiary": pl.Int64, "next_period": pl.Date},
    )


def registered_now(*, on: date, beneficiaries: pl.DataFrame) -> pl.Series:
    """Of these beneficiaries (`person_id`, `household_id` of their decisions), the keys
    (`BENEFICIARY`) of those registered on `on` anywhere: a person who is a current member of an
    active household, a household that is active with members."""
    person_ids = beneficiaries["person_id"].drop_nulls().unique().to_list()
    household_ids = set(
        beneficiaries.filter(pl.col("person_id").is_null())["household_id"].to_list()
    )
    if person_ids:
        current = Membership.objects.filter(person_id__in=person_ids, start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gt=on)
        )
        household_ids |= set(current.values_list("household_id", flat=True))
    if not household_ids:
        return pl.Series("beneficiary", [], dtype=pl.Int64)
    registry = registry_frames(on=on, household_ids=household_ids)
    people = registry.people.filter(pl.col("id").is_in(person_ids))["id"]
    households = registry.people["household_id"].unique()
    return pl.concat([people, -households]).alias("beneficiary")


def _ids_missing(table: str, ids: list[int]) -> list[int]:
    """Of these ids, those with no row in `table`, at most ten."""
    if not ids:
        return []
    table = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""SELECT i FROM unnest(%s::bigint[]) i
                WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.id = i) ORDER BY i LIMIT 10""",  # noqa: S608
                ["{" + ",".join(map(str, ids)) + "}"],
            )
            return [row[0] for row in cursor.fetchall()]
        found = set()
        for start in range(0, len(ids), 10_000):
            chunk = ids[start : start + 10_000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", chunk)  # noqa: S608
            found.update(row[0] for row in cursor.fetchall())
        return sorted(set(ids) - found)[:10]


def check_references(changes: pl.DataFrame, registry: RegistryFrames | None = None) -> None:
    """Refuse to write decisions for households or people that are not in the registry: one
    check of the run's whole set, where foreign keys checked (and locked) one registry row per
    decision. The households and people the run read from the registry (`registry`) are there:
    they are never deleted (PostgreSQL refuses it), so what the run read or this finds stays
    true until the run commits. The others, those decided before and now gone, are looked up."""
    for model, column, read, message in (
        (
            Household,
            "household_id",
            registry.households["id"] if registry else None,
            _("The run's decisions refer to households not in the registry: %(ids)s."),
        ),
        (
            Person,
            "person_id",
            registry.people["id"] if registry else None,
            _("The run's decisions refer to people not in the registry: %(ids)s."),
        ),
    ):
        ids = changes[column].drop_nulls().unique()
        if read is not None:
            ids = ids.filter(~ids.is_in(read.implode()))
        missing = _ids_missing(model._meta.db_table, ids.sort().to_list())
        if missing:
            raise ValidationError(message % {"ids": ", ".join(map(str, missing))})


def _json_list(column: str) -> pl.Expr:
    """A list of attribute names as JSON text (they hold no quotes or backslashes); null, as
    for a decision with nothing missing, is the empty list."""
    quoted = pl.col(column).list.eval(pl.lit('"') + pl.element() + pl.lit('"')).list.join(", ")
    return (pl.lit("[") + quoted + pl.lit("]")).fill_null("[]").alias(column)


# Programme and beneficiary in one integer, to join and look up on one column: ids are far
# below 2**39, so each key is a programme's band of 2**40 around its beneficiaries.
SHIFT = 1 << 40


def _key() -> pl.Expr:
    return (pl.col("programme_id") * SHIFT + pl.col("beneficiary")).alias("key")


def compare(
    decisions: pl.DataFrame, previous: pl.DataFrame, elsewhere: pl.Series | None = None
) -> pl.DataFrame:
    """The decisions that differ from those in force: new beneficiaries who are not plainly
    ineligible, changed ones, and beneficiaries in force who are no longer in the registry
    (now not eligible, reason "not registered"), except those registered `elsewhere` (keys of
    `BENEFICIARY`), whom another area's run decides. Columns of the new decision plus `old_*`
    and `decision_id` (the row of the same month to replace, if any)."""
    previous = previous.with_columns(BENEFICIARY).select(
        _key(),
        "decision_id",
        old_household_id="household_id",
        old_person_id="person_id",
        old_period="period",
        old_status="status",
        old_reason="reason",
        old_amount="amount",
        old_missing="missing",
        old_until="until",
        enrolment_id="enrolment_id",
    )
    # Most beneficiaries are plainly ineligible and were before: leave them out first.
    decisions = (
        decisions.with_columns(BENEFICIARY)
        .with_columns(_key())
        .filter(
            (pl.col("status") != DecisionStatus.NOT_ELIGIBLE.value)
            | pl.col("key").is_in(previous["key"].implode())
        )
        .with_columns(_json_list("missing"), pl.col("status", "reason").cast(pl.String))
    )
    joined = decisions.join(previous, on="key", how="full", coalesce=True)
    # Most rows are the same as before: only those that differ in any column as stored, or
    # are new or gone, are looked at closely (the JSON lists' spacing may differ in storage).
    gone, new = pl.col("status").is_null(), pl.col("old_status").is_null()
    joined = joined.filter(
        gone
        | new
        | (pl.col("status") != pl.col("old_status"))
        | (pl.col("household_id") != pl.col("old_household_id"))
        | (pl.col("reason") != pl.col("old_reason"))
        | pl.col("amount").ne_missing(pl.col("old_amount"))
        | (pl.col("missing") != pl.col("old_missing"))
    ).with_columns(
        programme_id=pl.coalesce("programme_id", (pl.col("key") + SHIFT // 2) // SHIFT),
    )
    joined = joined.with_columns(
        beneficiary=pl.coalesce("beneficiary", pl.col("key") - pl.col("programme_id") * SHIFT)
    ).drop("key")
    if elsewhere is not None:
        joined = joined.filter(~(gone & pl.col("beneficiary").is_in(elsewhere.implode())))
    joined = joined.with_columns(
        household_id=pl.coalesce("household_id", "old_household_id"),
        person_id=pl.when(gone).then(pl.col("old_person_id")).otherwise(pl.col("person_id")),
        status=pl.when(gone).then(pl.lit(DecisionStatus.NOT_ELIGIBLE.value)).otherwise("status"),
        reason=pl.when(gone).then(pl.lit(DecisionReason.NOT_REGISTERED.value)).otherwise("reason"),
        missing=pl.when(gone).then(pl.lit("[]")).otherwise("missing"),
    )
    spaceless = pl.col("missing").str.replace_all(r"\s", "")
    changed = (
        pl.col("status").ne_missing(pl.col("old_status"))
        # A person who moved keeps the decision, now for their new household.
        | pl.col("household_id").ne_missing(pl.col("old_household_id"))
        | pl.col("reason").ne_missing(pl.col("old_reason"))
        | pl.col("amount").ne_missing(pl.col("old_amount"))
        | spaceless.ne_missing(pl.col("old_missing").str.replace_all(r"\s", ""))
    )
    keep = (
        pl.when(new).then(pl.col("status") != DecisionStatus.NOT_ELIGIBLE.value).otherwise(changed)
    )
    return joined.filter(keep).with_columns(
        old_missing=pl.col("old_missing").str.replace_all(r"\s", "")
    )


def _summary(decisions: pl.DataFrame, changes: pl.DataFrame, programmes) -> dict:
    codes = {c.id: c.code for c in programmes}
    # One pass over the millions of decisions, grouped by their two small keys; the totals per
    # programme are then added up from a few dozen rows.
    by_status = decisions.group_by("programme_id", "status").agg(
        n=pl.len(), amount=pl.col("amount").sum()
    )
    count = pl.col("n").filter
    per_programme = (
        by_status.group_by("programme_id")
        .agg(
            eligible=count(pl.col("status") == DecisionStatus.ELIGIBLE.value).sum(),
            needs_data=count(pl.col("status") == DecisionStatus.NEEDS_DATA.value).sum(),
            errors=count(pl.col("status") == DecisionStatus.ERROR.value).sum(),
            evaluated=pl.col("n").sum(),
            amount=pl.col("amount").sum().fill_null(0),
        )
        .sort("programme_id")
        .to_dicts()
    )
    eligible_now = pl.col("status") == DecisionStatus.ELIGIBLE.value
    eligible_before = pl.col("old_status") == DecisionStatus.ELIGIBLE.value
    difference = pl.col("amount").fill_null(0) - pl.col("old_amount").fill_null(0)
    counts = changes.select(
        changed=pl.len(),
        gained=(eligible_now & ~eligible_before.fill_null(False)).sum(),
        lost=(~eligible_now & eligible_before.fill_null(False)).sum(),
        increased=(eligible_now & eligible_before.fill_null(False) & (difference > 0)).sum(),
        decreased=(eligible_now & eligible_before.fill_null(False) & (difference < 0)).sum(),
        difference=difference.sum(),
    ).row(0, named=True)
    # Amounts as exact text ("1234.50"), as JSON has no decimals.
    return {
        "programmes": [
            {**row, "code": codes[row["programme_id"]], "amount": f"{row['amount']:.2f}"}
            for row in per_programme
        ],
        **{k: (f"{v or 0:.2f}" if k == "difference" else int(v)) for k, v in counts.items()},
    }


def _for_ids(statement: str, rows: pl.DataFrame, params: tuple = ()) -> None:
    """Run `statement` (a DELETE or UPDATE of the decisions table, with `params` for its own
    placeholders) for the decisions in `rows` (`decision_id`, `old_period`): on PostgreSQL one
    statement per month the rows start in, which names the month so that it reads that month's
    partition alone (the table is partitioned by `period`); on SQLite one per row."""
    if rows.is_empty():
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            months = rows.group_by("old_period").agg("decision_id").sort("old_period")
            for month, ids in months.iter_rows():
                cursor.execute(
                    f"{statement} WHERE period = %s AND id = ANY(%s)", [*params, month, ids]
                )
        else:
            cursor.executemany(
                f"{statement} WHERE id = %s", [(*params, i) for i in rows["decision_id"]]
            )


def _delete(rows: pl.DataFrame) -> None:
    table = connection.ops.quote_name(Decision._meta.db_table)
    _for_ids(f"DELETE FROM {table}", rows)  # noqa: S608 (a table name from the model)


def _close(rows: pl.DataFrame, until: date) -> None:
    """End these decisions' months at `until`: a newer decision covers the months after."""
    table = connection.ops.quote_name(Decision._meta.db_table)
    _for_ids(f"UPDATE {table} SET until = %s", rows, (until,))  # noqa: S608


def _later_written(run: Run) -> bool:
    """Whether decisions for months after the run's may exist: a finished run for a later month,
    or an application decided in a later month than the run's (they decide for their own)."""
    after = run.period + relativedelta(months=1)
    return (
        after <= timezone.localdate()
        or Run.objects.filter(status=RunStatus.DONE, on__gte=after).exists()
    )


def write(run: Run, changes: pl.DataFrame, rules: dict[int, int], *, beside: bool = False) -> None:
    """Store the changed decisions for the run's month and what each change was, in the
    caller's transaction. Each new decision covers the months of the one it replaces (the
    open-ended ones stay open), carries its enrolment on and its programme's rule set; the
    decision it supersedes from an earlier month now ends the month before. `beside`: the
    caller's transaction is the outermost one, so an empty month's decisions may be loaded on
    a connection of their own (`Monthly.fill`)."""
    period = run.period
    rows = changes.select("decision_id", "old_period")
    _delete(rows.filter(pl.col("old_period") == period))
    _close(rows.filter(pl.col("old_period") < period), period - relativedelta(months=1))
    until = pl.col("old_until")
    if _later_written(run):
        # A beneficiary new to the run's month may have decisions for later months already.
        later = _next_periods(period=period, programme_ids=list(rules)).with_columns(
            pl.col("next_period").dt.offset_by("-1mo")
        )
        changes = changes.join(later, on=["programme_id", "beneficiary"], how="left")
        until = pl.coalesce("old_until", "next_period")
    decisions = changes.select(
        "programme_id",
        "household_id",
        "person_id",
        period=pl.lit(period, dtype=pl.Date),
        until=until,
        status="status",
        reason="reason",
        amount="amount",
        missing="missing",
        run_id=pl.lit(run.pk, dtype=pl.Int64),
        rules_id=pl.col("programme_id").replace_strict(rules, return_dtype=pl.Int64),
        enrolment_id="enrolment_id",
    )

    def change_log() -> None:
        write_frame(
            DecisionChange._meta.db_table,
            changes.select(
                run_id=pl.lit(run.pk, dtype=pl.Int64),
                programme_id="programme_id",
                household_id="household_id",
                person_id="person_id",
                old_status=pl.col("old_status").fill_null(""),
                old_amount="old_amount",
                new_status="status",
                new_amount="amount",
            ),
        )

    # Into a month still empty (a first national run, a yearly rise of the pension) the
    # decisions go as a table of their own, indexed after and swapped in, under the table's
    # lock until the commit; loaded on a connection of their own while this one writes the
    # change log, where the run's transaction is the outermost one.
    if not DECISIONS.fill(connection, period, decisions, meanwhile=change_log, beside=beside):
        write_frame(Decision._meta.db_table, decisions)


def run_execute(*, run: Run, progress: Progress | None = None) -> Run:
    """Execute a queued, failed or interrupted run (a batch job: `core.jobs.job_execute`); a
    run already done is left as it is. The decisions are compared and written in one
    transaction with the run marked done, so a failure leaves none of them and executing the
    run again writes once."""

    def work(job: JobContext) -> None:
        # The run's own transaction below is the outermost one (not a caller's, which may have
        # written decisions it has not committed): large reads in it may use their own
        # connection.
        outermost = not connection.in_atomic_block
        municipality_ids = [run.municipality_id] if run.municipality_id else None
        job.stage("reading", 5)
        # The scores are read beside the registry (on a connection of their own, where they
        # may be: `bulk.soon`).
        scores = soon(latest_scores, on=run.on)
        registry = registry_frames(on=run.on, municipality_ids=municipality_ids)
        households, people = engine.attribute_frames(registry, scores(), on=run.on)
        skipped: list[dict] = []
        programmes = compiled_programmes(
            on=run.on, municipality_id=run.municipality_id, skipped=skipped
        )
        job.stage("deciding", 40)
        with transaction.atomic():
            # Runs that write the same programmes' decisions take turns, and compare with what
            # the one before them wrote; the same run executed twice writes once.
            list(Programme.objects.select_for_update().filter(id__in=[p.id for p in programmes]))
            if job.finished_elsewhere():
                return
            if _superseded(run):
                raise ValidationError(
                    _("A later run has decided for this area since; start a new run instead.")
                )
            # What is in force is read while the run decides: after the lock, so it is what
            # the run before this one left.
            previous = soon(
                previous_decisions,
                period=run.period,
                programme_ids=[p.id for p in programmes],
                places=run.municipality_id is not None,
                # Until now the transaction has only locked rows.
                unwritten=outermost,
            )
            decisions = engine.decide(households, people, programmes, registry.members)
            job.stage("comparing", 55)
            previous = previous()
            elsewhere = None
            if run.municipality_id is not None:
                # This area's beneficiaries now, and those decided for while living here; of
                # the latter, those who moved away are decided by their new area's runs.
                here = decisions.select(BENEFICIARY)["beneficiary"].implode()
                previous = previous.filter(
                    (pl.col("place") == run.municipality_id) | BENEFICIARY.is_in(here)
                )
                gone = previous.filter(~BENEFICIARY.is_in(here))
                elsewhere = registered_now(on=run.on, beneficiaries=gone)
            changes = compare(decisions, previous, elsewhere)
            job.stage("writing", 70)
            check_references(changes, registry)
            write(run, changes, {p.id: rule_set(p).pk for p in programmes}, beside=outermost)
            summary = _summary(decisions, changes, programmes) | {
                "skipped": skipped,
                "households": households.height,
                "people": people.height,
            }
            job.done(summary)
            bulk_run_log(
                actor=run.started_by,
                model=Run,
                job=f"eligibility_run #{run.pk}",
                counts={
                    k: v
                    for k, v in run.summary.items()
                    if k not in ("programmes", "timings", "skipped")
                },
            )

    run = job_execute(run, work, progress=progress)
    logger.info("Eligibility run %s: %s", run.pk, json.dumps(run.summary, default=str))
    return run
