"""Merges of two records of one person or household, their conflicts, undo and permissions."""

import threading
from datetime import date

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import translation
from django.utils.translation import gettext

from zrunva.accounts.choices import Role
from zrunva.applications.models import Enrolment
from zrunva.applications.tests.factories import enrolled_application
from zrunva.cases.tests.factories import case
from zrunva.integration import merges
from zrunva.integration.models import Merge, MergeChange
from zrunva.integration.tests import factories
from zrunva.payments.models import Payment
from zrunva.payments.services import payment_account_set
from zrunva.payments.tests.factories import IBAN, paid_month
from zrunva.registry import services as registry
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.tests import factories as people

pytestmark = pytest.mark.django_db

ALT_ID = {"personal_number": None, "alt_id_kind": "residence_permit", "alt_id_number": "P0001"}

# Every relation onto a person and a household in the project, as a merge finds them. A new
# one fails this test until someone has decided whether a merge moves it (the default) or
# keeps it on the merged record (`merges.keep_relation`, with the reason).
PERSON_RELATIONS = {
    "applications.Enrolment.person",
    "cases.JobSeekerReferral.person",
    "cases.OutreachVisit.person",
    "cases.SocialCase.person",
    "integration.AgencyDisclosure.person",
    "integration.ImportRow.person",
    "integration.MatchPair.left",
    "integration.MatchPair.right",
    "integration.Merge.merged_person",
    "integration.Merge.survivor_person",
    "integration.SourceLink.person",
    "payments.Payment.payee",
    "payments.Payment.person",
    "payments.PaymentAccount.holder",
    "payments.PaymentAccount.person",
    "payments.Recovery.payee",
    "programmes.Decision.person",
    "programmes.DecisionChange.person",
    "questionnaires.Response.person",
    "registry.IncomeSource.person",
    "registry.Membership.person",
    "registry.Person.merged_into",
    "registry.Representative.person",
    "registry.Representative.representative",
    # A generic relation: its rows about a person move too.
    "core.Revision.object_id",
}
HOUSEHOLD_RELATIONS = {
    "applications.Application.household",
    "applications.Enrolment.household",
    "assessment.Assessment.household",
    "cases.SocialCase.household",
    "integration.Merge.merged_household",
    "integration.Merge.survivor_household",
    "payments.Payment.household",
    "programmes.Decision.household",
    "programmes.DecisionChange.household",
    "questionnaires.Response.household",
    "registry.Household.merged_into",
    "registry.Membership.household",
    "core.Revision.object_id",
}
KEPT = {
    "integration.MatchPair.left",
    "integration.MatchPair.right",
    "registry.Person.merged_into",
    "registry.Household.merged_into",
    "integration.Merge.merged_person",
    "integration.Merge.survivor_person",
    "integration.Merge.merged_household",
    "integration.Merge.survivor_household",
    "programmes.Decision.person",
    "programmes.Decision.household",
    "programmes.DecisionChange.person",
    "programmes.DecisionChange.household",
}


def test_every_relation_is_known_and_either_moved_or_kept():
    person = {r.label for r in merges.relations(Person)}
    household = {r.label for r in merges.relations(Household)}
    assert person == PERSON_RELATIONS
    assert household == HOUSEHOLD_RELATIONS
    assert set(merges.KEPT) == KEPT
    moved = {r.label for r in merges.moved_relations(Person)}
    assert moved == PERSON_RELATIONS - KEPT
    # Third-party models (the audit trail) are never touched.
    assert not any(label.startswith(("auditlog.", "admin.")) for label in person | household)


def test_hidden_relations_are_found():
    # Payment.household is declared with related_name="+": no reverse accessor to find it by.
    assert "payments.Payment.household" in {r.label for r in merges.relations(Household)}


def _snapshot_pair():
    merged = factories.pensioner_with_everything()
    survivor = factories.without_household(**ALT_ID, first_name="ნინო")
    case(factories.officer(role=Role.SOCIAL_WORKER, office="sca-ge-im"), merged)
    return survivor, merged


