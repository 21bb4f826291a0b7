"""The illustrative scoring model (zrunva/assessment/data/scoring_models.json)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "scoring_models.json"


def load(apps, schema_editor):
    ScoringModel = apps.get_model("assessment", "ScoringModel")
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        ScoringModel.objects.create(
            code=row["code"],
            valid_from=row["valid_from"],
            intercept=Decimal(row["intercept"]),
            weights=row["weights"],
            source=row["source"],
            illustrative=row["illustrative"],
        )


def unload(apps, schema_editor):
    apps.get_model("assessment", "ScoringModel").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("assessment", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
