"""The child benefit's step to 50 GEL per child before 1 Jul 2021 (issue 9, finding 17), missing
from the parameters shipped in 0002: a household decided for early 2021 got 10 GEL. Databases
migrated since the step is in parameters.csv have it already (0002 reads the file); others get
it here, and the programme's shipped legal basis names it. The date of the step is unverified,
so the value is marked illustrative."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "parameters.csv"
CODE, VALID_FROM = "child_benefit_amount", "2019-01-01"
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
    with open(DATA, encoding="utf-8") as f:
        row = next(
            r for r in csv.DictReader(f) if (r["code"], r["valid_from"]) == (CODE, VALID_FROM)
        )
    ParameterValue.objects.get_or_create(
        parameter=parameter,
        valid_from=VALID_FROM,
        defaults={
            "value": Decimal(row["value"]),
            "illustrative": row["illustrative"] == "1",
            "source": row["source"],
        },
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
        parameter__code=CODE, valid_from=VALID_FROM, value=Decimal("50"), formula=""
    ).delete()
    for programme in Programme.objects.filter(code="child_benefit", municipality__isnull=True):
        if BASIS in programme.legal_basis:
            programme.legal_basis = programme.legal_basis.replace(BASIS, SHIPPED_BASIS)
            programme.save(update_fields=["legal_basis"])


class Migration(migrations.Migration):
    dependencies = [("programmes", "0008_decision_error_and_parameter_bounds")]
    operations = [migrations.RunPython(add, remove)]
