"""Demo social work: cases of the Imereti office for the demo social worker and supervisor —
open at each stage, one sensitive (domestic violence), one with a care plan and a referral to a
Kutaisi service its provider accepted, one with its first contact overdue — built through the
cases' own services so every rule and event is as in use. Synthetic, reproducible by seed."""

import datetime
import random

from django.contrib.auth import get_user_model
from django.utils import timezone

from zrunva.cases import services
from zrunva.cases.choices import Category, EntryKind, Risk, Source, Specialisation, Stage
from zrunva.cases.models import SocialCase
from zrunva.registry.models import Person
from zrunva.services.models import Service

INTAKES = {
    Category.ELDERLY: "A neighbour called: an older person alone, not seen outside for days.",
    Category.DISABILITY: "The family asks for help: their son uses a wheelchair and cannot leave the flat.",
    Category.CHILD_PROTECTION: "The school reports a child often absent and hungry.",
    Category.DOMESTIC_VIOLENCE: "The police report a call about violence at home; a woman and two children.",
}


def demo_cases(*, seed: int) -> int:
    if SocialCase.objects.exists():
        return 0
    users = get_user_model().objects
    worker, supervisor = users.get(username="social_worker"), users.get(username="supervisor")
    rng = random.Random(seed)
    area = worker.office.municipalities.values_list("pk", flat=True)
    people = list(
        Person.objects.filter(
            memberships__end_date__isnull=True,
            memberships__household__municipality_id__in=area,
        ).order_by("pk")[:200]
    )
    rng.shuffle(people)
    today = timezone.localdate()
    made = 0
    plan = [
        (Category.ELDERLY, Specialisation.ELDERLY, Risk.MEDIUM, Stage.IMPLEMENTATION),
        (Category.DISABILITY, Specialisation.DISABILITY, Risk.LOW, Stage.CARE_PLAN),
        (Category.CHILD_PROTECTION, Specialisation.CHILDREN, Risk.HIGH, Stage.ASSESSMENT),
        (Category.DOMESTIC_VIOLENCE, Specialisation.VIOLENCE, Risk.HIGH, Stage.ASSESSMENT),
        (Category.ELDERLY, Specialisation.ELDERLY, Risk.HIGH, Stage.INTAKE),
    ]
    # A service whose provider has a demo user, so that `provider` finds the referral.
    staffed = users.filter(role="service_provider").values("organisation_id")
    elderly = Service.objects.filter(published=True, target_groups__code="elderly")
    service = (
        elderly.filter(provider__organisation_id__in=staffed, municipality_id__in=area)
        .order_by("pk")
        .first()
        or elderly.filter(provider__organisation_id__in=staffed).order_by("pk").first()
        or elderly.filter(municipality_id__in=area).order_by("pk").first()
    )
    for (category, specialisation, risk, stage), person in zip(plan, people, strict=False):
        case = services.case_open(
            actor=worker,
            person=person,
            category=category,
            specialisation=specialisation,
            source=rng.choice([Source.HOTLINE, Source.POLICE, Source.SCHOOL, Source.SELF]),
            risk=risk,
            intake=INTAKES[category],
        )
        made += 1
        if stage == Stage.INTAKE:
            # Opened two days ago and not yet contacted: overdue on the worker's page.
            SocialCase.objects.filter(pk=case.pk).update(
                opened_at=timezone.now() - datetime.timedelta(days=2),
                first_contact_due=timezone.now() - datetime.timedelta(days=1),
            )
            continue
        services.entry_add(
            actor=worker,
            case=case,
            kind=EntryKind.HOME_VISIT,
            happened_on=today,
            note="First visit.",
        )
        services.case_move(actor=worker, case=case, to=Stage.ASSESSMENT)
        if stage == Stage.ASSESSMENT:
            continue
        services.case_move(actor=worker, case=case, to=Stage.CARE_PLAN)
        services.plan_write(
            actor=worker,
            case=case,
            goals="Daily meals, company during the week, a safe home.",
            review_on=today + datetime.timedelta(days=90),
            actions=[
                {
                    "text": "Lunch at the day centre",
                    "responsible": "Day centre",
                    "due": today + datetime.timedelta(days=14),
                },
                {
                    "text": "Home adaptation assessed",
                    "responsible": "Social worker",
                    "due": today + datetime.timedelta(days=30),
                },
            ],
        )
        if stage == Stage.CARE_PLAN:
            continue
        services.case_move(actor=worker, case=case, to=Stage.IMPLEMENTATION)
        if service is not None:
            referral = services.referral_send(
                actor=worker,
                case=case,
                service=service,
                note="Lives alone; needs lunch and company.",
                waiting_list=not service.has_places and service.capacity is not None,
            )
            staff = users.filter(organisation=service.provider.organisation_id).first()
            if staff is not None:
                services.referral_answer(actor=staff, referral=referral, answer="accept")
    services.session_record(
        actor=supervisor,
        kind="individual",
        held_on=today,
        workers=[worker],
        cases=list(SocialCase.objects.filter(category=Category.DOMESTIC_VIOLENCE)),
        agreed="Safety plan with the family this week; a joint visit with the police.",
    )
    return made
