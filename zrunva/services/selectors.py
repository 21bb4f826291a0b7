"""Reads of the catalogue: what a staff user may see (public entries, and the unpublished
entries of the providers they edit or approve)."""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from zrunva.accounts import permissions
from zrunva.core.models import in_language
from zrunva.services.models import Provider, Service


def provider_list(*, actor) -> QuerySet[Provider]:
    scope = permissions.provider_scope(actor)
    qs = Provider.objects.select_related("municipality")
    return qs if scope is None else qs.filter(Q(published=True) | scope)


def service_list(*, actor) -> QuerySet[Service]:
    qs = Service.objects.select_related("provider", "service_type", "municipality")
    scope = permissions.provider_scope(actor)
    if scope is None:
        return qs
    # The provider scope's conditions, read through the service's provider.
    mine = Provider.objects.filter(scope).values("pk")
    return qs.filter(Q(published=True, provider__published=True) | Q(provider__in=mine))


def editable_providers(*, actor) -> QuerySet[Provider]:
    """The providers whose services the actor may add or change."""
    return Provider.objects.filter(
        pk__in=[p.pk for p in provider_list(actor=actor) if permissions.edits_provider(actor, p)]
    )


def public_services() -> QuerySet[Service]:
    """The catalogue as the public sees it: approved services of approved providers, in the
    order of their municipality's name then their own (the active language's alphabet)."""
    return (
        Service.objects.filter(published=True, provider__published=True)
        .select_related("provider", "service_type", "municipality", "settlement")
        .prefetch_related("target_groups")
        .order_by(
            in_language("municipality__name_ka", "municipality__name_en"),
            in_language("name_ka", "name_en"),
            "pk",
        )
    )


def public_provider(*, pk: int) -> Provider:
    """An approved provider, or Http404 (one not yet public is not there for the public)."""
    return get_object_or_404(Provider.objects.select_related("municipality"), pk=pk, published=True)
