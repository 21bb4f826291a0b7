"""Indexes for the public catalogue's order (issue 14's speed targets, bench/catalogue.py).

The catalogue is listed by municipality name, then service name (`selectors.public_services`).
With an index on the municipality's name in each language, PostgreSQL walks the municipalities
in name order and reads each one's services through the existing (published, municipality)
index, sorting only within a municipality (an incremental sort) and stopping at the page's
end: 0.6 ms instead of reading and sorting all 20,000 services (40 ms). The index is on
`geo_municipality`, but it is the catalogue's order that needs it, so it is created here.
Plain SQL, valid on SQLite as on PostgreSQL.

Distance order (`selectors.nearest_first`) reads the services within a radius of the centre
first: those with their own point are found in a box around it through `service_public_point`.
"""

from django.db import migrations, models

NAMES = (
    ("services_municipality_name_ka", "name_ka"),
    ("services_municipality_name_en", "name_en"),
)


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0004_illustrative_standard"),
        ("geo", "0004_settlement_coordinates"),
    ]
    operations = [
        *(
            migrations.RunSQL(
                sql=f"CREATE INDEX {name} ON geo_municipality ({column}, id)",
                reverse_sql=f"DROP INDEX {name}",
            )
            for name, column in NAMES
        ),
        migrations.AddIndex(
            model_name="service",
            index=models.Index(
                condition=models.Q(published=True),
                fields=["latitude", "longitude"],
                name="service_public_point",
            ),
        ),
    ]
