"""Finding the registry's duplicates with the linkage model (`matching`): a run reads the people
of an area as columns, scores the pairs its blocking rules bring together, and keeps those at or
above the review threshold as `MatchPair`s — automatic matches and pairs to review — each with
the contributions that made its score (Splink's waterfall), for an officer to decide.

A decided pair keeps its decision: a later run rescores only undecided pairs, so "not the same
person" is never asked again, and the decisions are the labels the next model's training reads
(`matching.train(labels=…)`).
"""

from datetime import date

import polars as pl
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.core.bulk import read_frame
from zrunva.core.jobs import STALE, JobContext, JobStatus, job_execute
from zrunva.core.trail import acting_as, bulk_run_log, scoped_get
from zrunva.geo.models import Municipality, Settlement
from zrunva.integration import matching
from zrunva.integration.choices import UNDECIDED, PairStatus
from zrunva.integration.models import LinkageModel, LinkageRun, MatchPair
from zrunva.registry.models import Household, Membership, Person

REGISTRY = "registry"
DECISIONS = (PairStatus.MATCH, PairStatus.NOT_MATCH, PairStatus.UNSURE)
# Fewer people than this and there is nothing to learn m and u from: the run needs a model.
MIN_TRAINING_RECORDS = 1000


def registry_records(*, municipality_id: int | None = None) -> pl.DataFrame:
    """The people of an area (or of the whole registry) as the model's records: one query read
    into columns, the municipality's code and the settlement of their current household."""
    person, membership = Person._meta.db_table, Membership._meta.db_table
    household, settlement = Household._meta.db_table, Settlement._meta.db_table
    municipality = Municipality._meta.db_table
    where = "p.merged_into_id IS NULL"  # a merged record is its survivor now
    params: list = []
    if municipality_id is not None:
        where += " AND p.municipality_id = %s"
        params.append(municipality_id)
    sql = f"""
        SELECT CAST(p.id AS TEXT), p.personal_number, p.first_name, p.last_name, p.birth_date,
               p.sex, mu.code, st.name_ka
        FROM {person} p
        LEFT JOIN {municipality} mu ON mu.id = p.municipality_id
        LEFT JOIN {membership} ms ON ms.person_id = p.id AND ms.end_date IS NULL
        LEFT JOIN {household} h ON h.id = ms.household_id
        LEFT JOIN {settlement} st ON st.id = h.settlement_id
        WHERE {where}
        ORDER BY p.id
    """  # noqa: S608 (table names from the models; the only parameter is bound)
    schema = {
        "unique_id": pl.String,
        "personal_number": pl.String,
        "first_name": pl.String,
        "last_name": pl.String,
        "birth_date": pl.Date,
        "sex": pl.String,
        "municipality": pl.String,
        "settlement": pl.String,
    }
    frame = read_frame(sql, params, schema)
    return frame.with_columns(source=pl.lit(REGISTRY)).select(list(matching.RECORD_COLUMNS))


def _labels() -> pl.DataFrame:
    """The pairs officers decided (the same person or not), as training labels."""
    rows = MatchPair.objects.filter(
        status__in=[PairStatus.MATCH, PairStatus.MERGED, PairStatus.NOT_MATCH]
    ).values_list("left_id", "right_id", "status")
    return pl.DataFrame(
        [(str(left), str(right), status != PairStatus.NOT_MATCH) for left, right, status in rows],
        schema={"unique_id_l": pl.String, "unique_id_r": pl.String, "is_match": pl.Boolean},
        orient="row",
    )


def _require_run(actor, municipality_id: int | None) -> None:
    permissions.require(actor, permissions.LINKAGE_RUN)
    if municipality_id is None:
        if permissions.municipality_scope(actor) is not None:
            raise PermissionDenied(_("Only national staff search the whole registry."))
    else:
        permissions.require_in_scope(actor, municipality_id)


