from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from zrunva.accounts import permissions
from zrunva.audit.services import acting_as
from zrunva.programmes.models import Parameter, ParameterValue


@transaction.atomic
def parameter_value_set(
    *,
    actor,
    parameter: Parameter,
    valid_from: date,
    value: Decimal,
    source: str,
    illustrative: bool = False,
) -> ParameterValue:
    """Give a parameter a new value from a date on. State parameters are changed by
    administrators, a municipality's own by that municipality's officers; every value names its
    legal source."""
    permissions.require(actor, permissions.PROGRAMMES_DEFINE)
    if parameter.municipality_id is None:
        if permissions.municipality_scope(actor) is not None:
            raise PermissionDenied(_("Only administrators change the state's parameters."))
    else:
        permissions.require_in_scope(actor, parameter.municipality_id)
    if not source.strip():
        raise ValidationError({"source": _("Name the legal source of this value.")})
    with acting_as(actor):
        record = ParameterValue(
            parameter=parameter,
            valid_from=valid_from,
            value=value,
            source=source.strip(),
            illustrative=illustrative,
        )
        record.full_clean()
        record.save()
    return record