def test_person_merge_moves_every_relation_and_undo_gives_every_one_back():
    survivor, merged = _snapshot_pair()
    number = merged.personal_number
    officer = factories.officer()
    before = factories.related_rows(survivor, merged)

    merge = merges.person_merge(
        actor=officer, survivor=survivor, merged=merged, reason="One woman registered twice"
    )

    after = factories.related_rows(survivor, merged)
    for relation in merges.moved_relations(Person):
        assert all(value == survivor.pk for _, value in after[relation.label]), relation.label
        moved = [pk for pk, value in before[relation.label] if value == merged.pk]
        assert [pk for pk, _ in after[relation.label]] == [pk for pk, _ in before[relation.label]]
        assert merge.counts.get(relation.label, 0) == len(moved)
    for label in ("programmes.Decision.person",):
        assert after[label] == before[label]  # kept: a run's history of the merged record
    assert {
        "registry.Membership.person",
        "registry.IncomeSource.person",
        "registry.Representative.person",
        "applications.Enrolment.person",
        "payments.PaymentAccount.person",
        "payments.Payment.person",
        "cases.SocialCase.person",
    } <= set(merge.counts)
    survivor.refresh_from_db()
    merged.refresh_from_db()
    assert survivor.personal_number == number and merged.personal_number is None
    assert merged.merged_into_id == survivor.pk
    assert survivor.municipality.code == "kutaisi"
    assert Enrolment.objects.get(person=survivor).person_id == survivor.pk
    assert MergeChange.objects.filter(merge=merge).count() == sum(merge.counts.values()) + 3
    assert factories.audited(survivor) and factories.audited(merge)

    merges.merge_undo(actor=officer, merge=merge, reason="Two people after all")

    assert factories.related_rows(survivor, merged) == before
    merge.refresh_from_db()
    assert merge.undone and merge.undone_by == officer and merge.undo_reason
    assert Merge.objects.filter(pk=merge.pk, undone_at__isnull=False).exists()


def test_household_merge_moves_members_and_history_and_undo_restores():
    survivor = people.household(head={"first_name": "ნინო"})
    merged = people.household("tkibuli")
    child = people.member(merged, "child")
    # The merged household's head has left it: one head is left for the two.
    Membership.objects.filter(household=merged, relationship="head").update(
        end_date=date.today(), end_reason="moved"
    )
    factories.assess(merged, 50_000)
    before = factories.related_rows(survivor, merged)
    officer = factories.officer()

    merge = merges.household_merge(
        actor=officer, survivor=survivor, merged=merged, reason="One family, two files"
    )

    merged.refresh_from_db()
    child.refresh_from_db()
    assert merged.merged_into_id == survivor.pk and not merged.is_active
    assert Membership.objects.get(person=child, end_date=None).household_id == survivor.pk
    assert child.municipality_id == survivor.municipality_id  # Kutaisi now, not Tkibuli
    assert merge.counts == {
        "assessment.Assessment.household": 1,
        "registry.Membership.household": 2,
    }

    merges.merge_undo(actor=officer, merge=merge, reason="Two families")

    assert factories.related_rows(survivor, merged) == before
    child.refresh_from_db()
    assert child.municipality.code == "tkibuli"


# -- Refusals, each with its message -------------------------------------------------------------


def _refusal(survivor, merged, actor=None) -> list[str]:
    with pytest.raises(ValidationError) as error:
        merges.person_merge(
            actor=actor or factories.officer(), survivor=survivor, merged=merged, reason="r"
        )
    assert not Merge.objects.exists()
    return error.value.messages


def _head(household) -> Person:
    return household.memberships.get(relationship="head").person


def test_two_personal_numbers_are_two_people():
    a = _head(people.household(head={"personal_number": "01001000011"}))
    b = _head(people.household(head={"personal_number": "01001000012"}))
    assert (
        f"These are two people: გიორგი ბერიძე (person №{a.pk}) has personal number 01001000011 "
        f"and გიორგი ბერიძე (person №{b.pk}) has 01001000012."
    ) in _refusal(a, b)


