"""Outreach lists: who is on each list and who is not (and why), a visit taking a person off
it, the visit's date, who may read the lists (role, area, health data), the page and its file."""

import datetime

import pytest
from auditlog.models import LogEntry
from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import submit
from zrunva.assessment.tests.factories import assess
from zrunva.cases import outreach, services
from zrunva.cases.choices import OutreachList, Source, Stage, VisitOutcome
from zrunva.cases.models import OutreachVisit, SocialCase
from zrunva.cases.tests import factories
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.tests import factories as registry

IMERETI = "sca-ge-im"  # serves Kutaisi
A, B, C = OutreachList.DISABILITY, OutreachList.LOW_SCORE, OutreachList.ALONE


@pytest.fixture
def worker(make_user):
    return make_user(Role.SOCIAL_WORKER, office=IMERETI)


@pytest.fixture
def kutaisi(db):
    return Municipality.objects.get(code="kutaisi")


@pytest.fixture
def today():
    return timezone.localdate()


def enrol(programme: str, household, person=None, *, ends=None):
    """An enrolment in `programme` (of the person, or of the household without one)."""
    head = household.memberships.get(relationship="head").person
    return Enrolment.objects.create(
        application=submit(programme, personal_number=head.personal_number),
        programme=Programme.objects.get(code=programme),
        household=household,
        person=person,
        amount=100,
        starts=datetime.date(2025, 1, 1),
        ends=ends,
        enrolled_by=registry.system_actor(),
    )


def names(actor, kind, municipality, today):
    qs = outreach.outreach_list(actor=actor, kind=kind, municipality_id=municipality.pk)
    return {p.first_name for p in qs}


def test_severe_disability_list(worker, kutaisi, today):
    def severe(name, municipality="kutaisi", **more):
        return factories.person(municipality, first_name=name, disability_degree="severe", **more)

    severe("ანა")  # on the list
    packaged = severe("ბელა")
    enrol("disability_package", packaged.memberships.get().household, packaged)
    ended = severe("გია")  # the package ended last year: not served any more
    enrol(
        "disability_package",
        ended.memberships.get().household,
        ended,
        ends=today - datetime.timedelta(days=365),
    )
    factories.case(worker, severe("დათო"))  # has an open case
    closed = factories.case(worker, severe("ეკა"))
    services.case_close(actor=_supervisor(), case=closed, outcome="met", note="Done.")
    severe("ვახო", date_of_death=today - datetime.timedelta(days=3))  # died
    factories.person(first_name="ზურა", disability_degree="significant")  # not severe
    severe("თეა", "tbilisi")  # another municipality

    assert names(worker, A, kutaisi, today) == {"ანა", "გია", "ეკა"}


def _supervisor():
    from zrunva.accounts.models import User
    from zrunva.geo.models import Office

    return User.objects.create_user(
        f"sup-{User.objects.count()}", role=Role.SUPERVISOR, office=Office.objects.get(code=IMERETI)
    )


