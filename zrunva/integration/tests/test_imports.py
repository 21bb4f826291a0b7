from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zrunva.accounts.choices import Role
from zrunva.core.jobs import JobStatus
from zrunva.integration.imports import import_execute
from zrunva.integration.models import ImportRow, SourceLink
from zrunva.integration.services import import_commit, import_start, source_save
from zrunva.integration.tests.factories_imports import (
    commit,
    csv_upload,
    deaths_source,
    dry_run,
    municipal_list,
    xlsx_upload,
)
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.tests.factories import household, member, system_actor

pytestmark = pytest.mark.django_db


def _rows(job) -> dict[int, ImportRow]:
    return {r.row: r for r in job.rows.all()}


def _reasons(row: ImportRow) -> list[str]:
    return [f"{e['field']}: {e['reason']}" for e in row.errors]


@pytest.fixture
def people():
    first = household(head={"personal_number": "01001000001", "birth_date": date(1940, 3, 2)})
    second = household(head={"personal_number": "01001000002", "birth_date": date(1950, 1, 1)})
    third = household(head={"personal_number": "01001000003", "birth_date": date(1960, 7, 9)})
    heads = [h.memberships.get().person for h in (first, second, third)]
    Person.objects.filter(pk=heads[2].pk).update(date_of_death=date(2026, 1, 5))
    return heads


BAD_DEATHS = (
    "PN;Name;Surname;Born;Died\n"
    "01001000001;გიორგი;ბერიძე;02.03.1940;2026-10-01\n"  # 2: changed (ISO date)
    "01001000002;გიორგი;ბერიძე;1950-01-01;14/10/2026\n"  # 3: changed (d/m/Y)
    "01001000003;გიორგი;ბერიძე;1960-07-09;05.01.2026\n"  # 4: unchanged (d.m.Y, same day)
    "1001000004;X;Y;1960-07-09;2026-01-01\n"  # 5: leading zero lost
    "0100100000;X;Y;1960-07-09;2026-01-01\n"  # 6: 10 digits, not a number lost
    "01001000099;X;Y;1960-07-09;2026-01-01\n"  # 7: nobody
    "01001000001;X;Y;1960-07-09;2026-10-02\n"  # 8: the same number again
    "01001000005;X;Y;1960-07-09;31/02/2026\n"  # 9: not a date
    "0100100000A;X;Y;1960-07-09;2026-01-01\n"  # 10: letters
)


def test_dry_run_reports_every_kind_of_row_and_writes_nothing(people):
    source = deaths_source(
        mapping={
            "personal_number": "PN",
            "first_name": "Name",
            "last_name": "Surname",
            "birth_date": "Born",
            "date_of_death": "Died",
        }
    )
    job = dry_run(source, csv_upload(BAD_DEATHS))
    assert job.status == JobStatus.DONE
    rows = _rows(job)
    assert rows[2].outcome == "changed"
    assert rows[2].changes == {"date_of_death": [None, "2026-10-01"]}
    assert rows[2].person_id == people[0].pk and rows[2].method == "personal_number"
    assert rows[3].changes == {"date_of_death": [None, "2026-10-14"]}
    assert rows[4].outcome == "unchanged"
    assert _reasons(rows[5]) == [
        "personal_number: A personal number has exactly 11 digits; this one has 10 — a leading "
        "zero may have been lost: format the column as text."
    ]
    assert _reasons(rows[7]) == [
        ": No one in the registry matches this row, and this source registers no one."
    ]
    assert _reasons(rows[8]) == ["personal_number: The same personal number is already in row 2."]
    assert _reasons(rows[9]) == [
        "date_of_death: “31/02/2026” is not a date written as YYYY-MM-DD / DD.MM.YYYY / DD/MM/YYYY."
    ]
    assert _reasons(rows[10]) == ["personal_number: A personal number has exactly 11 digits."]
    assert rows[6].outcome == "rejected"
    assert job.summary["rows"] == 9
    assert (job.summary["changed"], job.summary["unchanged"], job.summary["rejected"]) == (2, 1, 6)
    # Nothing written by a dry run.
    assert Person.objects.get(pk=people[0].pk).date_of_death is None


def test_death_before_birth_is_rejected_by_the_registry_rule(people):
    job = dry_run(deaths_source(), csv_upload("PN,Died\n01001000001,1939-01-01\n"))
    assert _reasons(_rows(job)[2]) == [
        "date_of_death: The date of death cannot precede the birth date."
    ]


