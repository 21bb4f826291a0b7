"""A person's and a household's grievances, as panels on their registry pages (issue 13, item
6), scoped as the queue; and which of the panels of the person's whole relationship with the
system (decisions, applications, enrolments, grievances, payments) each role's page lists."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.grievances.choices import Category
from zrunva.grievances.models import Grievance
from zrunva.grievances.tests.factories import appeal, grievance, refused_application
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def family():
    """A household in Kutaisi: (the household, its head, a second member)."""
    household = factories.household("kutaisi")
    head = household.memberships.get().person
    return household, head, factories.member(household, "spouse", sex="F")


def _person_url(person) -> str:
    return reverse("grievances:person_grievances", args=[person.pk])


def _household_url(household) -> str:
    return reverse("grievances:household_grievances", args=[household.pk])


def test_a_persons_grievances_filed_and_about_their_applications(family, login_as, make_user):
    household, head, spouse = family
    filed = grievance(personal_number=head.personal_number)
    refused = refused_application(make_user(Role.SSA_OFFICER), personal_number=head.personal_number)
    # An appeal about the head's application, under another complainant's number (as one a
    # representative brought would be): it is about the head all the same.
    appealed = appeal(refused, personal_number=head.personal_number)
    Grievance.objects.filter(pk=appealed.pk).update(personal_number="01001077777")
    others = grievance(personal_number=spouse.personal_number)
    client = login_as(Role.SUPERVISOR, office="ssa-kutaisi")
    page = client.get(reverse("registry:person_detail", args=[head.pk])).content.decode()
    assert f'hx-get="{_person_url(head)}"' in page
    response = client.get(_person_url(head), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "HX-Request" in response["Vary"]
    assert filed.number in html and appealed.number in html and others.number not in html
    assert f'href="{reverse("grievances:detail", args=[filed.pk])}"' in html
    assert "Appeal against a decision" in html and refused.number in html
    assert html.index(appealed.number) < html.index(filed.number)  # the latest first
    whole = client.get(_person_url(head)).content.decode()
    assert "<html" in whole and filed.number in whole and "Back to" in whole
    assert LogEntry.objects.filter(
        actor=client.user, object_pk=str(head.pk), additional_data__purpose="grievances"
    ).exists()


def test_a_households_grievances(family, login_as, make_user):
    household, head, spouse = family
    mine = grievance(personal_number=spouse.personal_number, category=Category.PAYMENT)
    elsewhere = grievance(personal_number="01001077777")
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert f'hx-get="{_household_url(household)}"' in page
    html = client.get(_household_url(household), **HTMX).content.decode()
    assert mine.number in html and "Payment" in html and elsewhere.number not in html
    assert LogEntry.objects.filter(
        actor=client.user, object_pk=str(household.pk), additional_data__purpose="grievances"
    ).exists()


def test_grievances_filed_in_another_area_are_not_shown(family, login_as):
    """As in the queue: a grievance is seen where it was filed."""
    household, head, spouse = family
    far = grievance(personal_number=head.personal_number, municipality="zugdidi")
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = client.get(_person_url(head), **HTMX).content.decode()
    assert far.number not in html and "No grievance or appeal in your area." in html
    assert far.number in login_as(Role.ADMIN).get(_person_url(head), **HTMX).content.decode()


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.SOCIAL_WORKER, {"office": "ssa-kutaisi"}, 403),
        (Role.ANALYST, {}, 403),
        (Role.DPO, {}, 403),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
        (Role.SUPERVISOR, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404),
        (Role.SUPERVISOR, {"office": "ssa-kutaisi"}, 200),
        (Role.ADMIN, {}, 200),
    ],
)
def test_who_reads_a_persons_grievances(family, login_as, role, scope, status):
    household, head, spouse = family
    grievance(personal_number=head.personal_number)
    client = login_as(role, **scope)
    for url, record in ((_person_url(head), head), (_household_url(household), household)):
        assert client.get(url, **HTMX).status_code == status
        if status == 404:
            assert LogEntry.objects.filter(
                actor=client.user, object_pk=str(record.pk), additional_data__attempt=True
            ).exists()


def test_the_grievances_panel_queries_are_bounded(family, login_as, django_assert_max_num_queries):
    household, head, spouse = family
    for person in (head, spouse, head, spouse, head):
        grievance(personal_number=person.personal_number)
    refused = refused_application(factories.system_actor(), personal_number=head.personal_number)
    appeal(refused, personal_number=head.personal_number)
    client = login_as(Role.SSA_OFFICER)
    url = _household_url(household)
    client.get(url, **HTMX)
    with django_assert_max_num_queries(6):
        html = client.get(url, **HTMX).content.decode()
    assert html.count("<tr>") - 1 == 6


# -- The person's page: which panels each role's page lists ----------------------------------

PANELS = {
    "decisions": "eligibility:person_decisions",
    "applications": "applications:person_applications",
    "enrolments": "applications:person_enrolments",
    "grievances": "grievances:person_grievances",
    "payments": "payments:person_payments",
}


@pytest.mark.parametrize(
    "role,scope,shown",
    [
        (Role.SSA_OFFICER, {"office": "ssa-kutaisi"}, set(PANELS)),
        (Role.ADMIN, {}, set(PANELS)),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, set(PANELS)),
        (Role.SUPERVISOR, {"office": "ssa-kutaisi"}, {"decisions", "grievances", "payments"}),
        (Role.SOCIAL_WORKER, {"office": "ssa-kutaisi"}, {"decisions", "payments"}),
    ],
)
def test_the_person_page_lists_the_panels_the_role_may_read(family, login_as, role, scope, shown):
    household, head, spouse = family
    client = login_as(role, **scope)
    page = client.get(reverse("registry:person_detail", args=[head.pk])).content.decode()
    for key, name in PANELS.items():
        url = reverse(name, args=[head.pk])
        assert (f'hx-get="{url}"' in page) == (key in shown), key
        # Each listed panel answers; each one left out refuses.
        answer = client.get(url, **HTMX).status_code
        assert answer == (200 if key in shown else 403), key
