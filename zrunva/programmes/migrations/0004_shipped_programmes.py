"""The five state programmes as rules (zrunva/programmes/data/programmes.toml, from
shared/DOMAIN.md). Each rule is checked against the attribute catalogue and the parameters
shipped in 0002, and each parameter it reads must have a value when the programme starts: a
shipped rule that does not check stops the migration."""

import tomllib
from pathlib import Path

from django.db import migrations

from zrunva.programmes import attributes, expressions

DATA = Path(__file__).resolve().parent.parent / "data" / "programmes.toml"
RESULTS = {"criteria": "boolean", "formula": "number"}


def _check(row, schema, valued):
    for field, result in RESULTS.items():
        try:
            rule = expressions.validate(row[field], schema, level=row["level"], result=result)
        except expressions.ExpressionError as error:
            raise ValueError(f"Shipped programme {row['code']}, {field}: {error}") from error
        unvalued = expressions.dependencies(rule) - valued
        if unvalued:
            raise ValueError(
                f"Shipped programme {row['code']}, {field}: no value on {row['valid_from']} "
                f"for {', '.join(sorted(unvalued))}"
            )


def load(apps, schema_editor):
    Parameter = apps.get_model("programmes", "Parameter")
    ParameterValue = apps.get_model("programmes", "ParameterValue")
    Programme = apps.get_model("programmes", "Programme")
    with open(DATA, "rb") as f:
        rows = tomllib.load(f)["programme"]
    state = Parameter.objects.filter(municipality__isnull=True)
    schema = attributes.schema(state.values_list("code", flat=True))
    for row in rows:
        valued = set(
            ParameterValue.objects.filter(
                parameter__in=state, valid_from__lte=row["valid_from"]
            ).values_list("parameter__code", flat=True)
        )
        _check(row, schema, valued)
        Programme.objects.create(
            code=row["code"],
            name_ka=row["name_ka"],
            name_en=row["name_en"],
            level=row["level"],
            criteria=row["criteria"],
            formula=row["formula"],
            legal_basis=row["legal_basis"],
            valid_from=row["valid_from"],
            illustrative=row["illustrative"],
        )


def unload(apps, schema_editor):
    with open(DATA, "rb") as f:
        codes = [row["code"] for row in tomllib.load(f)["programme"]]
    apps.get_model("programmes", "Programme").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0003_programme")]
    operations = [migrations.RunPython(load, unload)]
