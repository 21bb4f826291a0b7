"""The subject-access report gathers what every app holds about the person (issue 9, finding 3)."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.services import application_submit, application_transition
from zrunva.assessment.models import Assessment, ScoringModel
from zrunva.audit import subject_access
from zrunva.core import extensions
from zrunva.geo.models import Municipality
from zrunva.grievances.tests.factories import grievance as file_grievance
from zrunva.notifications.services import message_queue
from zrunva.programmes.choices import DecisionReason, DecisionStatus
from zrunva.programmes.models import Decision, DecisionChange, Programme, Run
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

NUMBER = "01001077777"


def _section(report, key):
    return next(s for s in report["sections"] if s["key"] == key)


def _records(section, record):
    return [item for item in section["items"] if item["record"] == record]


@pytest.fixture
def subject(make_user):
    """A person who applied for the state pension (registered, decided, enrolled), is a declared
    member of a relative's TSA application, was assessed, decided on by a run, appealed, and whose
    application and grievance an officer opened."""
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household(
        "kutaisi", head={"personal_number": NUMBER, "birth_date": date(1950, 2, 1), "sex": "M"}
    )
    person = household.memberships.get().person
    kutaisi = Municipality.objects.get(code="kutaisi")
    own = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="state_pension"),
        municipality=kutaisi,
        applicant={
            "personal_number": NUMBER,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": person.birth_date,
            "phone": "+995 555 77 77 77",
            "email": "subject@example.org",
            "language": "en",
        },
        consent=True,
    )
    for to in (Status.REGISTERED, Status.DECIDED, Status.ENROLLED):
        application_transition(
            actor=officer,
            application=own,
            to=to,
            household=household if to == Status.REGISTERED else None,
        )
    relatives = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=kutaisi,
        applicant={
            "personal_number": "01001088888",
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": date(1985, 3, 1),
            "phone": "+995 555 88 88 88",
        },
        members=[
            {
                "first_name": person.first_name,
                "last_name": person.last_name,
                "birth_date": "1950-02-01",
                "personal_number": NUMBER,
                "relationship": "parent",
            }
        ],
        consent=True,
    )
    unrelated = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=kutaisi,
        applicant={
            "personal_number": "01001099999",
            "first_name": "ლევან",
            "last_name": "გელაშვილი",
            "birth_date": date(1979, 3, 1),
            "phone": "+995 555 99 99 99",
        },
        consent=True,
    )
    assessment = Assessment.objects.create(
        household=household,
        visit_date=date(2025, 1, 10),
        assessor=officer,
        scoring_model=ScoringModel.objects.order_by("valid_from").first(),
        variables={"rooms": 2},
        score=61000,
        reassessment_due=date(2029, 1, 10),
    )
    run = Run.objects.create(on=date(2025, 2, 1), started_by=officer)
    tsa = Programme.objects.get(code="tsa")
    decision = Decision.objects.create(
        programme=tsa,
        household=household,
        period=date(2025, 2, 1),
        status=DecisionStatus.NOT_ELIGIBLE,
        reason=DecisionReason.CRITERIA_NOT_MET,
        run=run,
    )
    change = DecisionChange.objects.create(
        run=run, programme=tsa, household=household, new_status=DecisionStatus.NOT_ELIGIBLE
    )
    grievance = file_grievance(personal_number=NUMBER)
    message_queue(channel="sms", to="+995 555 00 00 00", body="x", language="en", reference="")
    return {
        "person": person,
        "household": household,
        "officer": officer,
        "own": own,
        "relatives": relatives,
        "unrelated": unrelated,
        "assessment": assessment,
        "decision": decision,
        "change": change,
        "grievance": grievance,
    }


def test_the_report_holds_what_every_app_holds_about_the_person(login_as, subject, make_user):
    officer = login_as(Role.SSA_OFFICER)
    assert officer.get(f"/en/applications/{subject['own'].pk}/").status_code == 200
    handler = login_as(Role.SUPERVISOR)
    assert handler.get(f"/en/grievances/{subject['grievance'].pk}/").status_code == 200
    dpo = login_as(Role.DPO)
    report = dpo.get(
        f"/en/registry/subject-access/{subject['person'].pk}/", {"format": "json"}
    ).json()

    assert report["person"]["personal_number"] == NUMBER
    person = _section(report, "person")["items"][0]["fields"]
    assert person["personal_number"] == NUMBER
    households = _section(report, "households")
    assert [i["id"] for i in _records(households, "registry.household")] == [
        str(subject["household"].pk)
    ]

    applications = _section(report, "applications")
    found = {i["id"]: i["fields"] for i in _records(applications, "applications.application")}
    # Their own application with what they declared, and the one naming them as a member.
    assert set(found) == {str(subject["own"].pk), str(subject["relatives"].pk)}
    own = found[str(subject["own"].pk)]
    assert (
        own["phone"] == "+995555777777"
    )  # stored as E.164 and own["email"] == "subject@example.org"
    assert found[str(subject["relatives"].pk)]["members"][0]["personal_number"] == NUMBER
    assert _records(applications, "applications.applicationevent")
    enrolments = _records(applications, "applications.enrolment")
    assert [e["fields"]["application"] for e in enrolments] == [str(subject["own"].pk)]

    assessments = _section(report, "assessments")["items"]
    assert [(a["id"], a["fields"]["score"]) for a in assessments] == [
        (str(subject["assessment"].pk), "61000")
    ]
    decisions = _section(report, "decisions")
    # The run's, and the one their own application's decision stored for its month.
    subject["own"].refresh_from_db()
    assert sorted(d["id"] for d in _records(decisions, "programmes.decision")) == sorted(
        [str(subject["decision"].pk), str(subject["own"].decision_id)]
    )
    assert [d["id"] for d in _records(decisions, "programmes.decisionchange")] == [
        str(subject["change"].pk)
    ]
    grievances = _section(report, "grievances")
    assert [g["id"] for g in _records(grievances, "grievances.grievance")] == [
        str(subject["grievance"].pk)
    ]
    messages = _section(report, "messages")["items"]
    recipients = {m["fields"]["to"] for m in messages}
    assert "subject@example.org" in recipients  # the decision's letter to their address
    assert "+995 555 00 00 00" not in recipients
    assert "+995 555 99 99 99" not in recipients  # the unrelated applicant's

    # Who opened their application and their grievance.
    log = {(row["record"], row["actor"], row["action"]) for row in report["processing_log"]}
    assert (
        f"applications.application#{subject['own'].pk}",
        officer.user.username,
        "access",
    ) in log
    assert (
        f"grievances.grievance#{subject['grievance'].pk}",
        handler.user.username,
        "access",
    ) in log
    # Nothing of the unrelated applicant.
    assert not any(
        row["record"] == f"applications.application#{subject['unrelated'].pk}"
        for row in report["processing_log"]
    )


def test_the_page_shows_a_section_per_registered_provider(login_as, subject):
    page = login_as(Role.DPO).get(f"/en/registry/subject-access/{subject['person'].pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    for provider in subject_access.providers():
        assert f'id="sa-{provider.key}"' in text
    assert subject["own"].number in text and "subject@example.org" in text


def test_a_higher_app_adds_its_section_through_the_registration_point(
    login_as, subject, monkeypatch
):
    """Payments and cases register their own section: nothing in the registry changes."""
    slots = extensions._slots
    monkeypatch.setitem(slots, subject_access.SLOT, dict(slots[subject_access.SLOT]))

    def payments(found: subject_access.Subject) -> subject_access.Section:
        section = subject_access.Section()
        section.items.append({"record": "payments.payment", "id": "1", "fields": {"amount": "9"}})
        section.records.append((Run, subject["decision"].run_id))
        return section

    subject_access.register("payments", "Payments", payments, order=60)
    report = subject_access.report(actor=login_as(Role.DPO).user, person=subject["person"])
    assert _section(report, "payments")["items"][0]["fields"] == {"amount": "9"}


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SSA_OFFICER])
def test_only_the_dpo_produces_the_report(make_user, subject, role):
    with pytest.raises(PermissionDenied):
        subject_access.report(actor=make_user(role), person=subject["person"])


def test_the_report_lists_denied_attempts_on_the_persons_records(login_as, subject):
    batumi_officer = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    response = batumi_officer.get(f"/en/registry/households/{subject['household'].pk}/")
    assert response.status_code == 404
    report = (
        login_as(Role.DPO)
        .get(f"/en/registry/subject-access/{subject['person'].pk}/", {"format": "json"})
        .json()
    )
    attempts = [row for row in report["processing_log"] if row["attempt"]]
    assert [(a["record"], a["actor"]) for a in attempts] == [
        (f"registry.household#{subject['household'].pk}", batumi_officer.user.username)
    ]
    assert date.fromisoformat(attempts[0]["timestamp"][:10]) >= date.today() - timedelta(days=1)


def test_someone_the_registry_does_not_hold_still_gets_what_others_hold(login_as):
    """A portal applicant whose application was never registered: the report is by number."""
    never_registered = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant={
            "personal_number": "01001055511",
            "first_name": "ნინო",
            "last_name": "ბერიძე",
            "birth_date": date(1985, 3, 1),
            "phone": "+995 555 55 11 11",
        },
        consent=True,
    )
    dpo = login_as(Role.DPO)
    found = dpo.get("/en/registry/subject-access/", {"personal_number": "01001055511"})
    assert found["Location"] == "/en/registry/subject-access/number/01001055511/"
    page = dpo.get(found["Location"])
    assert page.status_code == 200 and never_registered.number in page.content.decode()
    report = dpo.get(found["Location"], {"format": "json"}).json()
    assert report["person"] == {"id": None, "personal_number": "01001055511"}
    applications = _section(report, "applications")["items"]
    assert [a["id"] for a in applications if a["record"] == "applications.application"] == [
        str(never_registered.pk)
    ]
    assert _section(report, "messages")["items"]  # the confirmation to their phone
    assert _section(report, "person")["items"] == []
    bad = dpo.get("/en/registry/subject-access/", {"personal_number": "123"})
    assert bad.status_code == 200 and "11 digits" in bad.content.decode()
    assert dpo.get("/en/registry/subject-access/number/123/").status_code == 404


def test_the_page_names_every_field_in_the_page_language(login_as, subject):
    """The records' own fields by their models' names, the values apps add by the labels they
    give them, places and programmes by name (issue 13, item 7)."""
    from django.utils import translation

    page = login_as(Role.DPO).get(f"/registry/subject-access/{subject['person'].pk}/")
    keys = re.findall(r'<dt class="summary__key">([^<]*)</dt>', page.content.decode())
    # Each record's heading with its statuses by their labels, not their stored codes.
    titles = " ".join(re.findall(r"<h3>([^<]*)</h3>", page.content.decode()))
    assert not re.findall(
        r"\b(submitted|registered|not_eligible|eligible|filed|pending|sms)\b", titles
    )
    with translation.override("ka"):
        added = {translation.gettext("Programme code"), translation.gettext("Run date")}
    assert "განცხადების ნომერი" in keys and added <= set(keys)
    # Nothing left as a stored name: no snake_case key, no English fallback.
    assert not [k for k in keys if "_" in k or k in ("Application number", "Municipality name")]
    # Every other key in Georgian letters (`added` are, once the catalogue has them).
    latin = [k for k in keys if k != "ID" and k not in added]
    assert not [k for k in latin if not re.search(r"[\u10D0-\u10FF]", k)]
