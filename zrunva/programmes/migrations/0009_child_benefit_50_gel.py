"""The child benefit's step to 50 GEL per child before 1 Jul 2021 (issue 9, finding 17), missing
from the parameters shipped in 0002: a household decided for early 2021 got 10 GEL. Databases
migrated since the step is in parameters.csv have it already (0002 reads the file); others get
it here, and the programme's shipped legal basis names it. The date of the step is unverified,
so the value is marked illustrative."""

from decimal import Decimal

from django.db import migrations

# The step as shipped (parameters.csv at the time), written here rather than read from the file:
# the file will change (the step's date is unverified), and a migration must do the same on
# every database whatever the file says later.
CODE, VALID_FROM, VALUE = "child_benefit_amount", "2019-01-01", Decimal("50")
SOURCE = (
    "Decree №145 as amended: 50 GEL before 1 Jul 2021 (jam-news.net and rustavi2.ge, 2021: "
    '"doubled from 50 to 100 lari"); the date of the step from 10 GEL, reported as 1 Jan 2019, '
    "is unverified"
)
# Between the 10 GEL of 2015 and the 100 GEL of 1 Jul 2021, where the step lies.
AFTER, BEFORE = "2015-01-01", "2021-07-01"
SHIPPED_BASIS = "10 GEL (2015, score ≤ 100,000); 100 GEL from 1 Jul 2021"
BASIS = (
    "10 GEL (2015, score ≤ 100,000); 50 GEL before 1 Jul 2021 (the date of the step from 10 GEL, "
    "reported as 1 Jan 2019, is unverified: an illustrative parameter value); 100 GEL from "
    "1 Jul 2021"
)


def add(apps, schema_editor):
    Parameter = apps.get_model("programmes", "Parameter")
    ParameterValue = apps.get_model("programmes", "ParameterValue")
    Programme = apps.get_model("programmes", "Programme")
    parameter = Parameter.objects.filter(code=CODE, municipality__isnull=True).first()
    if parameter is None:  # not the shipped parameters: nothing of ours to complete
        return
    # A database whose 0002 read a file with the step (on whatever date) has it already.
    steps = ParameterValue.objects.filter(
        parameter=parameter, valid_from__gt=AFTER, valid_from__lt=BEFORE
    )
    if not steps.exists():
        ParameterValue.objects.create(
            parameter=parameter,
            valid_from=VALID_FROM,
            value=VALUE,
            illustrative=True,
            source=SOURCE,
        )
    for programme in Programme.objects.filter(code="child_benefit", municipality__isnull=True):
        if SHIPPED_BASIS in programme.legal_basis:
            programme.legal_basis = programme.legal_basis.replace(SHIPPED_BASIS, BASIS)
            programme.save(update_fields=["legal_basis"])


def remove(apps, schema_editor):
    """Back to before the step: only the value this migration adds, as shipped."""
    ParameterValue = apps.get_model("programmes", "ParameterValue")
    Programme = apps.get_model("programmes", "Programme")
    ParameterValue.objects.filter(
        parameter__code=CODE, valid_from=VALID_FROM, value=VALUE, formula=""
    ).delete()
    for programme in Programme.objects.filter(code="child_benefit", municipality__isnull=True):
        if BASIS in programme.legal_basis:
            programme.legal_basis = programme.legal_basis.replace(BASIS, SHIPPED_BASIS)
            programme.save(update_fields=["legal_basis"])


class Migration(migrations.Migration):
    dependencies = [("programmes", "0008_decision_error_and_parameter_bounds")]
    operations = [migrations.RunPython(add, remove)]
