"""Parameters of the state programmes with their values over time and legal sources
(zrunva/programmes/data/parameters.csv, from shared/DOMAIN.md; unverified figures are marked
illustrative)."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "parameters.csv"


def load(apps, schema_editor):
    Parameter = apps.get_model("programmes", "Parameter")
    ParameterValue = apps.get_model("programmes", "ParameterValue")
    with open(DATA, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            parameter, _ = Parameter.objects.get_or_create(
                code=row["code"],
                defaults={"name_en": row["name_en"], "name_ka": row["name_ka"], "unit": row["unit"]},
            )
            ParameterValue.objects.create(
                parameter=parameter,
                valid_from=row["valid_from"],
                value=Decimal(row["value"]),
                illustrative=row["illustrative"] == "1",
                source=row["source"],
            )


def unload(apps, schema_editor):
    apps.get_model("programmes", "ParameterValue").objects.all().delete()
    apps.get_model("programmes", "Parameter").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