def test_current_members_of_two_households_are_refused_until_one_ends():
    a_home = people.household(head=ALT_ID)
    b_home = people.household()
    a, b = _head(a_home), _head(b_home)
    assert _refusal(a, b) == [
        f"Both are current members of a household: გიორგი ბერიძე (person №{a.pk}) of household "
        f"№{a_home.pk} and გიორგი ბერიძე (person №{b.pk}) of household №{b_home.pk}. An officer "
        "must end one of these memberships first (move the person or end the membership)."
    ]


def test_current_members_of_one_household():
    home = people.household()
    child = people.member(home, "child", **ALT_ID)
    assert _refusal(child, _head(home)) == [
        f"Both are current members of household №{home.pk}: end the membership of one of them "
        "first."
    ]


def _two_pensioners():
    """Two enrolled pensioners, the first with no personal number (a document) and no current
    household, so that only their enrolments and payments meet."""
    first = Enrolment.objects.get(application=enrolled_application())
    second = Enrolment.objects.get(application=enrolled_application())
    Person.objects.filter(pk=first.person_id).update(**ALT_ID)
    Membership.objects.filter(person=first.person_id).update(
        end_date=date.today(), end_reason="moved"
    )
    return first, second


def test_two_open_enrolments_in_one_programme():
    first, second = _two_pensioners()
    survivor, merged = first.person, second.person
    assert _refusal(survivor, merged) == [
        f"Both have an open enrolment in {first.programme}: enrolment №{first.pk} of "
        f"გიორგი ბერიძე (person №{survivor.pk}) and enrolment №{second.pk} of "
        f"გიორგი ბერიძე (person №{merged.pk}). An officer must end one of them first."
    ]


def test_two_payments_for_one_programme_and_month():
    first, second = _two_pensioners()
    accounts = [
        payment_account_set(
            actor=people.system_actor(),
            person=enrolment.person,
            method="bank",
            iban=IBAN,
            valid_from=enrolment.starts,
        )
        for enrolment in (first, second)
    ]
    paid_month(factories.officer(), factories.officer(), first.starts)
    # An officer ended one enrolment: the payments already made stay.
    Enrolment.objects.filter(pk=first.pk).update(ends=first.starts)
    a = Payment.objects.get(person=first.person_id)
    b = Payment.objects.get(person=second.person_id)
    assert _refusal(first.person, second.person) == [
        f"Both have a payment for {first.programme} for {first.starts:%m.%Y}: payment №{a.pk} of "
        f"გიორგი ბერიძე (person №{first.person_id}) and payment №{b.pk} of გიორგი ბერიძე "
        f"(person №{second.person_id}). A month of a programme is paid once: an officer must "
        "settle one of them first.",
        f"Both have a payment account in use: account №{accounts[0].pk} of გიორგი ბერიძე "
        f"(person №{first.person_id}) and account №{accounts[1].pk} of გიორგი ბერიძე "
        f"(person №{second.person_id}). Close one of them first.",
    ]


def test_one_representing_the_other():
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    link = registry.representative_add(
        actor=people.system_actor(),
        person=merged,
        data={
            "representative": survivor,
            "kind": "guardian",
            "basis": "Court decision 2-1/2024",
            "valid_from": date(2024, 1, 1),
            "valid_until": None,
        },
    )
    assert _refusal(survivor, merged) == [
        f"გიორგი ბერიძე (person №{survivor.pk}) is recorded as a representative of "
        f"გიორგი ბერიძე (person №{merged.pk}) (№{link.pk}): one person cannot represent "
        "themself. If they are one person, end and correct that record first."
    ]


def test_households_with_two_heads():
    a, b = people.household(), people.household()
    with pytest.raises(ValidationError) as error:
        merges.household_merge(actor=factories.officer(), survivor=a, merged=b, reason="r")
    assert error.value.messages == [
        f"Both households have a head: გიორგი ბერიძე of household №{a.pk} and გიორგი ბერიძე of "
        f"household №{b.pk}. A household has one head: move one of them into the other "
        "household as another member, or change the head, first."
    ]


