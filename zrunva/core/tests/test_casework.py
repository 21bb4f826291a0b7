"""The casework kit (zrunva.core.casework), through the two cases built on it: applications and
grievances share numbers, contact rules, the event log, assignment, locking, reading and the
four-eyes check."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application
from zrunva.core import casework
from zrunva.grievances.choices import EventKind
from zrunva.grievances.models import Grievance
from zrunva.grievances.tests.factories import grievance

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Application, Grievance])
def test_cases_share_the_kit(model):
    assert issubclass(model, casework.Case)
    assert issubclass(model._meta.get_field("events").related_model, casework.Event)
    number = casework.new_number(model.PREFIX)
    assert len(number) == 14 and number.startswith(f"{model.PREFIX}-")
    assert set(number[3:].replace("-", "")) <= set(casework.ALPHABET)
    typed = number.lower().replace("-", " ")
    assert casework.normalised_number(typed, model.PREFIX) == number


def test_an_assignment_is_logged_and_attributed(make_user):
    filed = grievance()
    officer = make_user(Role.SSA_OFFICER)
    locked = casework.case_lock(filed, "application")
    casework.case_assign(locked, actor=officer, to=officer, kind=EventKind.ASSIGNED)
    filed.refresh_from_db()
    assert filed.assigned_to == officer
    event = filed.events.latest("id")
    assert (event.kind, event.actor, event.note) == (
        EventKind.ASSIGNED,
        officer,
        casework.staff_name(officer),
    )
    assert event.what() == str(EventKind.ASSIGNED.label)


def test_the_event_log_names_who_acted_when_no_staff_did():
    filed = grievance()
    first = filed.events.earliest("id")
    assert first.actor is None and first.by() == "The complainant"


def test_a_case_outside_the_actors_scope_is_not_found(make_user):
    filed = grievance(municipality="kutaisi")
    batumi = make_user(Role.MUNICIPAL_OFFICER, municipality="batumi")
    kutaisi = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    scope = Grievance.objects.filter(municipality__code="batumi")
    with pytest.raises(Http404):
        casework.case_get(scope, actor=batumi, pk=filed.pk)
    mine = Grievance.objects.filter(municipality__code="kutaisi")
    assert casework.case_get(mine, actor=kutaisi, pk=filed.pk) == filed


def test_four_eyes_refuses_the_preparer(make_user):
    preparer, other = make_user(Role.SSA_OFFICER), make_user(Role.SSA_OFFICER)
    with pytest.raises(PermissionDenied, match="another"):
        casework.four_eyes(prepared_by=preparer, approver=preparer, message="another approves")
    with pytest.raises(PermissionDenied):
        casework.four_eyes(prepared_by=preparer.pk, approver=preparer, message="by id too")
    casework.four_eyes(prepared_by=preparer, approver=other, message="")


def test_overdue_cases(make_user):
    from datetime import timedelta

    filed = grievance()
    day = filed.due_date
    assert not casework.overdue(Grievance.objects.all(), today=day).exists()
    assert casework.overdue(Grievance.objects.all(), today=day + timedelta(days=1)).get() == filed
