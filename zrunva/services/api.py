"""The catalogue as open data: approved services and providers, read without an account, with
the public catalogue's filters (`PublicServiceFilter`, given codes instead of ids). The same
schema is the CSV and JSON download's (`portal`)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from zrunva.core.api import Id, responses, slug
from zrunva.core.pagination import paginate
from zrunva.geo.models import Municipality, Region
from zrunva.services.filters import PublicServiceFilter
from zrunva.services.models import ServiceType, TargetGroup
from zrunva.services.selectors import distance_km, public_provider, public_services

router = Router(tags=["services catalogue"], auth=None)
PAGE_SIZE = 100


class ProviderOut(Schema):
    id: int
    kind: str
    name_ka: str
    name_en: str
    identification_code: str
    municipality: str = Field(description="The head office's municipality code.")
    address_ka: str
    address_en: str
    phone: str
    email: str
    website: str

    @staticmethod
    def resolve_municipality(obj) -> str:
        return obj.municipality.code


class ServiceOut(Schema):
    id: int
    provider_id: int
    provider_name_ka: str
    provider_name_en: str
    service_type: str = Field(description="The service type's code (a managed list).")
    name_ka: str
    name_en: str
    target_groups: list[str] = Field(description="Target groups' codes.")
    description_ka: str
    description_en: str
    eligibility_ka: str
    eligibility_en: str
    how_to_apply_ka: str
    how_to_apply_en: str
    referral_required: bool
    cost: str
    cost_note_ka: str
    cost_note_en: str
    capacity: int | None
    admitted: int
    waiting: int
    opening_hours: list[tuple[int, str, str]] = Field(
        description="[weekday (1 = Monday), opens, closes], times HH:MM."
    )
    languages: list[str]
    step_free: bool
    accessible_toilet: bool
    sign_language: bool
    easy_read: bool
    accessible_parking: bool
    municipality: str = Field(description="Municipality code.")
    address_ka: str
    address_en: str
    latitude: str | None
    longitude: str | None
    phone: str
    email: str

    @staticmethod
    def resolve_provider_name_ka(obj) -> str:
        return obj.provider.name_ka

    @staticmethod
    def resolve_provider_name_en(obj) -> str:
        return obj.provider.name_en

    @staticmethod
    def resolve_service_type(obj) -> str:
        return obj.service_type.code

    @staticmethod
    def resolve_target_groups(obj) -> list[str]:
        return sorted(g.code for g in obj.target_groups.all())

    @staticmethod
    def resolve_municipality(obj) -> str:
        return obj.municipality.code

    @staticmethod
    def resolve_latitude(obj) -> str | None:
        return None if obj.latitude is None else f"{obj.latitude:f}"

    @staticmethod
    def resolve_longitude(obj) -> str | None:
        return None if obj.longitude is None else f"{obj.longitude:f}"


class ServiceFound(ServiceOut):
    distance_km: int | None = Field(
        description="Kilometres from the centre of the municipality `near` names, as the crow "
        "flies; null without `near`."
    )

    @staticmethod
    def resolve_distance_km(obj) -> int | None:
        return distance_km(obj)


class ServicePage(Schema):
    items: list[ServiceFound]
    page: int
    has_next: bool


class ServiceQuery(Schema):
    q: str = Field(
        "",
        max_length=200,
        description="Words of the service's or provider's name, in either script.",
    )
    region: slug(6, "A region's ISO 3166-2 code, e.g. GE-AJ.") | None = None
    municipality: slug(40, "A municipality's code, e.g. kutaisi.") | None = None
    service_type: slug(40, "A service type's code, e.g. day_care.") | None = None
    target_group: slug(40, "A target group's code, e.g. elderly.") | None = None
    free: bool = False
    accessible: bool = Field(False, description="Step-free entrance.")
    places: bool = Field(False, description="Places free now.")
    near: slug(40, "A municipality's code: nearest to its centre first.") | None = None
    page: int = Field(1, ge=1, le=100_000)


# The query's codes, each to the id the filter set takes.
_CODES = {
    "region": (Region, "iso_code"),
    "municipality": (Municipality, "code"),
    "service_type": (ServiceType, "code"),
    "target_group": (TargetGroup, "code"),
    "near": (Municipality, "code"),
}


def search(query: ServiceQuery) -> QuerySet:
    """The approved services the query names, by the public catalogue's own filter set."""
    data = MultiValueDict()
    if query.q:
        data["q"] = query.q
    for name in ("free", "accessible", "places"):
        if getattr(query, name):
            data[name] = "on"
    errors = {}
    for name, (model, field) in _CODES.items():
        code = getattr(query, name)
        if code is None:
            continue
        found = model.objects.filter(**{field: code}).values_list("pk", flat=True).first()
        if found is None:
            errors[name] = _("No %(what)s has the code “%(code)s”.") % {
                "what": model._meta.verbose_name,
                "code": code,
            }
        data[name] = str(found)
    if errors:
        raise ValidationError(errors)
    return PublicServiceFilter(data, queryset=public_services()).qs


@router.get(
    "/services",
    response=responses({200: ServicePage}, 400, 422),
    summary="The approved social services, filtered",
)
def service_list(request, query: Query[ServiceQuery]):
    page = paginate(search(query), number=query.page, size=PAGE_SIZE)
    return {"items": page.items, "page": page.number, "has_next": page.has_next}


@router.get(
    "/services/{service_id}",
    response=responses({200: ServiceOut}, 404, 422),
    summary="One approved service",
)
def service_detail(request, service_id: Id):
    return get_object_or_404(public_services(), pk=service_id)


@router.get(
    "/providers/{provider_id}",
    response=responses({200: ProviderOut}, 404, 422),
    summary="One approved provider",
)
def provider_detail(request, provider_id: Id):
    return public_provider(pk=provider_id)
