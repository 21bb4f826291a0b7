"""Issue 10, item 4: a run's losses that belong to enrolled beneficiaries, on a page of their
own (applications sit above eligibility runs), each confirmed by an officer, which ends the
enrolment (`services.enrolment_end_on_loss`)."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.services import last_day_paid
from zrunva.applications.tests.checks import enrolment_unchanged
from zrunva.applications.tests.factories import enrolled_application, run_loss
from zrunva.core.trail import SEARCH_REPR
from zrunva.notifications.models import Message
from zrunva.programmes.models import DecisionChange, Run
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

BUTTON = "Confirm and end the enrolment"


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_officer_sees_their_enrolled_losses_and_confirms_one(login_as):
    enrolment = enrolled_application().enrolment
    loss = run_loss(enrolment)
    Run.objects.filter(pk=loss.run_id).update(summary={"lost": 2})
    # In the same run, a loss of someone not enrolled: not offered.
    household = factories.household(head={"birth_date": date(1950, 1, 1), "sex": "M"})
    DecisionChange.objects.create(
        run=loss.run,
        programme=enrolment.programme,
        household=household,
        person=household.memberships.get().person,
        old_status="eligible",
        new_status="not_eligible",
    )
    url = reverse("applications:run_losses", args=[loss.run_id])
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")

    # The run's page links here, for those who process applications.
    run_page = officer.get(reverse("eligibility:run_detail", args=[loss.run_id])).content.decode()
    assert url in run_page

    answer = officer.get(url)
    assert answer.status_code == 200
    html = answer.content.decode()
    application = enrolment.application
    assert [c.pk for c in answer.context["losses"]] == [loss.pk]
    assert html.count(BUTTON) == 1
    assert reverse("applications:detail", args=[application.pk]) in html
    assert application.number in html and enrolment.programme.name in html
    assert "495.00" in html and 'name="csrfmiddlewaretoken"' in html
    assert str(household) not in html
    # The read is audited as a search naming the run.
    read = LogEntry.objects.filter(object_repr=SEARCH_REPR, actor=officer.user).latest("id")
    assert read.additional_data["terms"] == {"run": loss.run_id, "kind": "enrolled_losses"}
    assert read.additional_data["shown"] == 1

    answer = officer.post(url, {"change": loss.pk})
    assert answer.status_code == 302 and answer.url == url
    enrolment.refresh_from_db()
    assert (enrolment.end_reason, enrolment.ended_by) == ("lost_eligibility", officer.user)
    assert enrolment.ends == last_day_paid(starts=enrolment.starts, on=loss.run.on)
    assert _messages(answer) == [
        f"The enrolment ends: paid until {enrolment.ends:%-d} "
        f"{enrolment.ends.strftime('%B')} {enrolment.ends.year}."
    ]
    assert officer.get(url).context["losses"] == []

    # Confirming again: a clear message, not an error page; nothing more is written.
    messages = Message.objects.count()
    answer = officer.post(url, {"change": loss.pk})
    assert answer.status_code == 302
    assert _messages(answer) == ["This beneficiary has no open enrolment in this programme."]
    assert Message.objects.count() == messages
    enrolment.refresh_from_db()
    assert enrolment.ended_by == officer.user


def test_other_offices_and_areas_see_nothing_and_cannot_confirm(login_as):
    enrolment = enrolled_application().enrolment  # the state pension, in Kutaisi
    loss = run_loss(enrolment)
    url = reverse("applications:run_losses", args=[loss.run_id])
    messages = Message.objects.count()

    # A municipality's officer does not process the state's programmes.
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert municipal.get(url).context["losses"] == []
    assert municipal.post(url, {"change": loss.pk}).status_code == 403
    enrolment_unchanged(enrolment, messages)

    # The SSA in another area: the line is outside it.
    zugdidi = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    answer = zugdidi.get(url)
    assert answer.context["losses"] == [] and BUTTON not in answer.content.decode()
    assert zugdidi.post(url, {"change": loss.pk}).status_code == 404
    enrolment_unchanged(enrolment, messages)

    # A role that does not process applications: neither the page nor the link.
    worker = login_as(Role.SOCIAL_WORKER)
    assert worker.get(url).status_code == 403
    assert worker.post(url, {"change": loss.pk}).status_code == 403
    Run.objects.filter(pk=loss.run_id).update(summary={"lost": 1})
    run_page = worker.get(reverse("eligibility:run_detail", args=[loss.run_id]))
    assert url not in run_page.content.decode()
    enrolment_unchanged(enrolment, messages)
    assert Enrolment.objects.get(pk=enrolment.pk).ends is None


def test_a_line_that_is_not_a_loss_or_not_a_number_is_refused(login_as):
    enrolment = enrolled_application().enrolment
    gained = run_loss(enrolment, old="not_eligible", new="eligible")
    url = reverse("applications:run_losses", args=[gained.run_id])
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    messages = Message.objects.count()
    assert officer.post(url, {"change": gained.pk}).status_code == 404
    assert officer.post(url, {"change": "abc"}).status_code == 404
    assert officer.post(url, {}).status_code == 404
    enrolment_unchanged(enrolment, messages)
