"""Synthetic assessments for demo and benchmark registries: one home visit per household not yet
assessed, scored from the registry with the scoring model in force, written in columns."""

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zrunva.assessment.models import Assessment
from zrunva.assessment.scoring import (
    REASSESSMENT_YEARS,
    VARIABLES,
    Weights,
    score_frame,
    variables_frame,
)
from zrunva.assessment.selectors import scoring_model_on
from zrunva.core.bulk import write_frame
from zrunva.registry.columns import registry_frames
from zrunva.registry.models import Household

BATCH = 100_000
# Visits spread over the last five years, so about a fifth are due for re-assessment.
SPREAD_DAYS = 5 * 365


def assessments_generate(
    *,
    assessor,
    seed: int,
    share: float = 0.9,
    on: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Give `share` of the households a synthetic home visit scored from their registry data
    (composition as recorded on `on`), unless they have an assessment already. Reproducible for
    a seed and a registry: which households and which dates are drawn before those already
    assessed are left out, so running again adds nothing. Returns the number written."""
    on = on or timezone.localdate()
    model = scoring_model_on(on - timedelta(days=SPREAD_DAYS))
    if model is None:
        raise ValueError("No scoring model is in force over the visit dates")
    weights = Weights.of(model)
    last = Household.objects.aggregate(last=Max("id"))["last"] or 0
    written = 0
    for start in range(1, last + 1, BATCH):
        frames = registry_frames(on=on, id_range=(start, start + BATCH))
        assessed = set(
            Assessment.objects.filter(
                household_id__gte=start, household_id__lt=start + BATCH
            ).values_list("household_id", flat=True)
        )
        variables = variables_frame(frames, on=on)
        # Drawn for every household of the batch before leaving out those already assessed, so
        # running again (or after an interruption) chooses the same households and dates.
        rng = np.random.default_rng([seed, start])
        visited = pl.Series(rng.random(variables.height) < share)
        days = pl.Series(rng.integers(0, SPREAD_DAYS, variables.height))
        chosen = variables.with_columns(days_back=days).filter(
            visited & ~pl.col("household_id").is_in(list(assessed))
        )
        visit = pl.Series([on - timedelta(days=int(d)) for d in chosen["days_back"]], dtype=pl.Date)
        stamp = timezone.now()
        rows = chosen.select(
            household_id=pl.col("household_id"),
            visit_date=visit,
            assessor_id=pl.lit(assessor.pk, dtype=pl.Int64),
            scoring_model_id=pl.lit(model.pk, dtype=pl.Int64),
            variables=pl.struct(list(VARIABLES)).struct.json_encode(),
            score=score_frame(chosen, weights),
            reassessment_due=visit.dt.offset_by(f"{REASSESSMENT_YEARS}y"),
            notes=pl.lit(""),
            created_at=pl.lit(stamp, dtype=pl.Datetime("us", "UTC")),
        )
        with transaction.atomic():
            written += write_frame(Assessment._meta.db_table, rows)
        if progress:
            progress(min(BATCH, last - start + 1))
    return written
