"""Catalogue test data: providers and services as their forms would submit them."""

from decimal import Decimal

from zrunva.accounts.models import Organisation
from zrunva.geo.models import Municipality
from zrunva.services.models import Provider, Service, ServiceType, TargetGroup


def organisation(name: str = "Care CSO") -> Organisation:
    return Organisation.objects.create(name_ka=f"{name} (ka)", name_en=name)


def provider_data(**changes) -> dict:
    return {
        "kind": "cso",
        "name_ka": "ხელგაშლილი",
        "name_en": "Open Hands",
        "identification_code": "204567891",
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "address_ka": "ქუთაისი, რუსთაველის 10",
        "address_en": "Kutaisi, 10 Rustaveli St",
        "phone": "431 24 00 00",
        "email": "info@example.ge",
        "website": "",
        "organisation": "",
        **changes,
    }


def provider(*, published: bool = True, **fields) -> Provider:
    data = provider_data(**fields)
    data["municipality"] = Municipality.objects.get(pk=data["municipality"])
    data["organisation"] = data["organisation"] or None
    made = Provider(**data)
    made.published = published
    made.save()
    return made


def service_data(provider: Provider, **changes) -> dict:
    return {
        "provider": provider.pk,
        "service_type": ServiceType.objects.get(code="day_care").pk,
        "name_ka": "დღის ცენტრი ხანდაზმულებისთვის",
        "name_en": "Day centre for the elderly",
        "target_groups": [TargetGroup.objects.get(code="elderly").pk],
        "description_ka": "დღის მოვლა, კვება და აქტივობები.",
        "description_en": "Day care, meals and activities.",
        "eligibility_ka": "65 წლის და უფროსი პირები.",
        "eligibility_en": "People aged 65 and over.",
        "how_to_apply_ka": "მოგვმართეთ ტელეფონით.",
        "how_to_apply_en": "Call us.",
        "cost": "free",
        "capacity": "20",
        "admitted": "12",
        "waiting": "3",
        "opening_hours": "Mon-Fri 09:00-18:00",
        "languages": ["ka", "en"],
        "step_free": "on",
        "municipality": Municipality.objects.get(code="kutaisi").pk,
        "address_ka": "ქუთაისი, ჭავჭავაძის 5",
        "address_en": "Kutaisi, 5 Chavchavadze Ave",
        **changes,
    }


def service(provider: Provider, *, published: bool = True, **fields) -> Service:
    made = Service.objects.create(
        provider=provider,
        service_type=ServiceType.objects.get(code=fields.pop("type", "day_care")),
        name_ka=fields.pop("name_ka", "დღის ცენტრი"),
        name_en=fields.pop("name_en", "Day centre"),
        description_ka="აღწერა",
        description_en="Description",
        eligibility_ka="ყველა",
        eligibility_en="Everyone",
        how_to_apply_ka="დარეკეთ",
        how_to_apply_en="Call",
        cost=fields.pop("cost", "free"),
        municipality=fields.pop("municipality", provider.municipality),
        address_ka="მისამართი",
        address_en="Address",
        published=published,
        **fields,
    )
    made.target_groups.set(TargetGroup.objects.filter(code="elderly"))
    return made


def scattered(rng, municipalities, settlements, *, own: float, settled: float) -> dict:
    """Where a service of a random catalogue is: at a point of its own (a share `own` of
    them), at a settlement's (up to `settled`), else at its municipality's centre."""
    where, point = rng.random(), {}
    if where < own:
        point = {
            "latitude": Decimal(f"{rng.uniform(41.2, 43.5):.6f}"),
            "longitude": Decimal(f"{rng.uniform(40.1, 46.6):.6f}"),
        }
    elif where < settled and settlements:
        place = rng.choice(settlements)
        point = {"settlement": place, "municipality": place.municipality}
    return {"municipality": rng.choice(municipalities), **point}
