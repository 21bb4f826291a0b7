"""Phones stored before they were normalised, as people typed them (555 12 34 56, +995-555...),
rewritten in the one form the services now store (E.164)."""

from django.db import migrations

from zrunva.core.validators import phone_e164

BATCH = 2000


def phones_e164(apps, schema_editor):
    Grievance = apps.get_model("grievances", "Grievance")
    changed = []
    for pk, phone in Grievance.objects.exclude(phone="").values_list("pk", "phone").iterator():
        stored = phone_e164(phone)
        if stored != phone:
            changed.append(Grievance(pk=pk, phone=stored))
    Grievance.objects.bulk_update(changed, ["phone"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [("grievances", "0003_personal_number_ascii")]

    operations = [migrations.RunPython(phones_e164, migrations.RunPython.noop, elidable=True)]