def test_low_score_list(worker, kutaisi, today):
    threshold = int(outreach.tsa_threshold(today))

    def household(name, *scores):
        household = registry.household(head={"first_name": name})
        for days, score in enumerate(scores):
            assess(household, score, visit=datetime.date(2025, 1, 10) + datetime.timedelta(days))
        return household

    poor = household("ანა", threshold // 2)
    registry.member(poor, first_name="ბავშვი", birth_date=datetime.date(2015, 1, 1))
    household("ბელა", threshold)  # at the threshold: TSA would take it
    household("გია", threshold + 1)  # above
    enrol("tsa", household("დათო", 1000))  # already on TSA
    enrol("tsa", household("ეკა", 1000), ends=today - datetime.timedelta(days=40))  # ended
    household("ვახო", 1000, threshold + 5000)  # the latest score counts
    household("ზურა")  # never assessed: no score to go by
    household("თეა", 1000)
    registry.household("tbilisi", head={"first_name": "იაკო"})

    # Listed by the head of the household, lowest score first; the child is not listed.
    listed = outreach.outreach_list(actor=worker, kind=B, municipality_id=kutaisi.pk)
    assert [p.first_name for p in listed] == ["ეკა", "თეა", "ანა", "ბელა"]
    row = next(outreach.rows([p for p in listed if p.first_name == "ბელა"], kind=B, today=today))
    assert f"{threshold:,}" in row.reason and "TSA" in row.reason


def test_low_score_threshold_is_the_parameter_in_force(kutaisi, today):
    """The threshold is the TSA criteria's parameter's value today, not a figure in the code."""
    from zrunva.programmes.selectors import parameters_on

    assert outreach.tsa_threshold(today) == parameters_on(on=today)["tsa_band_4_max_score"]
    Programme.objects.filter(code="tsa").update(criteria="household.size > 0")
    assert outreach.tsa_threshold(today) is None


def test_alone_over_80_list(worker, kutaisi, today):
    eighty = today - relativedelta(years=80)
    factories.person(first_name="ანა", birth_date=eighty)  # 80 today: on the list
    factories.person(first_name="ბელა", birth_date=eighty + datetime.timedelta(days=1))  # 79
    couple = registry.household(head={"first_name": "გია", "birth_date": eighty})
    registry.member(couple, relationship="spouse", first_name="გულო", birth_date=eighty)
    factories.case(worker, factories.person(first_name="დათო", birth_date=eighty))
    factories.person(first_name="ეკა", birth_date=datetime.date(1930, 1, 1))
    factories.person("tbilisi", first_name="ვახო", birth_date=eighty)

    assert names(worker, C, kutaisi, today) == {"ანა", "ეკა"}
    listed = list(outreach.outreach_list(actor=worker, kind=C, municipality_id=kutaisi.pk))
    assert [p.first_name for p in listed] == ["ეკა", "ანა"]  # oldest first
    row = next(outreach.rows(listed[1:], kind=C, today=today))
    assert row.reason == "Aged 80 and living alone; no open case."


def test_a_visit_takes_the_person_off_that_list(worker, kutaisi, today, settings):
    settings.OUTREACH_VISIT_DAYS = 180
    old = datetime.date(1935, 3, 3)
    seen = factories.person(first_name="ანა", birth_date=old)
    long_ago = factories.person(first_name="ბელა", birth_date=old)
    services.outreach_visit_record(
        actor=worker, person=seen, list=C, visited_on=today, outcome=VisitOutcome.NOT_IN_NEED
    )
    services.outreach_visit_record(
        actor=worker,
        person=long_ago,
        list=C,
        visited_on=today - datetime.timedelta(days=181),
        outcome=VisitOutcome.NOT_FOUND,
    )
    assert names(worker, C, kutaisi, today) == {"ბელა"}
    # Another list's visit does not: the rule checked there was another.
    services.outreach_visit_record(
        actor=worker,
        person=long_ago,
        list=B,
        visited_on=today,
        outcome=VisitOutcome.DECLINED,
    )
    assert names(worker, C, kutaisi, today) == {"ბელა"}


def test_needs_help_opens_a_case(worker, kutaisi, today):
    person = factories.person(first_name="ანა", birth_date=datetime.date(1935, 3, 3))
    visit = services.outreach_visit_record(
        actor=worker,
        person=person,
        list=C,
        visited_on=today,
        outcome=VisitOutcome.NEEDS_HELP,
        note="Cannot reach the shop; no heating.",
    )
    case = SocialCase.objects.get(pk=visit.case_id)
    assert (case.person_id, case.source, case.category, case.stage, case.assigned_to) == (
        person.pk,
        Source.OUTREACH,
        "elderly",
        Stage.INTAKE,
        worker,
    )
    assert case.intake == "Cannot reach the shop; no heating."
    assert names(worker, C, kutaisi, today) == set()
    with pytest.raises(ValidationError) as error:
        services.outreach_visit_record(
            actor=worker, person=person, list=A, visited_on=today, outcome=VisitOutcome.NEEDS_HELP
        )
    assert error.value.message_dict == {"note": ["Say what help is needed: it opens the case."]}


def test_a_visit_is_not_dated_in_the_future(worker, today):
    person = factories.person(birth_date=datetime.date(1935, 3, 3))
    with pytest.raises(ValidationError) as error:
        services.outreach_visit_record(
            actor=worker,
            person=person,
            list=C,
            visited_on=today + datetime.timedelta(days=1),
            outcome=VisitOutcome.NOT_IN_NEED,
        )
    assert error.value.message_dict == {"visited_on": ["The visit cannot be dated in the future."]}
    assert not OutreachVisit.objects.exists()
    services.outreach_visit_record(
        actor=worker, person=person, list=C, visited_on=today, outcome=VisitOutcome.NOT_IN_NEED
    )
    assert OutreachVisit.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "scope", "error"),
    [
        (Role.SOCIAL_WORKER, {"office": "sca-ge-tb"}, "This municipality is outside your area"),
        (Role.SUPERVISOR, {"office": "sca-ge-tb"}, "This municipality is outside your area"),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, "Your role does not allow"),
        (Role.ANALYST, {}, "Your role does not allow"),
        (Role.SSA_OFFICER, {}, "Your role does not allow"),
    ],
)
def test_who_may_not_read_the_lists(make_user, kutaisi, today, role, scope, error):
    factories.person(first_name="ანა", birth_date=datetime.date(1935, 3, 3))
    user = make_user(role, **scope)
    for kind in (A, B, C):
        with pytest.raises(PermissionDenied, match=error):
            outreach.outreach_page(actor=user, kind=kind, municipality_id=kutaisi.pk)


