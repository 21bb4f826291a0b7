"""The forms Zrunva ships (questionnaires/data/*.json), each with version 1 published and no
owner, so that they exist after `migrate` as the geography does. A form whose code is taken
already is left as it is. Changing a shipped form later is a new version published by a later
migration: version 1 never changes (0002's trigger).

Going back leaves the forms: a published version is kept (the trigger refuses its deletion on
PostgreSQL, and answers may hold it), and going forward again finds them by code."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

DATA = Path(__file__).resolve().parent.parent / "data"
SHIPPED = ("functional_needs.json", "household_needs.json")
TEXTS = ("name_ka", "name_en", "description_ka", "description_en", "source_ka", "source_en")


def load(apps, schema_editor):
    Form = apps.get_model("questionnaires", "Form")
    FormVersion = apps.get_model("questionnaires", "FormVersion")
    for name in SHIPPED:
        document = json.loads((DATA / name).read_text(encoding="utf-8"))
        if Form.objects.filter(code=document["code"]).exists():
            continue
        form = Form.objects.create(
            code=document["code"],
            illustrative=document.get("illustrative", False),
            **{field: document[field] for field in TEXTS},
        )
        FormVersion.objects.create(
            form=form,
            number=1,
            definition=document["definition"],
            status="published",
            # Whole seconds: the test database's serialized copy (serialized_rollback) keeps
            # milliseconds only, and writing it back must not look like a change to 0002's
            # trigger.
            published_at=timezone.now().replace(microsecond=0),
        )


class Migration(migrations.Migration):
    dependencies = [("questionnaires", "0003_surveys")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
