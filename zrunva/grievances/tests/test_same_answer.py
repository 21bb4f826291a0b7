"""An appeal names an application by its number and the complainant's personal number; the
answer must say no more than the portal's status check does (issue 9, finding 1). An
application closed as a duplicate reads "Closed by the office" there: "closed as a duplicate"
would tell whoever applied with someone's personal number that the registry holds an earlier
application or enrolment for them."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Status
from zrunva.applications.models import Application
from zrunva.applications.services import application_transition
from zrunva.grievances.choices import Channel
from zrunva.grievances.tests.factories import appeal, application

pytestmark = pytest.mark.django_db


def _refusal(application) -> list[str]:
    with translation.override("en"), pytest.raises(ValidationError) as error:
        appeal(application)
    return error.value.message_dict["application"]


def test_an_appeal_against_a_duplicate_says_what_the_status_check_says(make_user):
    officer = make_user(Role.SSA_OFFICER, office="ssa-kutaisi")
    first = application()
    second = application()  # the same person applies again: stored, flagged
    assert second.duplicate_of == first
    application_transition(actor=officer, application=second, to=Status.DUPLICATE)
    refusal = _refusal(Application.objects.get(pk=second.pk))
    assert refusal == ["This application has no decision to appeal: it is Closed by the office."]
    assert "duplicate" not in " ".join(refusal).lower()


def test_an_office_outside_the_applications_area_learns_nothing_of_it(make_user):
    """Entered at an office: an application outside the officer's area is refused as such,
    before anything about it (its status) is said."""
    zugdidi = make_user(Role.SSA_OFFICER, office="ssa-zugdidi")
    open_one = application()  # in Kutaisi, submitted: it has no decision to appeal
    with translation.override("en"), pytest.raises(PermissionDenied):
        appeal(open_one, actor=zugdidi, channel=Channel.WALK_IN)
