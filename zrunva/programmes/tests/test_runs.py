"""Eligibility runs: who may start them, what they store, and that running again changes nothing."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.tests.factories import assess
from zrunva.geo.models import Municipality
from zrunva.programmes.choices import RunStatus
from zrunva.programmes.models import Decision, DecisionChange, Programme, Run
from zrunva.programmes.runs import run_execute, run_start
from zrunva.programmes.tests.factories import eligibility_run, family_and_pensioner, years_ago
from zrunva.registry import services as registry
from zrunva.registry.models import Membership, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN)


@pytest.fixture
def family():
    """A poor couple with a child in Kutaisi, and a pensioner alone in Tbilisi."""
    return family_and_pensioner()


def pensioner_id(household) -> int:
    return Membership.objects.get(household=household).person_id


def decisions(**filters):
    return {
        (d.programme.code, d.person_id): (d.status, d.amount)
        for d in Decision.objects.filter(**filters).select_related("programme")
    }


def test_a_run_stores_the_decisions_that_are_not_plain_refusals(admin, family):
    household, child, pensioner = family
    done = eligibility_run(TODAY, actor=admin)
    assert done.status == RunStatus.DONE and done.progress == 100
    assert decisions(household=household) == {
        ("tsa", None): ("eligible", Decimal("180.00")),
        ("child_benefit", None): ("eligible", Decimal("200.00")),
    }
    assert decisions(household=pensioner) == {
        ("state_pension", pensioner_id(pensioner)): ("eligible", Decimal("495.00")),
    }
    assert done.summary["households"] == 2 and done.summary["people"] == 4
    assert done.summary["gained"] == 3 and done.summary["lost"] == 0
    by_code = {p["code"]: p for p in done.summary["programmes"]}
    assert by_code["tsa"]["amount"] == "180.00" and by_code["tsa"]["eligible"] == 1
    # One audit row for the whole run, with its counts.
    entry = LogEntry.objects.filter(additional_data__job=f"eligibility_run #{done.pk}").get()
    assert entry.additional_data["counts"]["changed"] == 3


def test_running_again_changes_nothing(admin, family):
    eligibility_run(TODAY, actor=admin)
    before = list(Decision.objects.values_list("id", "status", "amount", "run_id"))
    again = eligibility_run(TODAY, actor=admin)
    assert again.summary["changed"] == 0
    assert list(Decision.objects.values_list("id", "status", "amount", "run_id")) == before
    assert not DecisionChange.objects.filter(run=again).exists()
    # Executing a finished run once more is a no-op as well.
    assert run_execute(run=again).summary == again.summary


def test_a_run_shows_who_gains_and_who_loses_by_how_much(admin, family):
    household, child, pensioner = family
    first = eligibility_run(TODAY, actor=admin)
    # The family is re-assessed above the TSA threshold; the pensioner's score does not matter.
    assess(household, 61000, visit=TODAY)
    second = eligibility_run(TODAY, actor=admin)
    changes = {
        c.programme.code: (c.old_status, c.old_amount, c.new_status, c.new_amount, c.difference)
        for c in second.changes.select_related("programme")
    }
    assert changes == {"tsa": ("eligible", Decimal("180.00"), "eligible", Decimal("90.00"), -90)}
    assert (second.summary["decreased"], second.summary["gained"]) == (1, 0)
    # The first run's own changes are still what it changed.
    assert first.changes.count() == 3
    # Same month: the decision row was replaced, not duplicated.
    assert Decision.objects.filter(household=household, programme__code="tsa").count() == 1


def test_a_beneficiary_gone_from_the_registry_is_no_longer_eligible(admin, family):
    household, child, pensioner = family
    eligibility_run(TODAY, actor=admin)
    person = Person.objects.get(pk=pensioner_id(pensioner))
    registry.person_update(
        actor=factories.system_actor(), person=person, data={"date_of_death": TODAY}
    )
    later = eligibility_run(TODAY, actor=admin)
    change = later.changes.get()
    assert (change.old_status, change.new_status, change.new_amount) == (
        "eligible",
        "not_eligible",
        None,
    )
    assert Decision.objects.get(household=pensioner).reason == "not_registered"
    assert later.summary["lost"] == 1


def test_needs_data_is_stored_with_the_fields(admin):
    household = factories.household("kutaisi", head={"birth_date": years_ago(30)})
    factories.member(household, birth_date=years_ago(3))
    eligibility_run(TODAY, actor=admin)
    tsa = Decision.objects.get(household=household, programme__code="tsa")
    assert (tsa.status, tsa.reason, tsa.missing) == (
        "needs_data",
        "missing_data",
        ["household.rating_score"],
    )


def test_a_municipal_run_touches_only_its_municipality(make_user, family):
    household, child, pensioner = family
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    done = eligibility_run(
        TODAY, actor=officer, municipality=Municipality.objects.get(code="kutaisi")
    )
    assert done.summary["households"] == 1
    assert not Decision.objects.filter(household=pensioner).exists()
    assert Decision.objects.filter(household=household).count() == 2


@pytest.mark.parametrize(
    "role,scope,place,message",
    [
        (Role.SOCIAL_WORKER, {}, None, "Your role does not allow this action."),
        (Role.SUPERVISOR, {}, None, "Your role does not allow this action."),
        (Role.ANALYST, {}, None, "Your role does not allow this action."),
        (Role.SERVICE_PROVIDER, {}, None, "Your role does not allow this action."),
        (Role.CITIZEN, {}, None, "Your role does not allow this action."),
        (
            Role.MUNICIPAL_OFFICER,
            {"municipality": "kutaisi"},
            None,
            "Only national staff run the whole country; choose a municipality.",
        ),
        (
            Role.MUNICIPAL_OFFICER,
            {"municipality": "kutaisi"},
            "tbilisi",
            "This municipality is outside your area of work.",
        ),
        (
            Role.SSA_OFFICER,
            {"office": "ssa-zugdidi"},
            "kutaisi",
            "This municipality is outside your area of work.",
        ),
    ],
)
def test_only_authorised_staff_start_runs_in_their_area(make_user, role, scope, place, message):
    actor = make_user(role, **scope)
    municipality = Municipality.objects.get(code=place) if place else None
    with pytest.raises(PermissionDenied) as err:
        run_start(actor=actor, on=TODAY, municipality=municipality, enqueue=False)
    assert str(err.value) == message
    assert not Run.objects.exists()


def test_one_run_at_a_time(admin):
    run_start(actor=admin, on=TODAY, enqueue=False)
    with pytest.raises(ValidationError) as err:
        run_start(actor=admin, on=TODAY, enqueue=False)
    assert "Another run is queued or running" in err.value.messages[0]


def test_a_run_whose_rules_cannot_be_evaluated_is_refused_before_it_starts(admin):
    Programme.objects.filter(code="tsa").update(valid_from=TODAY - timedelta(days=1))
    Programme.objects.filter(code="tsa").update(criteria="household.rating_score <= param.gone")
    with pytest.raises(ValidationError) as err:
        run_start(actor=admin, on=TODAY, enqueue=False)
    assert "tsa" in err.value.message_dict["on"][0]


def test_a_failed_run_is_marked_and_can_be_executed_again(admin, family, monkeypatch):
    from zrunva.programmes import runs

    started = run_start(actor=admin, on=TODAY, enqueue=False)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "write", broken)
    with pytest.raises(RuntimeError):
        run_execute(run=started)
    started.refresh_from_db()
    assert (started.status, started.error) == (RunStatus.FAILED, "disk full")
    assert not Decision.objects.exists()  # nothing half-written
    monkeypatch.undo()
    assert run_execute(run=started).status == RunStatus.DONE
    assert Decision.objects.count() == 3


def test_the_worker_executes_a_queued_run(admin, family, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        started = run_start(actor=admin, on=TODAY)
    started.refresh_from_db()
    assert started.status == RunStatus.DONE
    assert Decision.objects.count() == 3


def test_the_command_runs_with_progress_and_prints_the_summary(admin, family, capsys, make_user):
    call_command("eligibility_run", user=admin.username, verbosity=0)
    out = capsys.readouterr().out
    assert "2 households, 4 people; 3 decisions changed (3 gained, 0 lost)" in out
    assert "tsa: 1 eligible, 0 need data, 180.00 GEL a month" in out
    municipal = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(CommandError, match="Only national staff"):
        call_command("eligibility_run", user=municipal.username, verbosity=0)


def test_an_interrupted_run_is_resumed_by_the_command(admin, family, capsys):
    started = run_start(actor=admin, on=TODAY, enqueue=False)
    Run.objects.filter(pk=started.pk).update(status=RunStatus.RUNNING)  # the worker died
    call_command("eligibility_run", user=admin.username, resume=started.pk, verbosity=0)
    started.refresh_from_db()
    assert started.status == RunStatus.DONE and Decision.objects.count() == 3
    assert "3 decisions changed" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No run #999"):
        call_command("eligibility_run", user=admin.username, resume=999, verbosity=0)


def test_a_person_who_moves_keeps_their_decision_in_each_areas_runs(make_user, admin, family):
    household, child, pensioner = family
    daughter = factories.household("tbilisi", head={"birth_date": years_ago(45), "sex": "F"})
    person = factories.member(daughter, "parent", birth_date=years_ago(80), sex="F")
    eligibility_run(TODAY, actor=admin)
    registry.member_move(
        actor=factories.system_actor(),
        person=person,
        to_household=household,
        relationship="grandparent",
    )
    # Tbilisi's run first: she is not gone, she lives in Kutaisi now.
    tbilisi = make_user(Role.MUNICIPAL_OFFICER, municipality="tbilisi")
    there = eligibility_run(
        TODAY, actor=tbilisi, municipality=Municipality.objects.get(code="tbilisi")
    )
    assert there.summary["lost"] == 0 and not there.changes.exists()
    # Kutaisi's run takes her pension over for her new household, same month, same amount.
    kutaisi = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    here = eligibility_run(
        TODAY, actor=kutaisi, municipality=Municipality.objects.get(code="kutaisi")
    )
    pension = Decision.objects.get(person=person)
    assert (pension.household_id, pension.status, pension.amount) == (
        household.pk,
        "eligible",
        Decimal("495.00"),
    )
    change = here.changes.get(person=person)
    assert (change.old_amount, change.new_amount, change.difference) == (
        Decimal("495.00"),
        Decimal("495.00"),
        0,
    )
    assert here.summary["lost"] == 0


def test_a_household_whose_members_are_gone_is_nobodys_to_pay(admin, family):
    household, child, pensioner = family
    eligibility_run(TODAY, actor=admin)
    # The only member dies: no TSA of 0 GEL for an empty household, the pension ends.
    person = Person.objects.get(pk=pensioner_id(pensioner))
    registry.person_update(
        actor=factories.system_actor(), person=person, data={"date_of_death": TODAY}
    )
    later = eligibility_run(TODAY, actor=admin)
    assert not Decision.objects.filter(household=pensioner, person__isnull=True).exists()
    assert [(c.programme.code, c.new_status) for c in later.changes.all()] == [
        ("state_pension", "not_eligible")
    ]


def test_an_older_run_is_not_executed_over_a_newer_one(admin, family):
    older = run_start(actor=admin, on=TODAY, enqueue=False)
    Run.objects.filter(pk=older.pk).update(status=RunStatus.FAILED)
    eligibility_run(TODAY, actor=admin)  # a later run decides meanwhile
    with pytest.raises(ValidationError) as err:
        run_execute(run=older)
    assert err.value.messages == [
        "A later run has decided for this area since; start a new run instead."
    ]
    older.refresh_from_db()
    assert older.status == RunStatus.FAILED


# -- Issue 9, finding 7: one council's formula cannot break the national run -----------------

OVERFLOWING = {
    "huge": "9" * 300,  # 1e300: more than numeric(12, 2) holds
    "infinite": "9" * 400,  # beyond a float: infinity
    "not a number": f"{'9' * 400} - {'9' * 400}",  # infinity minus infinity
}


def strict_json(content: bytes):
    """JSON as the standard has it: no Infinity or NaN, which Python's parser lets through."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(content, parse_constant=refuse)


