"""Synthetic imports for the demo: three sources as other registries would send them (the civil
registry's deaths, the IDP ministry's list, Kutaisi's old beneficiary list), a file of each
written from the synthetic registry with the faults real files have, and a dry run of each
waiting for an officer to read and commit. Every name, number and date is synthetic."""

import csv
import random
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from zrunva.accounts.models import User
from zrunva.geo.models import Municipality
from zrunva.integration.imports import import_execute
from zrunva.integration.models import Source
from zrunva.integration.services import import_start
from zrunva.registry.models import Person

SOURCES = [
    {
        "code": "civil-deaths",
        "name": "სამოქალაქო რეესტრი: გარდაცვალება (სადემონსტრაციო)",
        "description": "Civil Registry Agency's monthly deaths feed (illustrative layout).",
        "mapping": {
            "personal_number": "პირადი ნომერი",
            "first_name": "სახელი",
            "last_name": "გვარი",
            "birth_date": "დაბადების თარიღი",
            "date_of_death": "გარდაცვალების თარიღი",
        },
        "updates": ["date_of_death"],
        "date_formats": ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"],
        "all_or_nothing": False,
    },
    {
        "code": "idp-ministry",
        "name": "დევნილთა სამინისტრო: სტატუსის მქონე პირები (სადემონსტრაციო)",
        "description": "The list of internally displaced persons (illustrative layout).",
        "mapping": {
            "record_id": "IDP_ID",
            "personal_number": "PN",
            "first_name": "FirstName",
            "last_name": "LastName",
            "birth_date": "DOB",
            "is_idp": "Status",
        },
        "values": {"is_idp": {"ACTIVE": "1", "REVOKED": "0"}},
        "updates": ["is_idp"],
        "date_formats": ["%Y-%m-%d"],
    },
]


def _kutaisi_source() -> dict:
    return {
        "code": "kutaisi-old-list",
        "name": "ქუთაისის ძველი სია (სადემონსტრაციო)",
        "description": "Kutaisi's beneficiary list kept before the registry (illustrative).",
        "municipality": Municipality.objects.get(code="kutaisi"),
        "mapping": {
            "record_id": "N",
            "personal_number": "პ/ნ",
            "first_name": "სახელი",
            "last_name": "გვარი",
            "birth_date": "დაბ. თარიღი",
            "sex": "სქესი",
            "household_ref": "ოჯახი",
            "relationship": "კავშირი",
            "municipality": "მუნიციპალიტეტი",
            "address": "მისამართი",
        },
        "values": {
            "sex": {"მ": "M", "ქ": "F"},
            "relationship": {"თავი": "head", "მეუღლე": "spouse", "შვილი": "child"},
        },
        "creates": True,
        "date_formats": ["%d.%m.%Y"],
    }