def test_commit_applies_and_the_same_file_again_changes_nothing(
    people, django_capture_on_commit_callbacks
):
    source = deaths_source()
    text = "PN,Died\n01001000001,2026-10-01\n01001000002,2026-10-14\n01001000099,2026-10-14\n"
    checked = dry_run(source, csv_upload(text))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = commit(checked)
    assert job.status == JobStatus.DONE
    assert job.summary["changed"] == 2 and job.summary["deaths"] == 2
    assert job.summary["rejected"] == 1  # not found: the others are still applied
    assert callbacks  # the enrolments of the dead end once the commit is stored
    assert Person.objects.get(pk=people[0].pk).date_of_death == date(2026, 10, 1)
    assert Person.objects.get(pk=people[1].pk).date_of_death == date(2026, 10, 14)
    again = commit(dry_run(source, csv_upload(text)))
    assert (again.summary["changed"], again.summary["unchanged"]) == (0, 2)


def test_a_dry_run_is_committed_once(people):
    checked = dry_run(deaths_source(), csv_upload("PN,Died\n01001000001,2026-10-01\n"))
    commit(checked)
    with pytest.raises(ValidationError, match="committed already"):
        import_commit(actor=system_actor(), checked=checked, enqueue=False)


def test_a_person_changed_after_the_dry_run_is_reported_not_overwritten(people):
    checked = dry_run(deaths_source(), csv_upload("PN,Died\n01001000001,2026-10-01\n"))
    Person.objects.filter(pk=people[0].pk).update(date_of_death=date(2026, 9, 1))
    # The commit applies what the dry run showed, or nothing of that row.
    job = commit(checked)
    assert _reasons(_rows(job)[2]) == [
        ": Not what the dry run showed (the registry changed since): read the file again."
    ]
    assert job.summary["changed"] == 0 and job.summary["rejected"] == 1
    assert Person.objects.get(pk=people[0].pk).date_of_death == date(2026, 9, 1)


def test_a_source_changed_after_the_dry_run_is_read_again(people):
    source = deaths_source()
    checked = dry_run(source, csv_upload("PN,Died\n01001000001,2026-10-01\n"))
    source.all_or_nothing = True
    source.save()
    with pytest.raises(ValidationError, match="The source was changed after this dry run"):
        import_commit(actor=system_actor(), checked=checked, enqueue=False)


def test_a_municipal_list_shows_nothing_of_people_registered_elsewhere(people):
    """Kutaisi's list naming someone of Zugdidi: refused, naming no one, changing nothing."""
    stranger = household("zugdidi", head={"personal_number": "01001000055"}).memberships.get()
    source = municipal_list(updates=["is_idp"])
    header = ",".join(source.mapping.values())
    line = "m9,01001000055,გიორგი,ბერიძე,1980-05-17,მ,f1,თავი,kutaisi,ქუთაისი,1"
    job = dry_run(source, csv_upload(f"{header}\n{line}\n"))
    row = _rows(job)[2]
    assert (row.outcome, row.person_id, row.changes) == ("rejected", None, {})
    assert _reasons(row) == [
        ": This person is registered in another municipality: their office updates them."
    ]
    assert not Person.objects.get(pk=stranger.person_id).is_idp


def test_all_or_nothing_source_applies_nothing_when_a_row_is_rejected(people):
    source = deaths_source(all_or_nothing=True)
    checked = dry_run(
        source, csv_upload("PN,Died\n01001000001,2026-10-01\n01001000099,2026-10-01\n")
    )
    with pytest.raises(ValidationError, match="1 rows are rejected"):
        import_commit(actor=system_actor(), checked=checked, enqueue=False)
    assert Person.objects.get(pk=people[0].pk).date_of_death is None


def test_bom_and_windows_1252(people):
    source = deaths_source()
    job = dry_run(source, csv_upload("PN,Died\n01001000001,2026-10-01\n", bom=True))
    assert _rows(job)[2].outcome == "changed"
    source.mapping["last_name"] = "Surname"
    source.save()
    text = "PN,Surname,Died\n01001000001,Müller,2026-10-01\n01001000002,Smith,2026-10-01\n"
    job = dry_run(source, csv_upload(text, encoding="cp1252"))
    rows = _rows(job)
    assert _reasons(rows[2]) == [
        ": The text is not utf-8 (a character was replaced): save the file as CSV UTF-8 or set "
        "the source's encoding."
    ]
    assert rows[3].outcome == "changed"
    source.encoding = "cp1252"
    source.save()
    assert _rows(dry_run(source, csv_upload(text, encoding="cp1252")))[2].outcome == "changed"