@pytest.mark.parametrize("formula", OVERFLOWING.values(), ids=OVERFLOWING.keys())
def test_a_municipal_formula_whose_amount_cannot_be_stored_is_an_error_for_it_alone(
    admin, family, login_as, formula
):
    household, child, pensioner = family
    # Stored as old data could be: bypassing the validation that now refuses it on save.
    Programme.objects.create(
        code="kutaisi_overflow",
        name_ka="გადავსება",
        name_en="Overflow",
        level="household",
        criteria="household.size >= 1",
        formula=formula,
        legal_basis="Old data",
        municipality=Municipality.objects.get(code="kutaisi"),
        valid_from=TODAY - timedelta(days=30),
    )
    done = eligibility_run(TODAY, actor=admin)
    assert done.status == RunStatus.DONE
    # The Kutaisi household's decision for it is an error, with no amount; the state
    # programmes decide as before, here and in Tbilisi.
    assert decisions(household=household) == {
        ("tsa", None): ("eligible", Decimal("180.00")),
        ("child_benefit", None): ("eligible", Decimal("200.00")),
        ("kutaisi_overflow", None): ("error", None),
    }
    assert Decision.objects.get(programme__code="kutaisi_overflow").reason == "amount_out_of_range"
    assert decisions(household=pensioner) == {
        ("state_pension", pensioner_id(pensioner)): ("eligible", Decimal("495.00")),
    }
    by_code = {p["code"]: p for p in done.summary["programmes"]}
    assert by_code["kutaisi_overflow"]["errors"] == 1
    assert by_code["kutaisi_overflow"]["amount"] == "0.00"
    assert by_code["tsa"]["errors"] == 0
    # Every page and API answer over the run and the household still works, and says why.
    client = login_as(Role.ADMIN)
    detail = client.get(reverse("eligibility:run_detail", args=[done.pk]))
    assert detail.status_code == 200
    assert "Error: amount out of range" in detail.content.decode()
    assert client.get(reverse("eligibility:run_list")).status_code == 200
    page = client.get(reverse("eligibility:household", args=[household.pk]))
    assert page.status_code == 200
    assert "The formula gives an amount that cannot be paid or stored" in page.content.decode()
    changes = client.get(f"/api/v1/eligibility/runs/{done.pk}/changes")
    assert changes.status_code == 200
    assert {c["programme"]: c["new_status"] for c in changes.json()}["kutaisi_overflow"] == "error"
    answer = client.get(f"/api/v1/households/{household.pk}/eligibility", {"on": str(TODAY)})
    assert answer.status_code == 200
    own = [r for r in strict_json(answer.content) if r["programme"] == "kutaisi_overflow"]
    assert [(r["status"], r["amount"]) for r in own] == [("error", None)]
    # Executed again, nothing changes.
    again = eligibility_run(TODAY, actor=admin)
    assert again.status == RunStatus.DONE and again.summary["changed"] == 0


