"""The catalogue as open data: approved services and providers, read without an account, with
the public catalogue's filters (`PublicServiceFilter`, given codes instead of ids). The same
schema is the CSV and JSON download's (`portal`).

Writes need a sign-in and are the staff pages' own: the same `Records` descriptions
(`services.views`: their descriptions, not their pages), so the same forms, rules, permissions and approval. A provider's staff
propose; what they propose is public once an approver approves it."""

from datetime import datetime
from typing import Annotated

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from zrunva.core import hours, revisions
from zrunva.core.api import SIGNED_IN, Email, FlagIn, Id, IdIn, Phone, count_of, responses, slug
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log
from zrunva.geo.models import Municipality, Region
from zrunva.services.filters import PublicServiceFilter
from zrunva.services.models import Service, ServiceType, TargetGroup
from zrunva.services.selectors import distance_km, public_provider, public_services
from zrunva.services.views import providers, services

router = Router(tags=["services catalogue"])
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
    auth=None,
    response=responses({200: ServicePage}, 400, 422),
    summary="The approved social services, filtered",
)
def service_list(request, query: Query[ServiceQuery]):
    page = paginate(search(query), number=query.page, size=PAGE_SIZE)
    return {"items": page.items, "page": page.number, "has_next": page.has_next}


@router.get(
    "/services/{service_id}",
    auth=None,
    response=responses({200: ServiceOut}, 404, 422),
    summary="One approved service",
)
def service_detail(request, service_id: Id):
    return get_object_or_404(public_services(), pk=service_id)


@router.get(
    "/providers/{provider_id}",
    auth=None,
    response=responses({200: ProviderOut}, 404, 422),
    summary="One approved provider",
)
def provider_detail(request, provider_id: Id):
    return public_provider(pk=provider_id)


# -- Writes --------------------------------------------------------------------------------------

Text = Annotated[str, Field(max_length=4000)]
Line = Annotated[str, Field(max_length=300)]
Name = Annotated[str, Field(max_length=200)]
Code = slug(40, "A code of the managed list.")
Coordinate = Annotated[
    str | None,
    Field(None, pattern=r"^-?[0-9]{1,2}(\.[0-9]{1,6})?$", description="Decimal degrees."),
]


class ProviderIn(Schema):
    kind: str = Field(max_length=10, description="state, municipal, cso or private.")
    name_ka: Name
    name_en: Name
    identification_code: str = Field(max_length=9, description="Nine digits (NAPR).")
    municipality: slug(40, "The head office's municipality code.")
    address_ka: Line
    address_en: Line
    phone: Phone
    email: Email = ""
    website: str = Field("", max_length=200)
    organisation: IdIn | None = Field(
        None, description="The organisation whose staff edit it (an administrator's to set)."
    )


class ServiceIn(Schema):
    provider: IdIn
    service_type: Code
    name_ka: Name
    name_en: Name
    target_groups: list[Code] = Field(max_length=20)
    description_ka: Text
    description_en: Text
    eligibility_ka: Text
    eligibility_en: Text
    how_to_apply_ka: Text
    how_to_apply_en: Text
    referral_required: FlagIn = False
    cost: str = Field(max_length=12, description="free, copay or fee.")
    cost_note_ka: Line = ""
    cost_note_en: Line = ""
    capacity: count_of(Service._meta.get_field("capacity")) | None = None
    admitted: count_of(Service._meta.get_field("admitted")) = 0
    waiting: count_of(Service._meta.get_field("waiting")) = 0
    opening_hours: list[tuple[int, str, str]] = Field(
        [],
        max_length=50,
        description="[weekday (1 = Monday), opens, closes], times HH:MM.",
    )
    languages: list[Annotated[str, Field(max_length=5)]] = Field([], max_length=20)
    step_free: FlagIn = False
    accessible_toilet: FlagIn = False
    sign_language: FlagIn = False
    easy_read: FlagIn = False
    accessible_parking: FlagIn = False
    municipality: slug(40, "Municipality code.")
    settlement: IdIn | None = None
    address_ka: Line
    address_en: Line
    latitude: Coordinate = None
    longitude: Coordinate = None
    phone: Phone = ""
    email: Email = ""