def test_file_level_refusals_at_once(people, settings):
    source = deaths_source()
    with pytest.raises(ValidationError) as empty:
        import_start(actor=system_actor(), source=source, upload=csv_upload(""), enqueue=False)
    assert empty.value.message_dict == {"file": ["The file is empty."]}
    with pytest.raises(ValidationError) as missing:
        import_start(
            actor=system_actor(), source=source, upload=csv_upload("PN;Date\n1;2\n"), enqueue=False
        )
    assert missing.value.message_dict == {
        "file": [
            "The file has no column “Died”, which the source's mapping names. Its columns are: "
            "“PN”, “Date”."
        ]
    }
    with pytest.raises(ValidationError) as kind:
        import_start(
            actor=system_actor(), source=source, upload=csv_upload("x", name="a.pdf"), enqueue=False
        )
    assert kind.value.message_dict == {"file": ["Send a CSV or an XLSX file (a.pdf is neither)."]}
    settings.IMPORT_MAX_UPLOAD_MB = 0
    with pytest.raises(ValidationError, match="larger than 0 MB"):
        import_start(
            actor=system_actor(), source=source, upload=csv_upload("PN,Died\n"), enqueue=False
        )


def test_xlsx_formulas_merged_cells_and_numbers(people):
    source = deaths_source()
    upload = xlsx_upload(
        [
            ["PN", "Died"],
            ["01001000001", date(2026, 10, 1)],
            ["01001000002", "=TODAY()"],
            [1001000003, "2026-10-01"],
            ["01001000003", "2026-10-01"],
            ["01001000003", "2026-10-01"],
        ],
        merge="A5:A6",
    )
    rows = _rows(dry_run(source, upload))
    assert rows[2].outcome == "changed"
    assert _reasons(rows[3]) == [
        "date_of_death: The cell holds a formula (=TODAY()): paste its value."
    ]
    assert "a leading zero may have been lost" in _reasons(rows[4])[0]
    assert _reasons(rows[5])[0] == (
        ": The row is part of merged cells A5:A6: unmerge them and fill in each row."
    )


def test_municipal_list_registers_households_head_first(people):
    source = municipal_list()
    text = (
        "id,pn,first,last,born,sex,family,role,municipality,address,idp\n"
        "m1,01002000001,ნინო,კაპანაძე,1970-02-03,ქ,f1,თავი,kutaisi,წერეთლის 5,0\n"
        "m2,01002000002,ლუკა,კაპანაძე,2010-05-06,მ,f1,child,kutaisi,წერეთლის 5,0\n"
        "m3,01002000003,ანა,კაპანაძე,2012-05-06,ქ,f2,child,kutaisi,წერეთლის 7,0\n"  # no head yet
        "m4,01002000004,ეკა,გელაშვილი,1975-01-01,ქ,f1,head,kutaisi,წერეთლის 5,0\n"  # second head
        "m5,01001000001,გიორგი,ბერიძე,1940-03-02,მ,f1,child,kutaisi,წერეთლის 5,1\n"  # elsewhere
        "m6,01002000006,დათო,ხუციშვილი,1980-01-01,მ,f3,head,zugdidi,ზვიადის 1,0\n"  # other mun.
    )
    dry = dry_run(source, csv_upload(text))
    rows = _rows(dry)
    assert rows[2].outcome == rows[3].outcome == "new"
    assert _reasons(rows[4]) == [
        "household_ref: The household's head must come before its members in the file."
    ]
    assert _reasons(rows[5]) == ["relationship: The household already has a head (row 2)."]
    assert _reasons(rows[6]) == [
        f"household_ref: This person already belongs to household #"
        f"{people[0].memberships.get().household_id}; the file puts them in another (its head is "
        "in row 2). End one membership first."
    ]
    assert _reasons(rows[7]) == ["municipality: This source's people live in its own municipality."]
    before = Household.objects.count()
    job = commit(dry)
    assert job.summary["new"] == 2
    assert Household.objects.count() == before + 1
    nino = Person.objects.get(personal_number="01002000001")
    luka = Person.objects.get(personal_number="01002000002")
    assert nino.first_name_latin == "Nino" and nino.municipality.code == "kutaisi"
    family = Membership.objects.get(person=nino).household
    assert Membership.objects.get(person=luka).household == family
    assert family.address == "წერეთლის 5"
    assert set(SourceLink.objects.values_list("record_id", flat=True)) == {"m1", "m2"}
    # The same file again registers no one twice: all found by their record numbers.
    again = commit(dry_run(source, csv_upload(text)))
    assert again.summary["new"] == 0 and Household.objects.count() == before + 1
    assert {_rows(again)[2].method, _rows(again)[3].method} == {"link"}