def test_a_municipal_programme_that_cannot_be_evaluated_is_left_out_of_the_run_alone(
    admin, family, login_as
):
    household, child, pensioner = family
    kutaisi = Municipality.objects.get(code="kutaisi")
    from zrunva.programmes.models import Parameter, ParameterValue

    # A council parameter first valued after the run's date, read by a programme in force
    # (stored as old data could be, bypassing the check on save).
    parameter = Parameter.objects.create(
        code="kutaisi_later", name_ka="x", name_en="x", municipality=kutaisi
    )
    ParameterValue.objects.create(
        parameter=parameter, valid_from=TODAY + timedelta(days=400), value=Decimal(10), source="x"
    )
    Programme.objects.create(
        code="kutaisi_unvalued",
        name_ka="x",
        name_en="Unvalued",
        level="household",
        criteria="household.size >= 1",
        formula="param.kutaisi_later",
        legal_basis="Old data",
        municipality=kutaisi,
        valid_from=TODAY - timedelta(days=30),
    )
    done = eligibility_run(TODAY, actor=admin)
    assert done.status == RunStatus.DONE
    assert [s["code"] for s in done.summary["skipped"]] == ["kutaisi_unvalued"]
    assert '"param.kutaisi_later"' in done.summary["skipped"][0]["error"]
    assert decisions(household=household) == {
        ("tsa", None): ("eligible", Decimal("180.00")),
        ("child_benefit", None): ("eligible", Decimal("200.00")),
    }
    page = login_as(Role.ADMIN).get(reverse("eligibility:run_detail", args=[done.pk]))
    assert "kutaisi_unvalued" in page.content.decode()
    # A state programme that cannot be evaluated still stops the run before it starts.
    Programme.objects.filter(code="tsa").update(formula="param.kutaisi_later")
    with pytest.raises(ValidationError):
        run_start(actor=admin, on=TODAY, enqueue=False)


def test_the_command_reports_errors_and_programmes_left_out(admin, family, capsys):
    kutaisi = Municipality.objects.get(code="kutaisi")
    common = {
        "name_ka": "x",
        "level": "household",
        "criteria": "household.size >= 1",
        "legal_basis": "Old data",
        "municipality": kutaisi,
        "valid_from": TODAY - timedelta(days=30),
    }
    Programme.objects.create(
        code="kutaisi_overflow", name_en="Overflow", formula="9" * 300, **common
    )
    Programme.objects.create(
        code="kutaisi_broken", name_en="Broken", formula="param.gone", **common
    )
    call_command("eligibility_run", user=admin.username, verbosity=0)
    captured = capsys.readouterr()
    assert "kutaisi_overflow: 0 eligible, 0 need data, 1 errors, 0.00 GEL a month" in captured.out
    assert "kutaisi_broken (kutaisi) not evaluated: Unknown parameter" in captured.err