class VersionOut(Schema):
    """A proposed version of a record: applied at once when its author may approve it."""

    id: int = Field(description="The record's id.")
    version: int = Field(description="The version's id, which a decision names.")
    status: str = Field(description="pending, approved, rejected or superseded.")
    public: bool = Field(description="Whether the record is public now.")
    data: dict[str, list[str]] = Field(description="The version's values, as its form read them.")
    proposed_at: datetime
    decided_at: datetime | None
    note: str

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.object_id

    @staticmethod
    def resolve_version(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_public(obj) -> bool:
        return type(obj.record).objects.filter(pk=obj.object_id, published=True).exists()


class DecisionIn(Schema):
    version: IdIn = Field(description="The waiting version read: another is not decided.")
    approve: FlagIn
    note: str = Field("", max_length=2000, description="Why, when rejecting.")


def _codes(model, codes: list[str], field: str) -> list[str]:
    found = dict(model.objects.filter(code__in=codes).values_list("code", "pk"))
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(
            {
                field: _("No %(what)s has the code “%(code)s”.")
                % {"what": model._meta.verbose_name, "code": unknown[0]}
            }
        )
    return [str(found[code]) for code in codes]


def _form_data(payload: Schema, *, codes: dict[str, type]) -> MultiValueDict:
    """A body as its form would be posted: codes as ids, lists as several values, a tick box
    present only when true."""
    data = MultiValueDict()
    for name, value in payload.model_dump().items():
        if name in codes:
            model = codes[name]
            listed = _codes(model, value if isinstance(value, list) else [value], name)
            data.setlist(name, listed)
        elif name == "opening_hours":
            data[name] = hours.text([list(v) for v in value])
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data.setlist(name, [str(v) for v in value])
        else:
            data[name] = "" if value is None else str(value)
    return data


def _save(request, records, *, pk: int | None, data: MultiValueDict):
    obj = records.get(actor=request.user, pk=pk) if pk else None
    form = records.editing(actor=request.user, obj=obj, data=data)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    revision, _applied = records.propose(actor=request.user, form=form)
    return revision


PROVIDER_CODES = {"municipality": Municipality}
SERVICE_CODES = {
    "service_type": ServiceType,
    "target_groups": TargetGroup,
    "municipality": Municipality,
}


@router.post(
    "/providers",
    response=responses({201: VersionOut}, 400, *SIGNED_IN, 422),
    summary="Add a provider (an administrator's)",
)
def provider_create(request, payload: ProviderIn):
    return 201, _save(request, providers, pk=None, data=_form_data(payload, codes=PROVIDER_CODES))


@router.put(
    "/providers/{provider_id}",
    response=responses({200: VersionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Propose a provider's new details (applied at once for its approvers)",
)
def provider_update(request, provider_id: Id, payload: ProviderIn):
    data = _form_data(payload, codes=PROVIDER_CODES)
    return _save(request, providers, pk=provider_id, data=data)


@router.get(
    "/providers/{provider_id}/versions",
    response=responses({200: list[VersionOut]}, *SIGNED_IN, 404, 422),
    summary="A provider's versions, newest first (for its editors and approvers)",
)
def provider_versions(request, provider_id: Id):
    return _versions(request, providers, provider_id)


@router.post(
    "/providers/{provider_id}/decision",
    response=responses({200: VersionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Approve or reject a provider's waiting version",
)
def provider_decide(request, provider_id: Id, payload: DecisionIn):
    return _decide(request, providers, provider_id, payload)


@router.post(
    "/services",
    response=responses({201: VersionOut}, 400, *SIGNED_IN, 422),
    summary="Propose a new service (public once approved)",
)
def service_create(request, payload: ServiceIn):
    return 201, _save(request, services, pk=None, data=_form_data(payload, codes=SERVICE_CODES))


@router.put(
    "/services/{service_id}",
    response=responses({200: VersionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Propose a service's new details (applied at once for its approvers)",
)
def service_update(request, service_id: Id, payload: ServiceIn):
    return _save(request, services, pk=service_id, data=_form_data(payload, codes=SERVICE_CODES))


@router.get(
    "/services/{service_id}/versions",
    response=responses({200: list[VersionOut]}, *SIGNED_IN, 404, 422),
    summary="A service's versions, newest first (for its editors and approvers)",
)
def service_versions(request, service_id: Id):
    return _versions(request, services, service_id)


@router.post(
    "/services/{service_id}/decision",
    response=responses({200: VersionOut}, 400, *SIGNED_IN, 404, 422),
    summary="Approve or reject a service's waiting version",
)
def service_decide(request, service_id: Id, payload: DecisionIn):
    return _decide(request, services, service_id, payload)


def _versions(request, records, pk: int):
    obj = records.get(actor=request.user, pk=pk)
    if not (records.can_edit(request.user, obj) or records.can_approve(request.user, obj)):
        raise PermissionDenied(_("You may not see this record's versions."))
    access_log(actor=request.user, instance=obj, purpose="versions")
    return list(revisions.versions(obj))


def _decide(request, records, pk: int, payload: DecisionIn):
    obj = records.get(actor=request.user, pk=pk)
    return records.decide(
        actor=request.user,
        obj=obj,
        revision_id=payload.version,
        approve=payload.approve,
        note=payload.note,
    )
