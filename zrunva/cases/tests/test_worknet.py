"""The employment link (Worknet): who refers whom (working-age benefit recipients, one open
referral each), the bulk referral, the exchange file round trip with good and bad rows, the
counts per municipality, and the pages."""

import csv
import io
from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.tests.factories import tsa_enrolment
from zrunva.cases import selectors, services, worknet
from zrunva.cases.choices import JobSeekerStatus
from zrunva.cases.models import JobSeekerReferral
from zrunva.cases.tests import factories
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.tests import factories as registry

IMERETI = "sca-ge-im"  # Kutaisi among its places
TBILISI = "sca-ge-tb"


@pytest.fixture
def team(make_user):
    return {
        "worker": make_user(Role.SOCIAL_WORKER, office=IMERETI),
        "supervisor": make_user(Role.SUPERVISOR, office=IMERETI),
        "ssa": make_user(Role.SSA_OFFICER, office=IMERETI),
        "far_worker": make_user(Role.SOCIAL_WORKER, office=TBILISI),
        "far_ssa": make_user(Role.SSA_OFFICER, office=TBILISI),
        "municipal": make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        "analyst": make_user(Role.ANALYST),
        "admin": make_user(Role.ADMIN),
    }


def years_ago(years: int, days: int = 0) -> date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) - timedelta(days=days)


def recipients_household(*members):
    """A TSA household in Kutaisi: the head (a man of 40) and `members` (dicts of person
    fields); the TSA pays the household, so every member is a recipient."""
    household = registry.household("kutaisi", head={"birth_date": years_ago(40)})
    people = [household.memberships.get(relationship="head").person]
    for fields in members:
        people.append(registry.member(household, relationship="other_relative", **fields))
    tsa_enrolment(household)
    return people


@pytest.fixture
def kutaisi(db):
    return Municipality.objects.get(code="kutaisi")


@pytest.fixture
def tsa(db):
    return Programme.objects.get(code="tsa")


def test_a_worker_refers_a_recipient_from_a_case_once(team, tsa):
    (head,) = recipients_household()
    case = factories.case(team["worker"], head)
    referral = services.jobseeker_refer(actor=team["worker"], person=None, case=case)
    assert referral.status == JobSeekerStatus.REFERRED
    assert referral.programme == tsa and referral.municipality.code == "kutaisi"
    with pytest.raises(ValidationError, match="already has an open referral"):
        services.jobseeker_refer(actor=team["supervisor"], person=head)
    # The database holds the rule too: a second open referral is refused.
    with pytest.raises(IntegrityError), transaction.atomic():
        JobSeekerReferral.objects.create(
            person=head, municipality=referral.municipality, referred_by=team["worker"]
        )
    # Once placed (closed), the person may be referred again.
    JobSeekerReferral.objects.filter(pk=referral.pk).update(
        status=JobSeekerStatus.PLACED, sent_in="WN-1", outcome_on=timezone.localdate()
    )
    again = services.jobseeker_refer(actor=team["supervisor"], person=head)
    assert again.pk != referral.pk


def test_only_working_age_recipients_are_referred(team):
    head, woman_61, woman_59, man_64, child = recipients_household(
        {"birth_date": years_ago(61), "sex": "F"},
        {"birth_date": years_ago(59), "sex": "F"},
        {"birth_date": years_ago(64), "sex": "M"},
        {"birth_date": years_ago(17)},
    )
    stranger = factories.person()  # not enrolled in any programme
    message = "Only a benefit recipient of working age"
    for person in (woman_61, child, stranger):
        with pytest.raises(ValidationError, match=message):
            services.jobseeker_refer(actor=team["worker"], person=person)
    for person in (head, woman_59, man_64):
        services.jobseeker_refer(actor=team["worker"], person=person)
    assert JobSeekerReferral.objects.count() == 3