def test_a_row_is_found_by_name_and_birth_date_without_a_number(people):
    source = deaths_source(
        mapping={"first_name": "n", "last_name": "s", "birth_date": "b", "date_of_death": "d"}
    )
    Person.objects.filter(pk__in=[p.pk for p in people[1:]]).update(birth_date=date(1999, 1, 1))
    job = dry_run(source, csv_upload("n,s,b,d\nGiorgi,Beridze,02.03.1940,2026-10-01\n"))
    row = _rows(job)[2]
    assert (row.outcome, row.method, row.person_id) == ("changed", "name_birth", people[0].pk)
    twin = member(people[0].memberships.get().household, birth_date=date(1940, 3, 2))
    assert twin.name_key == people[0].name_key
    job = dry_run(source, csv_upload("n,s,b,d\nGiorgi,Beridze,02.03.1940,2026-10-01\n"))
    assert _reasons(_rows(job)[2]) == [
        ": 2 people in the registry have this name and birth date: add the personal number."
    ]


def test_source_settings_are_checked(people):
    admin = system_actor()
    with pytest.raises(ValidationError) as error:
        source_save(
            actor=admin,
            data={
                "code": "bad",
                "name": "Bad",
                "mapping": {"date_of_death": "d", "salary": "s"},
                "updates": ["date_of_death", "personal_number"],
                "date_formats": ["%Y"],
                "creates": True,
            },
        )
    problems = error.value.message_dict
    assert "“salary” is not a field an import fills." in problems["mapping"]
    assert any("finds people" in m for m in problems["mapping"])
    assert problems["updates"] == ["An import may not change “personal_number”."]
    assert problems["date_formats"] == ["“%Y” is not a date format."]
    assert problems["creates"][0].startswith("To register people, map also:")


def test_who_may_import(people, make_user):
    national = deaths_source()
    kutaisi = municipal_list()
    upload = "PN,Died\n01001000001,2026-10-01\n"
    for role, scope in ((Role.SOCIAL_WORKER, {"office": "sca-ge-im"}), (Role.ANALYST, {})):
        with pytest.raises(PermissionDenied, match="Your role does not allow"):
            import_start(
                actor=make_user(role, **scope),
                source=national,
                upload=csv_upload(upload),
                enqueue=False,
            )
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(PermissionDenied, match="national staff"):
        import_start(actor=officer, source=national, upload=csv_upload(upload), enqueue=False)
    stranger = make_user(Role.MUNICIPAL_OFFICER, municipality="zugdidi")
    header = ",".join(kutaisi.mapping.values()) + "\n"
    with pytest.raises(PermissionDenied, match="outside your area"):
        import_start(actor=stranger, source=kutaisi, upload=csv_upload(header), enqueue=False)
    job = import_start(actor=officer, source=kutaisi, upload=csv_upload(header), enqueue=False)
    assert import_execute(job=job).status == JobStatus.DONE
    with pytest.raises(PermissionDenied):
        source_save(actor=officer, data={"name": "x"})
    health = deaths_source(
        code="disability",
        mapping={"personal_number": "PN", "disability_degree": "D"},
        updates=["disability_degree"],
    )
    clerk = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    health.municipality = clerk.municipality
    health.save()
    with pytest.raises(PermissionDenied, match="health details"):
        import_start(actor=clerk, source=health, upload=csv_upload("PN,D\n"), enqueue=False)


def test_a_death_from_the_civil_registry_ends_the_enrolment(django_capture_on_commit_callbacks):
    """What a deaths feed may change reaches payments through their rules: the enrolment of
    the dead ends (its later lines are held, what was paid after is proposed for recovery)."""
    from django.utils import timezone

    from zrunva.applications.models import Enrolment
    from zrunva.applications.tests.factories import enrolled_application

    enrolment = Enrolment.objects.get(application=enrolled_application())
    person = enrolment.person
    died = timezone.localdate()
    checked = dry_run(deaths_source(), csv_upload(f"PN,Died\n{person.personal_number},{died}\n"))
    with django_capture_on_commit_callbacks(execute=True):
        job = commit(checked)
    assert job.summary["deaths"] == 1
    enrolment.refresh_from_db()
    assert enrolment.ends is not None and enrolment.end_reason == "death"


def test_a_change_by_import_is_in_the_person_history(people):
    from auditlog.models import LogEntry

    commit(dry_run(deaths_source(), csv_upload("PN,Died\n01001000001,2026-10-01\n")))
    entry = LogEntry.objects.filter(object_id=people[0].pk, additional_data__source="civil-deaths")
    assert entry.get().changes == {"date_of_death": ["None", "2026-10-01"]}
