"""The distance order no longer looks for services in a box around the centre: it measures the
public services' points kept in each process (`selectors.ServiceQuerySet._nearest_slice`), so
the index on their own points served no query and only slowed writes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0005_search_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="service",
            name="service_public_point",
        ),
    ]
