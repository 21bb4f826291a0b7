"""Data quality: each check's records on a built registry, the daily counts, the pages and who
may see them."""

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.integration import quality
from zrunva.integration.models import QualityCount
from zrunva.registry.models import Membership, Person
from zrunva.registry.tests import factories as people

pytestmark = pytest.mark.django_db

CHECKS = [
    "missing_personal_number",
    "impossible_ages",
    "households_without_head",
    "people_in_no_household",
    # Registered by record linkage (people in a pair awaiting a decision).
    "possible_duplicates",
]


@pytest.fixture
def registry():
    """In Kutaisi: one sound household, and one record of each problem; in Zugdidi, one
    citizen without a personal number."""
    people.household()  # sound
    no_number = people.household(
        head={"personal_number": None, "alt_id_kind": "residence_permit", "alt_id_number": "R1"}
    )
    Person.objects.filter(memberships__household=no_number).update(citizenship="GE")
    old = people.household(head={"birth_date": date(1900, 1, 2)})  # alive at 120+
    headless = people.household()
    child = people.member(headless, "child")
    Membership.objects.filter(household=headless, relationship="head").update(
        end_date=timezone.localdate(), end_reason="moved"
    )
    zugdidi = people.household(
        "zugdidi",
        head={"personal_number": None, "alt_id_kind": "residence_permit", "alt_id_number": "R2"},
    )
    Person.objects.filter(memberships__household=zugdidi).update(citizenship="GE")
    left = Person.objects.get(memberships__household=headless, memberships__relationship="head")
    return {"no_number": no_number, "old": old, "headless": headless, "child": child, "left": left}


def test_checks_find_each_problem_where_it_is(registry, make_user):
    kutaisi = Municipality.objects.get(code="kutaisi").pk
    zugdidi = Municipality.objects.get(code="zugdidi").pk
    counts = quality.quality_counts(actor=make_user(Role.SSA_OFFICER))
    assert [c.code for c in quality.checks()] == CHECKS
    assert counts == {
        "missing_personal_number": {kutaisi: 1, zugdidi: 1},
        "impossible_ages": {kutaisi: 1},
        "households_without_head": {kutaisi: 1},
        # The head who left, counted where they lived last.
        "people_in_no_household": {kutaisi: 1},
        "possible_duplicates": {},
    }
    municipal = make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    assert quality.quality_counts(actor=municipal)["missing_personal_number"] == {zugdidi: 1}
    records = quality.quality_records(
        actor=municipal,
        municipality=Municipality.objects.get(code="zugdidi"),
        code="impossible_ages",
    )
    assert list(records) == []


def test_merged_and_dead_people_are_not_problems(registry, make_user):
    left = registry["left"]
    Person.objects.filter(pk=left.pk).update(date_of_death=date(2024, 1, 1))
    counts = quality.quality_counts(actor=make_user(Role.ADMIN))
    assert counts["people_in_no_household"] == {}
    someone = Person.objects.filter(personal_number__isnull=False).first()
    Person.objects.filter(pk=registry["old"].memberships.get().person_id).update(
        merged_into=someone
    )
    assert quality.quality_counts(actor=make_user(Role.ADMIN))["impossible_ages"] == {}


def test_impossible_dates(make_user):
    a = people.household(head={"birth_date": date(1980, 1, 1)}).memberships.get().person
    Person.objects.filter(pk=a.pk).update(date_of_death=date(1979, 1, 1))
    kutaisi = Municipality.objects.get(code="kutaisi").pk
    assert quality.quality_counts(actor=make_user(Role.ADMIN))["impossible_ages"] == {kutaisi: 1}


def test_snapshot_is_stored_once_a_day(registry):
    day = date(2026, 3, 1)
    rows = quality.quality_snapshot(on=day)
    assert rows == Municipality.objects.count() * len(CHECKS)
    kutaisi = Municipality.objects.get(code="kutaisi")
    stored = QualityCount.objects.get(day=day, municipality=kutaisi, code="impossible_ages")
    assert stored.count == 1
    Person.objects.filter(pk=registry["old"].memberships.get().person_id).update(
        birth_date=date(1950, 1, 1)
    )
    call_command("quality_snapshot", on=day)
    assert QualityCount.objects.filter(day=day).count() == rows
    assert (
        QualityCount.objects.get(
            pk__gt=0, day=day, municipality=kutaisi, code="impossible_ages"
        ).count
        == 0
    )
    assert LogEntry.objects.filter(object_repr="quality_snapshot").count() == 2