def test_who_may_refer_and_exchange_files(team, kutaisi, tsa):
    (head,) = recipients_household()
    for name in ("municipal", "analyst", "far_worker", "far_ssa", "ssa"):
        with pytest.raises(PermissionDenied):
            services.jobseeker_refer(actor=team[name], person=head)
    for name in ("worker", "municipal", "analyst", "far_worker"):
        with pytest.raises(PermissionDenied):
            services.jobseeker_refer_bulk(actor=team[name], municipality=kutaisi, programme=tsa)
        with pytest.raises(PermissionDenied):
            services.worknet_export(actor=team[name], out=io.BytesIO())
        with pytest.raises(PermissionDenied):
            services.worknet_import(actor=team[name], data=b"")
    # Outside one's area: refused, and the export of another area holds nothing of it.
    with pytest.raises(PermissionDenied, match="outside your area"):
        services.jobseeker_refer_bulk(actor=team["far_ssa"], municipality=kutaisi, programme=tsa)
    services.jobseeker_refer(actor=team["worker"], person=head)
    with pytest.raises(ValidationError, match="sent already"):
        services.worknet_export(actor=team["far_ssa"], out=io.BytesIO())
    for name in ("municipal", "analyst"):
        with pytest.raises(PermissionDenied):
            selectors.referral_list(actor=team[name])
    assert selectors.referral_list(actor=team["far_worker"]).count() == 0
    assert selectors.referral_list(actor=team["worker"]).count() == 1


def test_bulk_referral_takes_working_age_recipients_not_yet_referred(team, kutaisi, tsa):
    head, wife, _pensioner, _child = recipients_household(
        {"birth_date": years_ago(35), "sex": "F"},
        {"birth_date": years_ago(70), "sex": "M"},
        {"birth_date": years_ago(10)},
    )
    (other_head,) = recipients_household()
    factories.person()  # a working-age man on no programme
    services.jobseeker_refer(actor=team["worker"], person=other_head)
    assert (
        services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa) == 2
    )
    assert set(JobSeekerReferral.objects.values_list("person_id", flat=True)) == {
        head.pk,
        wife.pk,
        other_head.pk,
    }
    # Run again: no one new.
    assert (
        services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa) == 0
    )


def _export(actor) -> list[dict]:
    out = io.BytesIO()
    services.worknet_export(actor=actor, out=out)
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _file(rows: list[dict]) -> bytes:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=worknet.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig")


def test_the_file_round_trip(team, kutaisi, tsa):
    recipients_household({"birth_date": years_ago(30), "sex": "F"}, {"birth_date": years_ago(25)})
    assert (
        services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa) == 3
    )
    rows = _export(team["ssa"])
    assert [r["status"] for r in rows] == ["sent"] * 3
    assert rows[0]["municipality_code"] == "kutaisi" and rows[0]["programme_code"] == "tsa"
    batch = rows[0]["sent_in"]
    assert set(JobSeekerReferral.objects.values_list("status", "sent_in")) == {("sent", batch)}
    # Nothing is left to send.
    with pytest.raises(ValidationError, match="sent already"):
        services.worknet_export(actor=team["ssa"], out=io.BytesIO())

    today = timezone.localdate().isoformat()  # an outcome is never before it was sent
    rows[0].update(status="placed", outcome_date=today)
    rows[1].update(status="registered", outcome_date=today)  # rows[2]: no news yet
    counts = services.worknet_import(actor=team["supervisor"], data=_file(rows))
    assert counts == {"registered": 1, "training": 0, "placed": 1, "not_reached": 0}
    by_id = {r.pk: r for r in JobSeekerReferral.objects.all()}
    assert by_id[int(rows[0]["referral_id"])].status == JobSeekerStatus.PLACED
    assert by_id[int(rows[0]["referral_id"])].outcome_on.isoformat() == today
    assert by_id[int(rows[1]["referral_id"])].status == JobSeekerStatus.REGISTERED
    assert by_id[int(rows[2]["referral_id"])].status == JobSeekerStatus.SENT
    # The same answer again changes nothing and is accepted.
    assert services.worknet_import(actor=team["ssa"], data=_file(rows))["placed"] == 0

    counts = selectors.employment_counts(actor=team["ssa"])
    assert [(c["municipality_id"], c["referred"], c["waiting"], c["placed"]) for c in counts] == [
        (kutaisi.pk, 3, 0, 1)
    ]
    assert selectors.employment_counts(actor=team["far_ssa"]) == []