def test_itself_already_merged_and_no_reason():
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    officer = factories.officer()
    assert _refusal(merged, merged) == ["A record cannot be merged into itself."]
    with pytest.raises(ValidationError) as error:
        merges.person_merge(actor=officer, survivor=survivor, merged=merged, reason="  ")
    assert error.value.message_dict == {"reason": ["Say why."]}
    merges.person_merge(actor=officer, survivor=survivor, merged=merged, reason="twice")
    merged.refresh_from_db()
    third = factories.without_household(**{**ALT_ID, "alt_id_number": "P0002"})
    with pytest.raises(ValidationError) as error:
        merges.person_merge(actor=officer, survivor=third, merged=merged, reason="again")
    assert error.value.messages == [
        f"გიორგი ბერიძე (person №{merged.pk}) was already merged into №{survivor.pk}."
    ]


# -- Undo refusals -------------------------------------------------------------------------------


def _merged_pair():
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    officer = factories.officer()
    merge = merges.person_merge(actor=officer, survivor=survivor, merged=merged, reason="twice")
    survivor.refresh_from_db()
    return merge, survivor, merged, officer


def test_undo_twice_is_refused():
    merge, _, _, officer = _merged_pair()
    merges.merge_undo(actor=officer, merge=merge, reason="wrong")
    with pytest.raises(ValidationError) as error:
        merges.merge_undo(actor=officer, merge=merge, reason="again")
    assert error.value.messages == ["This merge was undone already."]
    with pytest.raises(ValidationError) as error:
        merges.merge_undo(actor=officer, merge=merge, reason="")
    assert error.value.message_dict == {"undo_reason": ["Say why."]}


def test_undo_after_the_survivor_was_merged_elsewhere_is_refused():
    merge, survivor, _, officer = _merged_pair()
    third = factories.without_household(**{**ALT_ID, "alt_id_number": "P0003"})
    later = merges.person_merge(actor=officer, survivor=third, merged=survivor, reason="thrice")
    with pytest.raises(ValidationError) as error:
        merges.merge_undo(actor=officer, merge=merge, reason="wrong")
    assert error.value.messages == [
        f"გიორგი ბერიძე (person №{survivor.pk}) has since been merged into №{third.pk} "
        f"(merge №{later.pk}): undo that merge first."
    ]
    merges.merge_undo(actor=officer, merge=later, reason="wrong")
    merges.merge_undo(actor=officer, merge=merge, reason="wrong")  # now it can be


def test_undo_after_a_field_changed_is_refused():
    merge, survivor, merged, officer = _merged_pair()
    number = survivor.personal_number
    Person.objects.filter(pk=survivor.pk).update(personal_number="01001000077")
    with pytest.raises(ValidationError) as error:
        merges.merge_undo(actor=officer, merge=merge, reason="wrong")
    assert error.value.messages == [
        "This merge cannot be undone exactly:",
        f"personal number of №{survivor.pk} has changed since the merge (it is now "
        f"“01001000077”, the merge set “{number}”).",
    ]


def test_undo_after_a_row_moved_on_is_refused():
    merge, survivor, merged, officer = _merged_pair()
    membership = Membership.objects.get(person=survivor, end_date=None)
    other = factories.without_household(**{**ALT_ID, "alt_id_number": "P0004"})
    Membership.objects.filter(pk=membership.pk).update(person=other)
    with pytest.raises(ValidationError) as error:
        merges.merge_undo(actor=officer, merge=merge, reason="wrong")
    assert error.value.messages == [
        "This merge cannot be undone exactly:",
        f"household membership №{membership.pk} no longer belongs to გიორგი ბერიძე "
        f"(person №{survivor.pk}) (now №{other.pk}).",
    ]


# -- Who may merge -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.MUNICIPAL_OFFICER, Role.ANALYST])
def test_other_roles_may_not_merge(role, make_user):
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    actor = make_user(role, municipality="kutaisi" if role == Role.MUNICIPAL_OFFICER else None)
    with pytest.raises(PermissionDenied, match="Your role does not allow this action."):
        merges.person_merge(actor=actor, survivor=survivor, merged=merged, reason="r")
    assert LogEntry.objects.filter(actor=actor, additional_data__attempt=True).exists()
    assert not Merge.objects.exists()


