"""Synthetic catalogue entries: three providers (the demo provider's civil-society
organisation, a municipal one in Kutaisi, a state one) and their services in several
municipalities, entered through the same forms and approvals as on the screens. One change
waits for approval, so that the approval step can be seen."""

import random
from datetime import timedelta

from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from zrunva.accounts import permissions
from zrunva.accounts.models import Organisation, User
from zrunva.core.revisions import pending, revision_approve, revision_propose
from zrunva.geo.models import Municipality
from zrunva.services import services as writes
from zrunva.services.forms import ProviderForm, ServiceForm
from zrunva.services.models import Assessment, Provider, Service, ServiceType, TargetGroup
from zrunva.services.selectors import published_versions

PROVIDERS = [
    # kind, Georgian name, English name, identification code, municipality, approver
    ("cso", "ზრუნვის ქსელი", "Care Network", "404000101", "tbilisi", "ssa"),
    ("municipal", "ქუთაისის სოციალური სამსახური", "Kutaisi Social Service", "404000102", "kutaisi",
     "municipal_kutaisi"),
    ("state", "სახელმწიფო ზრუნვის სააგენტო", "State Care Agency", "404000103", "tbilisi", "admin"),
]  # fmt: skip

SERVICES = [
    # provider index, type, target groups, Georgian name, English name, municipality
    (0, "day_care", ["elderly"], "დღის ცენტრი ხანდაზმულებისთვის", "Day centre for the elderly",
     "tbilisi"),
    (0, "day_care", ["children_intellectual", "children_physical"],
     "დღის ცენტრი შშმ ბავშვებისთვის", "Day centre for children with disabilities", "kutaisi"),
    (0, "home_care", ["elderly", "adults_physical"], "შინ მოვლა", "Home care", "zugdidi"),
    (0, "personal_assistant", ["adults_physical", "adults_sensory"], "პერსონალური ასისტენტი",
     "Personal assistant", "batumi"),
    (0, "psychological_support", ["violence_survivors", "families"], "ფსიქოლოგიური დახმარება",
     "Psychological support", "gori"),
    (0, "legal_aid", ["idps", "families"], "უფასო იურიდიული კონსულტაცია", "Free legal advice",
     "telavi"),
    (1, "early_intervention", ["children_physical", "children_sensory"], "ადრეული ჩარევა",
     "Early intervention", "kutaisi"),
    (1, "soup_kitchen", ["street", "elderly"], "უფასო სასადილო", "Soup kitchen", "kutaisi"),
    (1, "transport", ["adults_physical", "children_physical"], "ადაპტირებული ტრანსპორტი",
     "Accessible transport", "kutaisi"),
    (2, "community_living", ["adults_intellectual", "adults_psychosocial"],
     "მცირე საოჯახო ტიპის სახლი", "Small group home", "rustavi"),
    (2, "rehabilitation", ["children_physical", "adults_physical"], "რეაბილიტაციის ცენტრი",
     "Rehabilitation centre", "tbilisi"),
    (2, "respite_care", ["families", "children_intellectual"], "დროებითი შესვენების სერვისი",
     "Respite care", "batumi"),
]  # fmt: skip


def _data(form_fields: dict) -> MultiValueDict:
    return MultiValueDict(
        {k: v if isinstance(v, list) else [str(v)] for k, v in form_fields.items()}
    )