def test_an_answer_with_bad_rows_is_refused_whole(team, kutaisi, tsa):
    recipients_household({"birth_date": years_ago(30), "sex": "F"})
    services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa)
    good, other = _export(team["ssa"])
    today = timezone.localdate().isoformat()  # an outcome is never before it was sent
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    good.update(status="placed", outcome_date=today)
    rows = [
        good,  # row 2
        {**other, "personal_number": "01099999999", "status": "registered"},  # row 3: unknown
        {**other, "personal_number": "123-45", "status": "registered"},  # row 4: malformed
        {**other, "status": "hired", "outcome_date": today},  # row 5: unknown status
    ]
    with pytest.raises(ValidationError) as refused:
        services.worknet_import(actor=team["ssa"], data=_file(rows))
    assert refused.value.message_dict["file"] == [
        "Row 3 (01099999999): No referral sent to Worknet has this id and personal number.",
        "Row 4 (123-45): The personal number is malformed: it has exactly 11 digits.",
        f"Row 5 ({other['personal_number']}): Unknown status code “hired”: use sent, "
        "registered, training, placed, not_reached.",
    ]
    future = [good, {**other, "status": "training", "outcome_date": tomorrow}]
    with pytest.raises(ValidationError) as refused:
        services.worknet_import(actor=team["ssa"], data=_file(future))
    assert refused.value.message_dict["file"] == [
        f"Row 3 ({other['personal_number']}): The outcome date {tomorrow} is in the future."
    ]
    # Nothing applied: the good row's referral is still only sent.
    assert set(JobSeekerReferral.objects.values_list("status", flat=True)) == {"sent"}
    with pytest.raises(ValidationError, match="lacks the columns: status"):
        services.worknet_import(actor=team["ssa"], data=b"referral_id,personal_number\n1,2\n")


def test_the_pages(client, team, kutaisi, tsa, django_assert_max_num_queries):
    recipients_household({"birth_date": years_ago(30), "sex": "F"}, {"birth_date": years_ago(25)})
    services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa)
    client.force_login(team["worker"])
    with django_assert_max_num_queries(15):
        page = client.get(reverse("cases:worknet_list"))
    assert page.status_code == 200 and page.context["counts"][0]["referred"] == 3
    assert LogEntry.objects.filter(actor=team["worker"], additional_data__shown=3).exists()
    assert b"worknet/export/" not in page.content
    assert client.post(reverse("cases:worknet_export")).status_code == 403
    client.force_login(team["analyst"])
    assert client.get(reverse("cases:worknet_list")).status_code == 403

    client.force_login(team["ssa"])
    download = client.post(reverse("cases:worknet_export"))
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    rows[0].update(status="placed", outcome_date="2999-01-01")
    bad = SimpleUploadedFile("answer.csv", _file(rows), content_type="text/csv")
    page = client.post(reverse("cases:worknet_import"), {"file": bad})
    assert page.status_code == 400
    assert "Row 2 (" in page.content.decode() and "is in the future" in page.content.decode()
    rows[0].update(outcome_date=timezone.localdate().isoformat())
    good = SimpleUploadedFile("answer.csv", _file(rows), content_type="text/csv")
    assert client.post(reverse("cases:worknet_import"), {"file": good}).status_code == 302
    assert JobSeekerReferral.objects.get(pk=rows[0]["referral_id"]).status == "placed"


def test_the_exchange_over_the_api(client, team, kutaisi, tsa):
    from django.core.files.uploadedfile import SimpleUploadedFile

    recipients_household({"birth_date": years_ago(30), "sex": "F"})
    services.jobseeker_refer_bulk(actor=team["ssa"], municipality=kutaisi, programme=tsa)
    client.force_login(team["worker"])
    assert client.post("/api/v1/employment/export").status_code == 403
    client.force_login(team["ssa"])
    sent = client.post("/api/v1/employment/export")
    assert sent.status_code == 200 and sent["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sent.content.decode("utf-8-sig"))))
    assert len(rows) == 2
    rows[0].update(status="placed", outcome_date=timezone.localdate().isoformat())
    rows[1].update(status="wings")
    refused = client.post(
        "/api/v1/employment/import",
        {"file": SimpleUploadedFile("answer.csv", _file(rows))},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 400 and "Row 3" in str(refused.json())
    assert not JobSeekerReferral.objects.filter(status=JobSeekerStatus.PLACED).exists()
    rows[1].update(status="sent")
    applied = client.post(
        "/api/v1/employment/import", {"file": SimpleUploadedFile("answer.csv", _file(rows))}
    )
    assert applied.json() == {"registered": 0, "training": 0, "placed": 1, "not_reached": 0}