def _write(path: Path, header: list[str], rows: list[list]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _deaths(rng: random.Random, folder: Path, header: list[str]) -> Path:
    today = timezone.localdate()
    old = list(
        Person.objects.filter(date_of_death__isnull=True, personal_number__isnull=False)
        .filter(birth_date__lt=today - timedelta(days=365 * 75))
        .order_by("pk")[:400]
    )
    picked = rng.sample(old, min(16, len(old)))
    rows = []

    def row(person, died: str, number: str | None = None) -> list:
        return [
            number or person.personal_number,
            person.first_name,
            person.last_name,
            person.birth_date.strftime("%d.%m.%Y"),
            died,
        ]

    for person in picked[:12]:
        died = today - timedelta(days=rng.randint(5, 60))
        rows.append(row(person, died.strftime(rng.choice(["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y"]))))
    # The faults such files carry: a number that lost a digit (as a spreadsheet drops a
    # leading zero), a number nobody has, a date that is not one, a death before birth, a
    # row sent twice.
    recent = (today - timedelta(days=9)).strftime("%d.%m.%Y")
    rows.append(["01999999999", "გიორგი", "ბერიძე", "01.01.1940", recent])
    if len(picked) == 16:
        rows.append(row(picked[12], recent, picked[12].personal_number[1:]))
        rows.append(row(picked[13], "31.02.2026"))
        rows.append(row(picked[14], "01.01.1901"))
        rows.append(list(rows[0]))
    return _write(folder / "deaths.csv", header, rows)


def _kutaisi(rng: random.Random, folder: Path, header: list[str]) -> Path:
    families = [
        ("ჩხაიძე", [("მარინე", "ქ", "თავი", 1961), ("ნიკა", "მ", "შვილი", 1990)]),
        ("წიკლაური", [("ზურაბ", "მ", "თავი", 1955), ("ლია", "ქ", "მეუღლე", 1958)]),
        ("ქავთარაძე", [("თეონა", "ქ", "თავი", 1979), ("საბა", "მ", "შვილი", 2012)]),
    ]
    rows = []
    number = 1
    for f, (surname, members) in enumerate(families, start=1):
        for first, sex, relation, year in members:
            rows.append(
                [
                    f"K-{number:04d}",
                    f"0{rng.randint(1000000000, 9999999999)}"[:11],
                    first,
                    surname,
                    f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{year}",
                    sex,
                    f"F{f}",
                    relation,
                    "kutaisi",
                    f"ქუთაისი, ნიკეას ქ. {rng.randint(1, 90)}",
                ]
            )
            number += 1
    # A member listed before the head of their family, and a second head.
    rows.append(
        [
            "K-0099",
            "01700000001",
            "ანი",
            "ბაქრაძე",
            "03.03.2001",
            "ქ",
            "F9",
            "შვილი",
            "kutaisi",
            "ქუთაისი",
        ]
    )
    rows.append(
        [
            "K-0100",
            "01700000002",
            "გელა",
            "ჩხაიძე",
            "03.03.1960",
            "მ",
            "F1",
            "თავი",
            "kutaisi",
            "ქუთაისი",
        ]
    )
    return _write(folder / "kutaisi-old-list.csv", header, rows)


def demo_imports(*, seed: int) -> int:
    """Define the demo sources, write a file of each from the synthetic registry into
    `var/private/demo-imports/` (the private files' folder), and read each as a dry run (by the officer who would commit it).
    Returns how many dry runs were made."""
    rng = random.Random(seed)
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "demo-imports"
    admin = User.objects.get(username="admin")
    sources = {}
    for data in [*SOURCES, _kutaisi_source()]:
        code = data["code"]
        sources[code], _created = Source.objects.update_or_create(
            code=code, defaults={**data, "created_by": admin}
        )
    files = [
        ("civil-deaths", "ssa", _deaths(rng, folder, list(SOURCES[0]["mapping"].values()))),
        (
            "kutaisi-old-list",
            "municipal_kutaisi",
            _kutaisi(rng, folder, list(_kutaisi_source()["mapping"].values())),
        ),
    ]
    made = 0
    for code, username, path in files:
        with open(path, "rb") as handle:
            job = import_start(
                actor=User.objects.get(username=username),
                source=sources[code],
                upload=handle,
                web=False,
                enqueue=False,
            )
        import_execute(job=job)
        made += 1
    return made


def demo_duplicates(*, seed: int) -> int:
    """A few people registered twice, as happens when a family is registered again at another
    office (a foreign passport instead of the personal number, day and month swapped, a typo),
    then a search for duplicates by the SSA officer, training the model on the demo registry.
    Returns how many pairs wait for review."""
    from zrunva.integration.linkage import MIN_TRAINING_RECORDS, linkage_execute, linkage_start
    from zrunva.registry.services import household_register

    if Person.objects.count() < MIN_TRAINING_RECORDS:
        return 0  # too few people to train the model on (a tiny demo)
    rng = random.Random(seed)
    ssa = User.objects.get(username="ssa")
    heads = list(
        Person.objects.filter(
            personal_number__isnull=False,
            date_of_death__isnull=True,
            memberships__relationship="head",
            memberships__end_date__isnull=True,
        ).order_by("pk")[:300]
    )
    for number, person in enumerate(rng.sample(heads, min(5, len(heads)))):
        born = person.birth_date
        if born.day <= 12 and number % 2 == 0:
            born = born.replace(month=born.day, day=born.month)  # day and month swapped
        household = person.memberships.get(end_date__isnull=True).household
        household_register(
            actor=User.objects.get(username="admin"),
            household={"municipality": household.municipality, "address": household.address},
            head={
                "alt_id_kind": "foreign_passport",
                "alt_id_number": f"DEMO{seed % 1000:03d}{number:03d}",
                "first_name": person.first_name,
                "last_name": person.last_name,
                "birth_date": born,
                "sex": person.sex,
            },
        )
    run = linkage_execute(run=linkage_start(actor=ssa, train=True, enqueue=False))
    return run.summary.get("review", 0) + run.summary.get("auto", 0)