def test_records_outside_the_area_are_refused_and_audited(make_user):
    survivor = _head(people.household("zugdidi", head=ALT_ID))
    Membership.objects.filter(person=survivor).update(end_date=date.today(), end_reason="moved")
    merged = _head(people.household("kutaisi"))
    zugdidi = make_user(Role.SSA_OFFICER, office="ssa-zugdidi")
    with pytest.raises(PermissionDenied, match="This municipality is outside your area of work."):
        merges.person_merge(actor=zugdidi, survivor=survivor, merged=merged, reason="r")
    attempt = LogEntry.objects.get(actor=zugdidi, additional_data__attempt=True)
    assert attempt.object_pk == str(merged.pk)
    assert not Merge.objects.exists()


def test_undo_needs_the_permission_and_the_area(make_user):
    merge, *_ = _merged_pair()
    with pytest.raises(PermissionDenied):
        merges.merge_undo(actor=make_user(Role.SOCIAL_WORKER), merge=merge, reason="r")
    with pytest.raises(PermissionDenied):
        merges.merge_undo(
            actor=make_user(Role.SSA_OFFICER, office="ssa-zugdidi"), merge=merge, reason="r"
        )
    assert not Merge.objects.get(pk=merge.pk).undone


# -- Two merges at once (PostgreSQL) -------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_merges_of_one_pair_at_once_make_one():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    officers = [factories.officer(), factories.officer()]
    barrier = threading.Barrier(2)
    outcomes = {}

    def merge(actor, a, b):
        try:
            barrier.wait()
            with translation.override("en"):  # a thread starts in the default language
                merges.person_merge(actor=actor, survivor=a, merged=b, reason="at once")
            outcomes[actor.pk] = "done"
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            outcomes[actor.pk] = error
        finally:
            connection.close()

    # One merges the pair one way, the other the other way: the locks are taken in id order.
    threads = [
        threading.Thread(target=merge, args=(officers[0], survivor, merged)),
        threading.Thread(target=merge, args=(officers[1], merged, survivor)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert list(outcomes.values()).count("done") == 1, outcomes
    assert Merge.objects.count() == 1
    refused = next(v for v in outcomes.values() if v != "done")
    assert isinstance(refused, ValidationError) and "merged into №" in str(refused)


# -- Pages ---------------------------------------------------------------------------------------


def test_merge_from_the_person_page_preview_confirm_and_undo(login_as):
    from django.urls import reverse

    client = login_as(Role.SSA_OFFICER)
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    panel = client.get(reverse("integration:person_merges", args=[survivor.pk]))
    start = reverse("integration:merge_start", args=["person", survivor.pk])
    assert start in panel.content.decode()

    preview = client.get(start, {"other": merged.personal_number, "keep": "this"})
    page = preview.content.decode()
    assert preview.status_code == 200
    assert (
        "registry.Membership.person" in page and f"Merge №{merged.pk} into №{survivor.pk}" in page
    )

    refused = client.post(start, {"other": merged.personal_number, "keep": "this", "reason": ""})
    assert refused.status_code == 200 and not Merge.objects.exists()

    done = client.post(
        start, {"other": merged.personal_number, "keep": "this", "reason": "Registered twice"}
    )
    merge = Merge.objects.get()
    assert done.status_code == 302 and done.url == reverse(
        "integration:merge_detail", args=[merge.pk]
    )
    detail = client.get(done.url).content.decode()
    assert "Registered twice" in detail and "registry.Membership" in detail
    assert "Merges" in client.get(reverse("integration:merge_list")).content.decode()

    undone = client.post(reverse("integration:merge_undo", args=[merge.pk]), {"reason": "Mistake"})
    assert undone.status_code == 302
    merge.refresh_from_db()
    assert merge.undone and merge.undo_reason == "Mistake"
    again = client.post(reverse("integration:merge_undo", args=[merge.pk]), {"reason": "Again"})
    assert again.status_code == 400 and "This merge was undone already." in again.content.decode()


def test_the_preview_lists_the_conflicts_and_offers_no_confirmation(login_as):
    from django.urls import reverse

    client = login_as(Role.SSA_OFFICER)
    a = _head(people.household(head=ALT_ID))
    b = _head(people.household())
    page = client.get(
        reverse("integration:merge_start", args=["person", a.pk]), {"other": b.pk, "keep": "this"}
    ).content.decode()
    assert "These records cannot be merged yet" in page and "Both are current members" in page
    assert 'name="reason"' not in page


def test_merge_pages_are_refused_to_other_roles_and_areas(login_as):
    from django.urls import reverse

    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    merge = merges.person_merge(
        actor=factories.officer(), survivor=survivor, merged=merged, reason="twice"
    )
    worker = login_as(Role.SOCIAL_WORKER, office="sca-ge-im")
    for url in (
        reverse("integration:merge_list"),
        reverse("integration:merge_detail", args=[merge.pk]),
        reverse("integration:merge_start", args=["person", survivor.pk]),
    ):
        assert worker.get(url).status_code == 403
    zugdidi = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert zugdidi.get(reverse("integration:merge_detail", args=[merge.pk])).status_code == 404
    assert zugdidi.get(reverse("integration:merge_list")).context["page"].items == []
    attempt = LogEntry.objects.filter(actor=zugdidi.user, additional_data__attempt=True).get()
    assert attempt.object_pk == str(merge.pk)
    assert (
        zugdidi.post(
            reverse("integration:merge_undo", args=[merge.pk]), {"reason": "r"}
        ).status_code
        == 404
    )
    assert not Merge.objects.get(pk=merge.pk).undone


def test_merge_list_queries_do_not_grow_with_merges(login_as, django_assert_max_num_queries):
    from django.urls import reverse

    client = login_as(Role.SSA_OFFICER)
    for n in range(4):
        survivor = factories.without_household(**{**ALT_ID, "alt_id_number": f"L{n}"})
        merges.person_merge(
            actor=client.user, survivor=survivor, merged=_head(people.household()), reason="x"
        )
    with django_assert_max_num_queries(12):
        assert client.get(reverse("integration:merge_list")).status_code == 200


# -- API -----------------------------------------------------------------------------------------


def test_api_merge_list_detail_and_undo(login_as):
    client = login_as(Role.SSA_OFFICER)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages asserted are the English ones
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    body = {"kind": "person", "survivor_id": survivor.pk, "merged_id": merged.pk, "reason": "twice"}
    made = client.post("/api/v1/integration/merges", body, content_type="application/json")
    assert made.status_code == 201, made.content
    data = made.json()
    assert data["survivor_id"] == survivor.pk and data["merged_id"] == merged.pk
    assert data["counts"] == {"registry.Membership.person": 1}
    assert {"model": "registry.Person", "field": "merged_into_id"}.items() <= data["changes"][
        1
    ].items()
    listed = client.get("/api/v1/integration/merges?kind=person").json()
    assert [m["id"] for m in listed["items"]] == [data["id"]]
    assert client.get(f"/api/v1/integration/merges/{data['id']}").json()["id"] == data["id"]

    again = client.post(
        "/api/v1/integration/merges",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert again.status_code == 400
    assert again.json()["detail"][0]["msg"].endswith(f"was already merged into №{survivor.pk}.")

    undo = f"/api/v1/integration/merges/{data['id']}/undo"
    done = client.post(undo, {"reason": "wrong"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["undone_by_id"] == client.user.pk
    refused = client.post(undo, {"reason": "again"}, content_type="application/json")
    assert refused.json() == {
        "detail": [{"loc": ["body"], "msg": "This merge was undone already."}]
    }
    empty = client.post(undo, {"reason": ""}, content_type="application/json")
    assert empty.status_code == 422


def test_api_denials(login_as):
    survivor = factories.without_household(**ALT_ID)
    merged = _head(people.household())
    body = {"kind": "person", "survivor_id": survivor.pk, "merged_id": merged.pk, "reason": "x"}
    worker = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    denied = worker.post("/api/v1/integration/merges", body, content_type="application/json")
    assert denied.status_code == 403
    with translation.override("ka"):  # the API answers in the site's language
        assert denied.json() == {"detail": gettext("Your role does not allow this action.")}
    assert worker.get("/api/v1/integration/merges").status_code == 403
    zugdidi = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    outside = zugdidi.post("/api/v1/integration/merges", body, content_type="application/json")
    assert outside.status_code == 404
    assert not Merge.objects.exists()
