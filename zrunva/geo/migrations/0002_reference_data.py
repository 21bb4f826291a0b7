"""Load Georgia's regions, municipalities, municipal centres and offices (see geo/data/README.md)."""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data"
SSA_SOURCE = "Illustrative: one SSA territorial office per municipality (ssa.gov.ge lists ~69 centres)"
SCA_SOURCE = "Illustrative: one State Care Agency office per region"


def load(apps, schema_editor):
    Region = apps.get_model("geo", "Region")
    Municipality = apps.get_model("geo", "Municipality")
    Settlement = apps.get_model("geo", "Settlement")
    Office = apps.get_model("geo", "Office")

    regions = {}
    with open(DATA / "regions.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            regions[row["iso_code"]] = Region.objects.create(
                iso_code=row["iso_code"], name_ka=row["name_ka"], name_en=row["name_en"],
                kind=row["kind"], source=row["source"],
            )
    with open(DATA / "municipalities.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            municipality = Municipality.objects.create(
                code=row["code"], region=regions[row["region_iso"]], name_ka=row["name_ka"],
                name_en=row["name_en"], area_km2=Decimal(row["area_km2"]),
                villages=int(row["villages"]),
                population=round(Decimal(row["population_thousands"]) * 1000),
                highland_area=row["highland_area"] == "1", source=row["source"],
            )
            # The municipal centre bears the municipality's name (Tbilisi, Batumi and the cities
            # are municipalities of one settlement).
            Settlement.objects.create(
                municipality=municipality, name_ka=row["name_ka"], name_en=row["name_en"],
                kind="city" if int(row["villages"]) == 0 or municipality.population > 100_000 else "town",
                is_highland=municipality.highland_area,
            )
            office = Office.objects.create(
                code=f"ssa-{row['code']}", agency="ssa", source=SSA_SOURCE,
                name_ka=f"სოციალური მომსახურების სააგენტო — {row['name_ka']}, ტერიტორიული ცენტრი",
                name_en=f"Social Service Agency, {row['name_en']} territorial centre",
            )
            office.municipalities.add(municipality)
    for region in regions.values():
        municipalities = list(region.municipalities.all())
        if not municipalities:
            continue
        office = Office.objects.create(
            code=f"sca-{region.iso_code.lower()}", agency="sca", source=SCA_SOURCE,
            name_ka=f"სახელმწიფო ზრუნვის სააგენტო — {region.name_ka}",
            name_en=f"State Care Agency, {region.name_en}",
        )
        office.municipalities.add(*municipalities)


def unload(apps, schema_editor):
    for model in ("Office", "Settlement", "Municipality", "Region"):
        apps.get_model("geo", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("geo", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
