"""A record merged into another (`merged_into`, set by the integration app's merge) leaves the
registry's lists, searches and columns while its row, page and history stay."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.registry import selectors
from zrunva.registry.columns import joined_frames
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    """Two households in Kutaisi; the second's head merged into the first's (rows moved as the
    merge moves them: the membership to the survivor's side is not needed here)."""
    survivor_home = factories.household(
        head={"first_name": "ნინო", "personal_number": "01001000001"}
    )
    merged_home = factories.household(head={"first_name": "ნინო", "personal_number": "01001000002"})
    survivor = survivor_home.memberships.get().person
    merged = merged_home.memberships.get().person
    Membership.objects.filter(person=merged).update(
        end_date=timezone.localdate(), end_reason="moved"
    )
    Person.objects.filter(pk=merged.pk).update(merged_into=survivor, personal_number=None)
    Household.objects.filter(pk=merged_home.pk).update(merged_into=survivor_home, is_active=False)
    return survivor, merged, survivor_home, merged_home


def test_merged_records_leave_lists_and_searches(pair, make_user):
    survivor, merged, survivor_home, merged_home = pair
    officer = make_user(Role.SSA_OFFICER)
    found = set(selectors.person_list(actor=officer, q="nino").values_list("pk", flat=True))
    assert survivor.pk in found and merged.pk not in found
    assert merged.pk not in set(selectors.person_list(actor=officer).values_list("pk", flat=True))
    homes = set(selectors.household_list(actor=officer, active=None).values_list("pk", flat=True))
    assert survivor_home.pk in homes and merged_home.pk not in homes
    assert (
        selectors.person_by_number(actor=officer, personal_number="01001000001", purpose="test")
        == survivor
    )


def test_merged_person_may_lack_an_identifier(pair):
    _, merged, _, _ = pair
    merged.refresh_from_db()
    assert merged.personal_number is None and merged.identifier == ""


def test_merged_records_are_read_but_not_edited(pair, make_user):
    survivor, merged, survivor_home, merged_home = pair
    officer = make_user(Role.SSA_OFFICER)
    assert selectors.person_get(actor=officer, pk=merged.pk) == merged
    with pytest.raises(PermissionDenied, match=f"merged into №{survivor.pk}"):
        selectors.person_get(actor=officer, pk=merged.pk, purpose="edit")
    with pytest.raises(PermissionDenied, match=f"merged into №{survivor_home.pk}"):
        selectors.household_get(actor=officer, pk=merged_home.pk, purpose="edit")


def test_merged_pages_point_to_the_survivor(pair, login_as):
    survivor, merged, survivor_home, merged_home = pair
    client = login_as(Role.SSA_OFFICER)
    page = client.get(reverse("registry:person_detail", args=[merged.pk])).content.decode()
    assert reverse("registry:person_detail", args=[survivor.pk]) in page
    assert reverse("registry:person_edit", args=[merged.pk]) not in page
    page = client.get(reverse("registry:household_detail", args=[merged_home.pk])).content.decode()
    assert reverse("registry:household_detail", args=[survivor_home.pk]) in page
    page = client.get(reverse("registry:person_detail", args=[survivor.pk])).content.decode()
    assert "This record was merged into another" not in page
    assert client.get(reverse("registry:person_edit", args=[merged.pk])).status_code == 403


def test_columns_leave_merged_people_out(pair):
    survivor, merged, survivor_home, _ = pair
    # Even a membership left open by mistake does not bring a merged person into a run.
    Membership.objects.filter(person=merged).update(end_date=None, end_reason="")
    Membership.objects.filter(person=merged).update(household=survivor_home, relationship="other")
    frames = joined_frames(on=date(2100, 1, 1), household_ids=[survivor_home.pk])
    assert frames.people["id"].to_list() == [survivor.pk]


def test_the_snapshot_leaves_merged_people_out(pair):
    from zrunva.registry import snapshot

    if not snapshot.enabled():
        pytest.skip("the snapshot is PostgreSQL's")
    survivor, merged, survivor_home, _ = pair
    Membership.objects.filter(person=merged).update(end_date=None, end_reason="")
    Membership.objects.filter(person=merged).update(household=survivor_home, relationship="other")
    people = snapshot.frames(on=date(2100, 1, 1)).people
    assert people.filter(people["household_id"] == survivor_home.pk)["id"].to_list() == [
        survivor.pk
    ]