def test_history_sums_per_day_in_the_area(registry, make_user):
    quality.quality_snapshot(on=date(2026, 3, 1))
    quality.quality_snapshot(on=date(2026, 3, 2))
    national = quality.quality_history(actor=make_user(Role.ADMIN))
    assert national["missing_personal_number"] == [(date(2026, 3, 1), 2), (date(2026, 3, 2), 2)]
    zugdidi = quality.quality_history(
        actor=make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    )
    assert zugdidi["missing_personal_number"] == [(date(2026, 3, 1), 1), (date(2026, 3, 2), 1)]
    assert zugdidi["impossible_ages"] == [(date(2026, 3, 1), 0), (date(2026, 3, 2), 0)]


def test_extra_checks_plug_in():
    """The linkage review registers possible duplicates this way."""
    check = quality.QualityCheck(
        quality.DUPLICATES,
        "Possible duplicates awaiting review",
        "person",
        lambda on: Person.objects.filter(first_name="დუბლი").annotate(
            place=quality.F("municipality_id")
        ),
        50,
    )
    quality.register(check)
    try:
        people.household(head={"first_name": "დუბლი"})
        quality.quality_snapshot(on=date(2026, 3, 1))
        kutaisi = Municipality.objects.get(code="kutaisi")
        assert QualityCount.objects.get(municipality=kutaisi, code=quality.DUPLICATES).count == 1
    finally:
        quality._checks.pop(quality.DUPLICATES)


# -- Pages ---------------------------------------------------------------------------------------


def test_overview_and_municipality_pages(registry, login_as, django_assert_max_num_queries):
    quality.quality_snapshot(on=date(2026, 3, 1))
    client = login_as(Role.SSA_OFFICER)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("integration:quality"))
    text = page.content.decode()
    assert reverse("integration:quality_municipality", args=["kutaisi"]) in text
    assert "not counted yet" in text and "bar-chart" in text
    url = reverse("integration:quality_municipality", args=["kutaisi"])
    with django_assert_max_num_queries(20):
        listed = client.get(url, {"check": "households_without_head"})
    assert reverse("registry:household_detail", args=[registry["headless"].pk]) in (
        listed.content.decode()
    )
    ages = client.get(url, {"check": "impossible_ages"}).content.decode()
    assert (
        reverse("registry:person_detail", args=[registry["old"].memberships.get().person_id])
        in ages
    )
    assert client.get(url, {"check": "nonsense"}).status_code == 404
    assert LogEntry.objects.filter(actor=client.user, additional_data__purpose="search").exists()


def test_downloads(registry, login_as):
    client = login_as(Role.ADMIN)
    overview = client.get(reverse("integration:quality"), {"format": "csv"})
    body = b"".join(overview.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Municipality,")
    url = reverse("integration:quality_municipality", args=["kutaisi"])
    listed = client.get(url, {"check": "missing_personal_number", "format": "xlsx"})
    assert listed.status_code == 200 and listed["Content-Disposition"].endswith('.xlsx"')
    assert LogEntry.objects.filter(
        actor=client.user, additional_data__terms__export="xlsx", additional_data__shown=1
    ).exists()


def test_pages_are_refused_outside_the_role_and_area(registry, login_as):
    for role, scope in ((Role.SOCIAL_WORKER, {"office": "sca-ge-im"}), (Role.ANALYST, {})):
        client = login_as(role, **scope)
        assert client.get(reverse("integration:quality")).status_code == 403
    kutaisi_officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    page = kutaisi_officer.get(reverse("integration:quality")).content.decode()
    assert reverse("integration:quality_municipality", args=["kutaisi"]) in page
    assert reverse("integration:quality_municipality", args=["zugdidi"]) not in page
    assert (
        kutaisi_officer.get(
            reverse("integration:quality_municipality", args=["zugdidi"])
        ).status_code
        == 404
    )
