from django.db import migrations

# Programmes decided on the rating score need a home visit and an assessment; the others are
# decided on records (age, disability status, IDP status). Deadlines: the model's illustrative
# defaults until the SSA's service standards are published.
HOME_VISIT = {"tsa": True, "child_benefit": True}
SHIPPED = ("tsa", "child_benefit", "disability_package", "state_pension", "idp_allowance")


def forwards(apps, schema_editor):
    Programme = apps.get_model("programmes", "Programme")
    Workflow = apps.get_model("applications", "Workflow")
    for programme in Programme.objects.filter(code__in=SHIPPED):
        Workflow.objects.get_or_create(
            programme=programme,
            defaults={
                "home_visit": HOME_VISIT.get(programme.code, False),
                "deadlines": {},
                "source": "Illustrative service standards; not published by the SSA",
                "illustrative": True,
            },
        )


def backwards(apps, schema_editor):
    apps.get_model("applications", "Workflow").objects.filter(
        programme__code__in=SHIPPED
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
        ("programmes", "0007_decision_reason_no_amount"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
