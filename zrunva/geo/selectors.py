from django.db.models import F, QuerySet

from zrunva.geo.models import Municipality, Settlement


def municipality_list() -> QuerySet[Municipality]:
    return Municipality.objects.select_related("region").by_name()


def settlement_list(*, municipality_id: int | None = None) -> QuerySet[Settlement]:
    qs = Settlement.objects.select_related("municipality")
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs


def municipal_centres() -> dict[int, Settlement]:
    """Each municipality's centre that has coordinates, by municipality id (the centre bears
    its municipality's name: see 0002_reference_data)."""
    centres = Settlement.objects.filter(
        is_synthetic=False, latitude__isnull=False, name_ka=F("municipality__name_ka")
    )
    return {centre.municipality_id: centre for centre in centres}


def municipalities_with_centre() -> QuerySet[Municipality]:
    """The municipalities one may measure distances from."""
    return Municipality.objects.filter(
        settlements__is_synthetic=False,
        settlements__latitude__isnull=False,
        settlements__name_ka=F("name_ka"),
    ).by_name()
