"""A run outside any caller's transaction reads the scores and the decisions in force on
connections of their own, in threads (ADBC, PostgreSQL): it stores what a run reading them with
COPY on its own connection stores, row for row, and finds nothing changed the second time."""

import pytest
from django.db import connection
from django.utils import timezone

from zrunva.assessment.population import assessments_generate
from zrunva.core import bulk
from zrunva.programmes.models import Decision, DecisionChange, Run
from zrunva.programmes.runs import run_execute, run_start
from zrunva.registry import population

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only"),
    pytest.mark.skipif(bulk._adbc() is None, reason="adbc-driver-postgresql not installed"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = timezone.localdate()
DECISION = ("programme_id", "household_id", "person_id", "period", "until", "status", "reason")
STORED = (*DECISION, "amount", "missing", "rules_id", "enrolment_id")
CHANGE = ("programme_id", "household_id", "person_id", "old_status", "new_status", "new_amount")


def stored() -> tuple[list, list]:
    return (
        sorted(Decision.objects.values_list(*STORED), key=str),
        sorted(DecisionChange.objects.values_list(*CHANGE), key=str),
    )


def runs(admin) -> tuple[list, list, int]:
    for _ in range(2):
        done = run_execute(run=run_start(actor=admin, on=TODAY, enqueue=False))
    result = (*stored(), done.summary["changed"])
    DecisionChange.objects.all().delete()
    Decision.objects.all().delete()
    Run.objects.all().delete()
    return result


def test_a_run_on_its_own_connections_stores_what_copy_stores(make_user, monkeypatch):
    from zrunva.accounts.choices import Role

    admin = make_user(Role.ADMIN)
    population.population_generate(households=300, seed=11, progress=False)
    assessments_generate(assessor=admin, seed=11, share=0.8)
    calls = []
    read = bulk._read_adbc
    monkeypatch.setattr(bulk, "_read_adbc", lambda *a: calls.append(a[0]) or read(*a))
    own = runs(admin)
    # The scores and the decisions in force, of both runs.
    assert any("programmes_decision" in query for query in calls)
    assert any("assessment_assessment" in query for query in calls)
    monkeypatch.setattr(bulk, "_adbc", lambda: None)
    copied = runs(admin)
    assert own == copied
    decisions, changes, changed_again = own
    assert len(decisions) > 100 and len(changes) == len(decisions) and changed_again == 0
