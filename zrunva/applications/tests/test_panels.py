"""A person's and a household's applications and enrolments, as panels on their registry pages
(issue 13, item 6): for those who process applications, scoped as the queue (area, the office's
programmes, health programmes only with health access), the reads audited, a bounded number of
queries whatever the number of rows."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.models import Application, Enrolment
from zrunva.applications.services import application_submit
from zrunva.applications.tests.factories import enrolled_application, tsa_enrolment
from zrunva.core.casework import new_number
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.programmes.services import programme_save

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _urls(name: str, pk: int) -> str:
    return reverse(f"applications:{name}", args=[pk])


@pytest.fixture
def pensioner():
    """An enrolled pensioner of Kutaisi: (the application, the enrolment, the person)."""
    application = enrolled_application()
    enrolment = Enrolment.objects.select_related("person", "household").get(application=application)
    return application, enrolment, enrolment.person


def _apply(person, programme: Programme, municipality="kutaisi") -> Application:
    return application_submit(
        channel=Channel.PORTAL,
        programme=programme,
        municipality=Municipality.objects.get(code=municipality),
        applicant={
            "personal_number": person.personal_number,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": person.birth_date,
            "phone": "+995555000333",
        },
        consent=True,
    )


def test_a_persons_applications_and_enrolments_on_their_page(pensioner, login_as):
    application, enrolment, person = pensioner
    someone_else = enrolled_application()
    client = login_as(Role.SSA_OFFICER)
    page = client.get(reverse("registry:person_detail", args=[person.pk])).content.decode()
    assert f'hx-get="{_urls("person_applications", person.pk)}"' in page
    assert f'hx-get="{_urls("person_enrolments", person.pk)}"' in page

    panel = client.get(_urls("person_applications", person.pk), **HTMX)
    html = panel.content.decode()
    assert "HX-Request" in panel["Vary"]
    assert "<html" not in html  # a fragment
    assert f'href="{reverse("applications:detail", args=[application.pk])}"' in html
    assert "State old-age pension" in html and "Enrolled" in html
    assert someone_else.number not in html

    enrolments = client.get(_urls("person_enrolments", person.pk), **HTMX).content.decode()
    assert f'href="{reverse("applications:enrolment_detail", args=[enrolment.pk])}"' in enrolments
    assert str(enrolment.amount) in enrolments and application.number in enrolments

    # Without htmx (or JavaScript), a page of its own, back to the person.
    whole = client.get(_urls("person_applications", person.pk)).content.decode()
    assert "<html" in whole and application.number in whole and "Back to" in whole
    # Each read names the person: audited, with what was read.
    purposes = set(
        LogEntry.objects.filter(
            actor=client.user, object_pk=str(person.pk), action=LogEntry.Action.ACCESS
        ).values_list("additional_data__purpose", flat=True)
    )
    assert {"applications", "enrolments"} <= purposes


def test_an_application_decided_for_a_person_is_theirs_whoever_applied(pensioner, login_as):
    """The pension pays the person its decision names: listed on their page even when another
    (a representative) applied under their own personal number."""
    application, enrolment, person = pensioner
    Application.objects.filter(pk=application.pk).update(personal_number="01001099999")
    html = (
        login_as(Role.SSA_OFFICER)
        .get(_urls("person_applications", person.pk), **HTMX)
        .content.decode()
    )
    assert application.number in html


def test_a_households_applications_and_enrolments(pensioner, login_as):
    application, enrolment, person = pensioner
    household = enrolment.household
    # The head's TSA application, just submitted: no household yet, found by his number.
    submitted = _apply(person, Programme.objects.get(code="tsa"))
    tsa = tsa_enrolment(household)
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert f'hx-get="{_urls("household_applications", household.pk)}"' in page
    assert f'hx-get="{_urls("household_enrolments", household.pk)}"' in page
    html = client.get(_urls("household_applications", household.pk), **HTMX).content.decode()
    assert application.number in html and submitted.number in html
    assert tsa.application.number in html
    # The latest first.
    assert html.index(submitted.number) < html.index(application.number)
    enrolments = client.get(_urls("household_enrolments", household.pk), **HTMX).content.decode()
    assert "State old-age pension" in enrolments and "Targeted social assistance" in enrolments
    assert f"{reverse('applications:enrolments')}?household={household.pk}" in enrolments
    assert LogEntry.objects.filter(
        actor=client.user,
        object_pk=str(household.pk),
        additional_data__purpose="applications",
    ).exists()


@pytest.mark.parametrize("name", ["person_applications", "person_enrolments"])
@pytest.mark.parametrize(
    "role,scope,status",
    [
        # No role to process applications: refused, and the panel is not on the page.
        (Role.SOCIAL_WORKER, {"office": "ssa-kutaisi"}, 403),
        (Role.SUPERVISOR, {"office": "ssa-kutaisi"}, 403),
        (Role.ANALYST, {}, 403),
        (Role.DPO, {}, 403),
        # Another area: the person is not found (an audited attempt).
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404),
        (Role.SSA_OFFICER, {"office": "ssa-kutaisi"}, 200),
        (Role.ADMIN, {}, 200),
    ],
)
def test_who_reads_a_persons_applications(pensioner, login_as, name, role, scope, status):
    application, enrolment, person = pensioner
    client = login_as(role, **scope)
    assert client.get(_urls(name, person.pk), **HTMX).status_code == status
    if status == 404:
        assert LogEntry.objects.filter(
            actor=client.user, object_pk=str(person.pk), additional_data__attempt=True
        ).exists()
    if status == 403:
        page = client.get(reverse("registry:person_detail", args=[person.pk]))
        assert _urls(name, person.pk) not in page.content.decode()


def test_a_municipal_officer_sees_only_their_councils_programmes(pensioner, login_as):
    """The state pension is the SSA's to process: a Kutaisi officer reads the person's page,
    and the panel, without it."""
    application, enrolment, person = pensioner
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = client.get(_urls("person_applications", person.pk), **HTMX).content.decode()
    assert application.number not in html
    assert "No application in the programmes your office handles." in html
    enrolments = client.get(_urls("person_enrolments", person.pk), **HTMX).content.decode()
    assert "State old-age pension" not in enrolments


def _council_programme(admin, code: str, criteria: str, name: str) -> Programme:
    return programme_save(
        actor=admin,
        programme=None,
        data={
            "code": code,
            "name_ka": name,
            "name_en": name,
            "level": "person",
            "criteria": criteria,
            "formula": "50",
            "legal_basis": "Test",
            "municipality": Municipality.objects.get(code="kutaisi"),
            "valid_from": date(2026, 1, 1),
        },
    )


def test_a_health_programmes_applications_are_hidden_without_health_access(
    pensioner, login_as, make_user
):
    """A Kutaisi officer processes the council's programmes, but not one whose rules read
    health data: an application to it says the applicant may have a disability."""
    application, enrolment, person = pensioner
    admin = make_user(Role.ADMIN)
    top_up = _council_programme(
        admin, "kutaisi_disability_top_up", 'person.disability_degree != "none"', "Top-up"
    )
    firewood = _council_programme(admin, "kutaisi_firewood", "person.age >= 60", "Firewood")
    health = _apply(person, top_up)
    plain = _apply(person, firewood)
    url = _urls("person_applications", person.pk)
    municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = municipal.get(url, **HTMX).content.decode()
    assert plain.number in html and health.number not in html and "Top-up" not in html
    national = login_as(Role.SSA_OFFICER).get(url, **HTMX).content.decode()
    assert health.number not in national  # a council's programme is the council's
    admin_client = login_as(Role.ADMIN)
    seen = admin_client.get(url, **HTMX).content.decode()
    assert health.number in seen and plain.number in seen
    # Its enrolment likewise.
    for application in (health, plain):
        Enrolment.objects.create(
            application=application,
            programme=application.programme,
            household=enrolment.household,
            person=person,
            amount="50.00",
            starts=date(2026, 2, 1),
            enrolled_by=admin,
        )
    url = _urls("person_enrolments", person.pk)
    html = municipal.get(url, **HTMX).content.decode()
    assert "Firewood" in html and "Top-up" not in html
    assert "Top-up" in admin_client.get(url, **HTMX).content.decode()


def test_the_panel_shows_the_latest_twenty_and_pages_through_the_rest(
    pensioner, login_as, django_assert_max_num_queries
):
    application, enrolment, person = pensioner
    earlier = [
        Application(
            **{
                f.attname: getattr(application, f.attname)
                for f in Application._meta.concrete_fields
                if f.attname not in ("id", "number", "submission_key", "submitted_at")
            },
        )
        for _ in range(24)
    ]
    for row in earlier:
        row.number, row.status = new_number("ZR"), Status.WITHDRAWN
    Application.objects.bulk_create(earlier)
    client = login_as(Role.SSA_OFFICER)
    url = _urls("person_applications", person.pk)
    client.get(url, **HTMX)  # warm the caches (content types, the session)
    with django_assert_max_num_queries(9):
        html = client.get(url, **HTMX).content.decode()
    assert html.count("<tr>") - 1 == 20  # the header's row, then twenty
    assert f'href="{url}?page=2"' in html and "More applications" in html
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count("<tr>") - 1 == 5  # the latest application and 24 more: 20 + 5
    assert 'rel="prev"' in second


def test_the_enrolments_panel_queries_are_bounded(login_as, django_assert_max_num_queries):
    from zrunva.registry.tests import factories

    household = factories.household("kutaisi")
    for i in range(6):
        factories.member(household, birth_date=date(1950, 1, 1 + i))
    first = tsa_enrolment(household)
    # Ended enrolments of the same household, each from its own application.
    for _ in range(5):
        first.application.pk, first.application.number = None, new_number("ZR")
        first.application.submission_key = None
        first.application.status = Status.WITHDRAWN
        first.application.save()
        Enrolment.objects.create(
            application=first.application,
            programme=first.programme,
            household=household,
            amount="60.00",
            starts=date(2022, 1, 1),
            ends=date(2022, 12, 31),
            enrolled_by=first.enrolled_by,
        )
    client = login_as(Role.SSA_OFFICER)
    url = _urls("household_enrolments", household.pk)
    client.get(url, **HTMX)
    with django_assert_max_num_queries(7):
        html = client.get(url, **HTMX).content.decode()
    assert html.count("<tr>") - 1 == 6
