from django.db.models import QuerySet

from zrunva.geo.models import Municipality, Settlement


def municipality_list() -> QuerySet[Municipality]:
    return Municipality.objects.select_related("region").by_name()


def settlement_list(*, municipality_id: int | None = None) -> QuerySet[Settlement]:
    qs = Settlement.objects.select_related("municipality")
    if municipality_id is not None:
        qs = qs.filter(municipality_id=municipality_id)
    return qs
