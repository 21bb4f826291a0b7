"""Tracked enrolments kept as runs of consecutive ids: the rows of 0009 become their runs."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0009_owed_months"),
    ]

    operations = [
        migrations.CreateModel(
            name="TrackedEnrolments",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("first_id", models.BigIntegerField(verbose_name="first enrolment id")),
                ("last_id", models.BigIntegerField(verbose_name="last enrolment id")),
            ],
            options={
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("first_id__lte", models.F("last_id"))),
                        name="tracked_run_ordered",
                    )
                ],
            },
        ),
        # Gaps and islands: ids minus their rank are equal along a run of consecutive ids.
        migrations.RunSQL(
            """
            INSERT INTO payments_trackedenrolments (first_id, last_id)
            SELECT MIN(enrolment_id), MAX(enrolment_id) FROM (
                SELECT enrolment_id,
                       enrolment_id - ROW_NUMBER() OVER (ORDER BY enrolment_id) AS run
                FROM payments_trackedenrolment
            ) ids GROUP BY run
            """,
            migrations.RunSQL.noop,  # back: none tracked, so the next payroll reads each window
        ),
        migrations.DeleteModel(
            name="TrackedEnrolment",
        ),
    ]