def demo_catalogue(*, seed: int) -> int:
    """Enter the demo catalogue; return how many services it has. Does nothing twice."""
    if Provider.objects.exists():
        return Service.objects.count()
    rng = random.Random(seed)
    users = {
        u.username: u
        for u in User.objects.filter(username__in=["admin", "provider", "ssa", "municipal_kutaisi"])
    }
    places = {m.code: m for m in Municipality.objects.all()}
    demo_org = users["provider"].organisation
    providers = []
    for n, (kind, ka, en, code, place, approver) in enumerate(PROVIDERS):
        organisation = (
            demo_org
            if n == 0
            else Organisation.objects.create(
                name_ka=f"{ka} (სადემონსტრაციო)", name_en=f"{en} (synthetic)"
            )
        )
        form = ProviderForm(
            data=_data(
                {
                    "kind": kind, "name_ka": ka, "name_en": en, "identification_code": code,
                    "municipality": places[place].pk, "address_ka": f"{places[place].name_ka}, ცენტრი",
                    "address_en": f"{places[place].name_en}, centre", "phone": "032 200 00 00",
                    "email": f"info{n}@example.ge", "organisation": organisation.pk,
                }
            )
        )  # fmt: skip
        assert form.is_valid(), form.errors
        revision = revision_propose(actor=users["admin"], form=form, approve=False)
        revision_approve(actor=users[approver], revision=revision, form_class=ProviderForm)
        providers.append((Provider.objects.get(pk=revision.object_id), approver))
    types = {t.code: t.pk for t in ServiceType.objects.all()}
    groups = {g.code: g.pk for g in TargetGroup.objects.all()}
    for n, (index, kind, for_whom, ka, en, place) in enumerate(SERVICES):
        provider, approver = providers[index]
        capacity = rng.choice([10, 15, 20, 30, 40])
        fields = {
            "provider": provider.pk, "service_type": types[kind],
            "target_groups": [str(groups[g]) for g in for_whom], "name_ka": ka, "name_en": en,
            "description_ka": f"{ka}: მომსახურება სადემონსტრაციო მონაცემებით.",
            "description_en": f"{en}: a service in the synthetic demo data.",
            "eligibility_ka": "მიმართვის ან განცხადების საფუძველზე.",
            "eligibility_en": "On referral or on application.",
            "how_to_apply_ka": "დარეკეთ ან მოდით მისამართზე სამუშაო საათებში.",
            "how_to_apply_en": "Call, or come to the address during opening hours.",
            "cost": rng.choice(["free", "free", "free", "co_payment", "fee"]),
            "capacity": capacity, "admitted": rng.randint(capacity // 2, capacity),
            "waiting": rng.choice([0, 0, 2, 5]),
            "opening_hours": "Mon-Fri 09:00-18:00" + ("\nSat 10:00-14:00" if n % 3 == 0 else ""),
            "languages": ["ka"] + (["en"] if n % 2 else []) + (["sgn"] if n % 4 == 0 else []),
            "municipality": places[place].pk,
            "address_ka": f"{places[place].name_ka}, ქუჩა {n + 1}",
            "address_en": f"{places[place].name_en}, street {n + 1}", "phone": "032 200 00 01",
        }  # fmt: skip
        for feature in ("step_free", "accessible_toilet", "sign_language", "easy_read"):
            if rng.random() < 0.6:
                fields[feature] = "on"
        form = ServiceForm(data=_data(fields))
        assert form.is_valid(), form.errors
        if index == 0:  # the demo provider's own: proposed by its staff, approved by the SSA
            revision = revision_propose(actor=users["provider"], form=form, approve=False)
            revision_approve(actor=users[approver], revision=revision, form_class=ServiceForm)
        else:  # entered by those who approve them, so public at once
            revision_propose(actor=users[approver], form=form, approve=True)
    # One change the demo provider proposes, waiting for a national officer.
    service = Service.objects.filter(provider=providers[0][0]).order_by("pk").first()
    form = ServiceForm(
        data=_data({**_current(service), "waiting": service.waiting + 3}), instance=service
    )
    assert form.is_valid(), form.errors
    revision_propose(actor=users["provider"], form=form, approve=False)
    assert pending(service) is not None
    return Service.objects.count()


def _current(service: Service) -> dict:
    """A service's fields as its form would submit them."""
    form = ServiceForm(instance=service)
    out = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if value in (None, "", False):
            continue
        if value is True:
            out[name] = "on"
        elif isinstance(value, list | tuple):
            out[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            out[name] = field.prepare_value(value) if name == "opening_hours" else value
    return out


# Services the demo monitor assesses twice (English names, in its municipalities), and the
# improvement actions its first visit asked for.
ASSESSED = [
    "Day centre for children with disabilities",
    "Early intervention",
    "Day centre for the elderly",
]
EVIDENCE = [
    "ვნახეთ სამი ინდივიდუალური გეგმა; ორი ადამიანთან ერთად შედგა.",
    "ვესაუბრეთ ხუთ ბენეფიციარს და ორ მშობელს.",
    "შესასვლელს აქვს პანდუსი; საპირფარეშო ვიწროა ეტლისთვის.",
    "საჩივრების ჟურნალი წარმოებს, პასუხები დროულადაა გაცემული.",
]
ACTIONS = [
    ("საპირფარეშოს გადაკეთება ეტლით მოსარგებლეთათვის.", "სერვისის დირექტორი", 60, True),
    ("სერვისის წესების მარტივად საკითხავი ვერსიის მომზადება.", "სოციალური მუშაკი", 30, False),
]  # fmt: skip


def demo_assessments(*, seed: int) -> int:
    """Two submitted assessments of a few services by the demo monitor (`cso_monitor`), months
    apart, the second better; improvement actions, one done and one overdue; and one draft.
    Entered through the same service functions as the pages. Does nothing twice."""
    if Assessment.objects.exists():
        return Assessment.objects.count()
    monitor = User.objects.filter(username="cso_monitor").first()
    version = published_versions().order_by("pk").first()
    if monitor is None or version is None:
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    first_visit = max(version.valid_from, today - timedelta(days=200))
    second_visit = max(first_visit, today - timedelta(days=20))
    criteria = [c for area in version.areas.all() for c in area.criteria.all()]
    services = [
        s
        for s in Service.objects.filter(name_en__in=ASSESSED, published=True)
        if permissions.assesses_service(monitor, s)
    ]
    for n, service in enumerate(services):
        for visit, better in ((first_visit, 0), (second_visit, 1)):
            assessment = writes.assessment_start(
                actor=monitor, service=service, version=version, visit_date=visit
            )
            scores = {
                c.pk: (
                    min(c.max_score, rng.randint(0, 2) + better),
                    EVIDENCE[rng.randrange(len(EVIDENCE))],
                )
                for c in criteria
            }
            writes.assessment_score(
                actor=monitor, assessment=assessment, visit_date=visit, scores=scores
            )
            writes.assessment_submit(actor=monitor, assessment=assessment)
            if better:
                continue
            for text, responsible, days, done in ACTIONS:
                action = writes.improvement_action_add(
                    actor=monitor,
                    assessment=assessment,
                    text=text,
                    responsible=responsible,
                    due_date=visit + timedelta(days=days),
                )
                if done and n != 1:
                    writes.improvement_action_done(
                        actor=monitor,
                        action=action,
                        done_on=min(today, visit + timedelta(days=days - 5)),
                        note="სამუშაოები დასრულებულია, შემოწმდა ადგილზე.",
                    )
    if services:  # a draft, started and not yet scored
        writes.assessment_start(
            actor=monitor, service=services[0], version=version, visit_date=today
        )
    return Assessment.objects.count()