@transaction.atomic
def linkage_start(
    *, actor, municipality: Municipality | None = None, train: bool = False, enqueue: bool = True
) -> LinkageRun:
    """Queue a search for duplicates among an area's people (or the whole registry's), with the
    current model, or training a new one first (`train`, or when there is none yet)."""
    _require_run(actor, municipality.pk if municipality else None)
    if train and permissions.municipality_scope(actor) is not None:
        # One model serves every area and every import: national staff train it.
        raise PermissionDenied(_("Only national staff train the model."))
    # A run queued or running for longer than STALE was interrupted (a worker stopped): it
    # no longer holds the search back.
    busy = LinkageRun.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING], created_at__gt=timezone.now() - STALE
    )
    if busy.exists():
        raise ValidationError(_("A search for duplicates is already running: wait for it."))
    with acting_as(actor):
        run = LinkageRun.objects.create(
            municipality=municipality,
            train=train or not LinkageModel.objects.exists(),
            started_by=actor,
        )
    if enqueue:
        from zrunva.integration.tasks import linkage_run

        transaction.on_commit(lambda: linkage_run.enqueue(run.pk))
    return run


def _with_examples(records: pl.DataFrame) -> pl.DataFrame:
    """The registry's records with generated pairs beside them to train on. A registry holds no
    known duplicates — no two records share a personal number — so expectation maximisation
    would find no matches to learn how matches differ (m) from; generated records of the
    synthetic population with the errors real lists carry (`synthetic.linked_records`) supply
    them, a fifth as many as the registry's (5,000 to 50,000), while the registry's own
    records dominate the random pairs that estimate u. Their ids cannot meet the registry's."""
    from zrunva.integration.synthetic import linked_records

    size = min(50_000, max(5_000, records.height // 5))
    examples = linked_records(size, seed=records.height).select(list(matching.RECORD_COLUMNS))
    examples = examples.with_columns(
        unique_id=pl.lit("example:") + pl.col("unique_id").cast(pl.String),
        source=pl.lit("example:") + pl.col("source").cast(pl.String),
    )
    return pl.concat([records, examples], how="vertical_relaxed")


def _train(run: LinkageRun, records: pl.DataFrame) -> LinkageModel:
    if records.height < MIN_TRAINING_RECORDS:
        raise ValidationError(
            _(
                "%(count)d people are too few to train the model on (at least %(least)d): "
                "train it on a larger area first."
            )
            % {"count": records.height, "least": MIN_TRAINING_RECORDS}
        )
    labels = _labels()
    started = timezone.now()
    # Officers' decisions re-estimate m once there are enough of them (matching.train).
    model = matching.train(_with_examples(records), labels=labels)
    thresholds = matching.Thresholds()
    return LinkageModel.objects.create(
        model=model,
        auto_match=thresholds.auto_match,
        review=thresholds.review,
        records=records.height,
        labels=labels.height,
        seconds=(timezone.now() - started).total_seconds(),
        trained_by=run.started_by,
    )


def _store(run: LinkageRun, model: LinkageModel, pairs: pl.DataFrame) -> dict:
    """Keep the pairs: new ones created, undecided ones rescored, decided ones left alone."""
    counts = {"auto": 0, "review": 0, "decided": 0}
    if pairs.is_empty():
        return counts
    pairs = pairs.with_columns(
        left=pl.min_horizontal(
            pl.col("unique_id_l").cast(pl.Int64), pl.col("unique_id_r").cast(pl.Int64)
        ),
        right=pl.max_horizontal(
            pl.col("unique_id_l").cast(pl.Int64), pl.col("unique_id_r").cast(pl.Int64)
        ),
    )
    ids = sorted(set(pairs["left"].to_list()))
    known = {}
    for start in range(0, len(ids), 5000):  # SQLite takes at most 32,766 parameters
        for p in MatchPair.objects.filter(left_id__in=ids[start : start + 5000]).only(
            "pk", "left", "right", "status"
        ):
            known[(p.left_id, p.right_id)] = p
    new, rescored = [], []
    for row in pairs.iter_rows(named=True):
        key = (row["left"], row["right"])
        status = (
            PairStatus.AUTO if row["match_probability"] >= model.auto_match else PairStatus.REVIEW
        )
        fields = {
            "run": run,
            "probability": row["match_probability"],
            "weight": row["match_weight"],
            # The steps' weights and levels, not the values compared: the page shows the
            # people's current records, and no stale copy of them is kept here.
            "waterfall": [
                {k: v for k, v in step.items() if k not in ("value_l", "value_r")}
                for step in matching.waterfall(model.model, row)
            ],
        }
        pair = known.get(key)
        if pair is None:
            new.append(MatchPair(left_id=key[0], right_id=key[1], status=status, **fields))
        elif pair.status in UNDECIDED:
            for name, value in {**fields, "status": status}.items():
                setattr(pair, name, value)
            rescored.append(pair)
        else:
            counts["decided"] += 1
            continue
        counts[status.value] += 1
    # A pair another run stored meanwhile is left as that run stored it.
    MatchPair.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    MatchPair.objects.bulk_update(
        rescored, ["run", "probability", "weight", "waterfall", "status"], batch_size=1000
    )
    return counts


def linkage_execute(*, run: LinkageRun, progress=None) -> LinkageRun:
    """Run a search for duplicates (the worker's task, or `manage.py link_records`)."""

    def work(context: JobContext) -> None:
        context.stage("reading", 5)
        records = registry_records(municipality_id=run.municipality_id)
        if run.train:
            context.stage("training", 15)
            model = _train(run, records)
        else:
            model = LinkageModel.objects.order_by("-pk").first()
        context.stage("scoring", 50)
        pairs = matching.predict(records, model.model, min_probability=model.review)
        context.stage("storing", 90)
        with transaction.atomic():
            if context.finished_elsewhere():
                return
            LinkageRun.objects.filter(pk=run.pk).update(linkage_model=model)
            counts = _store(run, model, pairs)
            summary = {"records": records.height, "pairs": pairs.height, **counts}
            bulk_run_log(actor=run.started_by, model=MatchPair, job="linkage", counts=summary)
            context.done(summary)

    return job_execute(run, work, progress=progress)


# -- Reading and deciding pairs ----------------------------------------------------------------


def pair_list(*, actor, status: str = "") -> QuerySet[MatchPair]:
    """The pairs the actor reviews: both people in their area."""
    if not permissions.has_perm(actor, permissions.LINKAGE_REVIEW):
        return MatchPair.objects.none()
    qs = MatchPair.objects.select_related("left", "right")
    qs = permissions.scoped(
        permissions.scoped(qs, actor, "left__municipality_id"), actor, "right__municipality_id"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-probability", "pk")


def pair_get(*, actor, pk: int) -> MatchPair:
    return scoped_get(pair_list(actor=actor), actor=actor, pk=pk)


def undecided_people(on: date | None = None) -> QuerySet[Person]:
    """People in a pair awaiting a decision (the data-quality page's possible duplicates)."""
    waiting = MatchPair.objects.filter(status__in=[*UNDECIDED, PairStatus.UNSURE])
    return Person.objects.filter(
        Q(pk__in=waiting.values("left_id")) | Q(pk__in=waiting.values("right_id"))
    )


@transaction.atomic
def pair_decide(*, actor, pair: MatchPair, decision: str, note: str = "") -> MatchPair:
    """Record an officer's decision on a pair: the same person, not, or unsure (a decided pair
    may be decided again only from unsure). The same person is then merged by who may merge."""
    permissions.require(actor, permissions.LINKAGE_REVIEW)
    pair = pair_get(actor=actor, pk=pair.pk)
    pair = MatchPair.objects.select_for_update().get(pk=pair.pk)
    if decision not in DECISIONS:
        raise ValidationError({"decision": _("Choose: the same person, not, or unsure.")})
    if pair.status not in (*UNDECIDED, PairStatus.UNSURE):
        raise ValidationError(
            {
                "decision": _("This pair is decided already (%(status)s).")
                % {"status": pair.get_status_display()}
            }
        )
    pair.status = decision
    pair.note = (note or "").strip()[:500]
    pair.decided_by, pair.decided_at = actor, timezone.now()
    with acting_as(actor):
        pair.save(update_fields=["status", "note", "decided_by", "decided_at"])
    return pair