def test_a_visit_outside_the_area_is_refused(make_user, today):
    person = factories.person(birth_date=datetime.date(1935, 3, 3))
    elsewhere = make_user(Role.SOCIAL_WORKER, office="sca-ge-tb")
    with pytest.raises(Http404):
        services.outreach_visit_record(
            actor=elsewhere,
            person=person,
            list=C,
            visited_on=today,
            outcome=VisitOutcome.NOT_IN_NEED,
        )
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(PermissionDenied):
        services.outreach_visit_record(
            actor=officer, person=person, list=C, visited_on=today, outcome="not_in_need"
        )
    assert not OutreachVisit.objects.exists()


def test_the_disability_list_needs_health_data(client, worker, kutaisi, monkeypatch):
    factories.person(first_name="ანა", birth_date=datetime.date(1935, 3, 3))
    client.force_login(worker)
    url = reverse("outreach:lists")
    assert outreach.lists_for(worker) == [A, B, C]
    assert (
        "Disability status"
        in client.get(url, {"list": C, "municipality": kutaisi.pk}).content.decode()
    )
    grants = dict(permissions._GRANTS)
    grants[permissions.HEALTH_VIEW] = frozenset({Role.ADMIN, Role.DPO})
    monkeypatch.setattr(permissions, "_GRANTS", grants)
    assert outreach.lists_for(worker) == [B, C]
    with pytest.raises(PermissionDenied, match="health data"):
        outreach.outreach_list(actor=worker, kind=A, municipality_id=kutaisi.pk)
    html = client.get(url, {"list": C, "municipality": kutaisi.pk}).content.decode()
    assert "living alone" in html and "Disability status" not in html
    assert 'value="disability"' not in html  # the list is not offered
    csv = client.get(url, {"list": C, "municipality": kutaisi.pk, "format": "csv"})
    assert "Disability status" not in b"".join(csv.streaming_content).decode("utf-8-sig")


def test_each_read_is_audited(worker, kutaisi):
    factories.person(first_name="ანა", birth_date=datetime.date(1935, 3, 3))
    page, rows = outreach.outreach_page(actor=worker, kind=C, municipality_id=kutaisi.pk)
    assert len(rows) == 1
    entry = LogEntry.objects.filter(actor=worker, additional_data__purpose="search").get()
    assert entry.additional_data["terms"] == {
        "outreach": "alone",
        "municipality": kutaisi.pk,
        "page": 1,
    }
    assert entry.additional_data["shown"] == 1


def test_the_page_lists_records_and_downloads(
    client, worker, kutaisi, today, django_assert_max_num_queries
):
    for n in range(5):
        factories.person(first_name="ანა", birth_date=datetime.date(1930 + n, 3, 3))
    client.force_login(worker)
    url = reverse("outreach:lists")
    with django_assert_max_num_queries(15):
        response = client.get(url, {"municipality": kutaisi.pk, "list": C})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("living alone; no open case") == 5
    assert "Disability status" in html  # social workers read health data

    person = factories.person(first_name="ბელა", birth_date=datetime.date(1929, 3, 3))
    visit = {"person": person.pk, "list": C, "municipality": kutaisi.pk, "note": ""}
    refused = client.post(
        reverse("outreach:visit"),
        visit | {"visited_on": today + datetime.timedelta(days=2), "outcome": "not_found"},
    )
    assert refused.status_code == 400
    assert "The visit cannot be dated in the future." in refused.content.decode()
    done = client.post(
        reverse("outreach:visit"), visit | {"visited_on": today, "outcome": "not_found"}
    )
    assert done.status_code == 302
    assert OutreachVisit.objects.get().visited_by == worker

    csv = client.get(url, {"municipality": kutaisi.pk, "list": C, "format": "csv"})
    body = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert body.count("living alone; no open case") == 5  # the visited one is off
    assert LogEntry.objects.filter(actor=worker, additional_data__terms__export="csv").exists()
    xlsx = client.get(url, {"municipality": kutaisi.pk, "list": B, "format": "xlsx"})
    assert xlsx.status_code == 200
    factories.person(first_name="გია", disability_degree="severe")
    with django_assert_max_num_queries(15):
        severe = client.get(url, {"municipality": kutaisi.pk, "list": A}).content.decode()
    assert "Severe disability; not enrolled in the disability package" in severe


def test_the_page_is_refused_outside_the_role_and_area(login_as, kutaisi):
    url = reverse("outreach:lists")
    assert login_as(Role.ANALYST).get(url).status_code == 403
    assert login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi").get(url).status_code == 403
    # Kutaisi is not among the choices of a worker of Tbilisi's office.
    elsewhere = login_as(Role.SOCIAL_WORKER, office="sca-ge-tb")
    response = elsewhere.get(url, {"municipality": kutaisi.pk, "list": C})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
