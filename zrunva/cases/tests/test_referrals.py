"""Referrals to services, both ways: the worker refers (refused to a service for other people,
to a full service only to its waiting list), the provider's staff see only their
organisation's referrals and accept, decline with a reason or complete with feedback, and the
case's log shows each answer."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zrunva.accounts.choices import Role
from zrunva.cases import selectors, services
from zrunva.cases.choices import Category, ReferralStatus
from zrunva.cases.models import Referral
from zrunva.cases.tests import factories
from zrunva.services.models import TargetGroup
from zrunva.services.tests import factories as catalogue

IMERETI = "sca-ge-im"


@pytest.fixture
def setting(make_user):
    ours, theirs = catalogue.organisation("Open Hands"), catalogue.organisation("Other CSO")
    provider = catalogue.provider(organisation=ours)
    other = catalogue.provider(organisation=theirs, identification_code="204567892")
    worker = make_user(Role.SOCIAL_WORKER, office=IMERETI)
    return {
        "worker": worker,
        "case": factories.case(worker),  # an older person in Kutaisi
        "day_centre": catalogue.service(provider, capacity=10, admitted=3),
        "full": catalogue.service(provider, name_en="Full centre", capacity=5, admitted=5),
        "elsewhere": catalogue.service(other, name_en="Their centre"),
        "staff": make_user(Role.SERVICE_PROVIDER, organisation=ours),
        "other_staff": make_user(Role.SERVICE_PROVIDER, organisation=theirs),
    }


def test_a_referral_goes_both_ways(setting):
    referral = services.referral_send(
        actor=setting["worker"],
        case=setting["case"],
        service=setting["day_centre"],
        note="Lives alone; needs lunch and company.",
    )
    assert list(selectors.referral_inbox(actor=setting["staff"])) == [referral]
    assert not selectors.referral_inbox(actor=setting["other_staff"]).exists()
    with pytest.raises(Referral.DoesNotExist):
        services.referral_answer(actor=setting["other_staff"], referral=referral, answer="accept")
    with pytest.raises(ValidationError, match="cannot be so answered"):
        services.referral_answer(
            actor=setting["staff"], referral=referral, answer="complete", text="x"
        )
    services.referral_answer(actor=setting["staff"], referral=referral, answer="accept")
    with pytest.raises(ValidationError):
        services.referral_answer(actor=setting["staff"], referral=referral, answer="complete")
    done = services.referral_answer(
        actor=setting["staff"],
        referral=referral,
        answer="complete",
        text="Comes three days a week.",
    )
    assert done.status == ReferralStatus.COMPLETED
    log = list(setting["case"].events.values_list("kind", flat=True))
    assert log[-3:] == ["referral", "answered", "answered"]


def test_a_decline_needs_a_reason(setting):
    referral = services.referral_send(
        actor=setting["worker"], case=setting["case"], service=setting["day_centre"], note="n"
    )
    with pytest.raises(ValidationError, match="Say why"):
        services.referral_answer(actor=setting["staff"], referral=referral, answer="decline")
    services.referral_answer(
        actor=setting["staff"],
        referral=referral,
        answer="decline",
        text="We take only Kutaisi centre residents.",
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED


def test_a_referral_is_refused_to_a_service_for_others_or_full(setting):
    child = factories.case(setting["worker"], category=Category.STREET)
    with pytest.raises(ValidationError, match="not for the people"):
        services.referral_send(
            actor=setting["worker"], case=child, service=setting["day_centre"], note="n"
        )
    with pytest.raises(ValidationError, match="no place now"):
        services.referral_send(
            actor=setting["worker"], case=setting["case"], service=setting["full"], note="n"
        )
    waiting = services.referral_send(
        actor=setting["worker"],
        case=setting["case"],
        service=setting["full"],
        note="n",
        waiting_list=True,
    )
    assert waiting.waiting_list
    with pytest.raises(ValidationError, match="already"):
        services.referral_send(
            actor=setting["worker"],
            case=setting["case"],
            service=setting["full"],
            note="again",
            waiting_list=True,
        )
    setting["day_centre"].target_groups.set(TargetGroup.objects.filter(code="street"))
    assert services.referral_send(
        actor=setting["worker"], case=child, service=setting["day_centre"], note="n"
    )


def test_only_the_workers_of_the_case_refer_and_only_providers_answer(setting, make_user):
    colleague = make_user(Role.SOCIAL_WORKER, office=IMERETI)
    with pytest.raises(PermissionDenied):
        services.referral_send(
            actor=colleague, case=setting["case"], service=setting["day_centre"], note="n"
        )
    referral = services.referral_send(
        actor=setting["worker"], case=setting["case"], service=setting["day_centre"], note="n"
    )
    with pytest.raises(PermissionDenied):
        services.referral_answer(actor=setting["worker"], referral=referral, answer="accept")
    with pytest.raises(PermissionDenied):
        selectors.referral_inbox(actor=setting["worker"])


def test_the_provider_pages(setting, client):
    referral = services.referral_send(
        actor=setting["worker"], case=setting["case"], service=setting["day_centre"], note="Lunch"
    )
    client.force_login(setting["staff"])
    assert setting["case"].full_name in client.get("/en/cases/referrals/").content.decode()
    page = client.get(f"/en/cases/referrals/{referral.pk}/").content.decode()
    assert "Lunch" in page and setting["case"].personal_number not in page
    client.post(f"/en/cases/referrals/{referral.pk}/", {"answer": "accept"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    client.force_login(setting["other_staff"])
    assert client.get(f"/en/cases/referrals/{referral.pk}/").status_code == 404
