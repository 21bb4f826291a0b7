from datetime import date
from decimal import Decimal

from django.db.models import OuterRef, QuerySet, Subquery

from zrunva.programmes.models import Parameter, ParameterValue


def parameters_on(*, on: date, municipality_id: int | None = None) -> dict[str, Decimal]:
    """Each parameter's value on a date: the latest value from that date or before. State
    parameters always; a municipality's own only when its id is given. A parameter with no value
    yet on the date is absent, so a rule that needs it reports "no value on this date"."""
    latest = (
        ParameterValue.objects.filter(parameter=OuterRef("pk"), valid_from__lte=on)
        .order_by("-valid_from")
        .values("value")[:1]
    )
    parameters = Parameter.objects.filter(municipality__isnull=True)
    if municipality_id is not None:
        parameters = parameters | Parameter.objects.filter(municipality_id=municipality_id)
    rows = parameters.annotate(current=Subquery(latest)).values_list("code", "current")
    return {code: value for code, value in rows if value is not None}


def parameter_history(*, code: str) -> QuerySet[ParameterValue]:
    return ParameterValue.objects.filter(parameter__code=code).order_by("valid_from")


def parameter_codes(*, municipality_id: int | None = None) -> set[str]:
    """The parameters a programme may read: the state's, and its municipality's own if it has
    one; whether they have a value on a given date is `parameters_on`'s question."""
    parameters = Parameter.objects.filter(municipality__isnull=True)
    if municipality_id is not None:
        parameters = parameters | Parameter.objects.filter(municipality_id=municipality_id)
    return set(parameters.values_list("code", flat=True))
