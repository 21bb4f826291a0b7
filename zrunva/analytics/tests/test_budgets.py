"""Municipal social budgets: the XLSX import's row-level report and its all-or-nothing
commit, execution against payments worked out by hand, who may enter a budget where, and the
public pages' small cells."""

import io
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.analytics import selectors_budgets as budgets
from zrunva.analytics import services_budgets as services
from zrunva.analytics.models import BudgetLine
from zrunva.analytics.tests import factories_budgets as f
from zrunva.geo.models import Municipality

pytestmark = pytest.mark.django_db


@pytest.fixture
def kutaisi():
    return Municipality.objects.get(code="kutaisi")


@pytest.fixture
def officer(make_user):
    return make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")


# -- Import ----------------------------------------------------------------------------------------


def test_the_import_reports_each_faulty_row_and_column_and_writes_nothing(officer, kutaisi):
    f.municipal_programme("kutaisi_winter")
    upload = f.workbook(
        [
            ["kutaisi", 2026, "kutaisi_winter", "", "", 120000],  # row 2: good
            ["Kutaisi", 2026, "", "სამედიცინო დახმარება", "Medical aid", "125 000,50"],  # 3: good
            ["Atlantis", 2026, "", "ხაზი", "", 100],  # 4: unknown municipality
            ["kutaisi", 2026, "", "ტრანსპორტი", "", "ათასი ლარი"],  # 5: text in the amount
            ["kutaisi", 2026, "", "საკვები", "", -5],  # 6: negative
            ["kutaisi", 2026, "kutaisi_winter", "", "", 5],  # 7: repeats row 2
            ["zugdidi", 2026, "", "ხაზი", "", 10],  # 8: outside the officer's area
            ["kutaisi", 2026, "no_such", "", "", 10],  # 9: unknown programme
            [None, None, None, None, None, None],  # blank: skipped
        ]
    )
    done = services.budget_import_preview(actor=officer, upload=upload)
    found = {(e["row"], e["column"]): e["message"] for e in done.errors}
    assert found == {
        (4, "A"): "Unknown municipality: “Atlantis” (a code or a name, as on the Codes sheet).",
        (5, "F"): "Text where an amount is expected: “ათასი ლარი”.",
        (6, "F"): "A negative amount: -5.",
        (7, "C"): "The same line as row 2: each line once per municipality and year.",
        (8, "A"): "Zugdidi is outside your area: you may not enter its budget.",
        (9, "C"): "Unknown municipal programme: “no_such”.",
    }
    assert done.summary == {"rows": 8, "errors": 6, "new": 2, "changed": 0, "same": 0}
    with pytest.raises(ValidationError, match="6 errors in the file"):
        services.budget_import_commit(actor=officer, budget_import=done)
    assert not BudgetLine.objects.exists()


def test_a_clean_import_is_written_whole_and_a_second_changes_amounts(officer, kutaisi):
    programme = f.municipal_programme("kutaisi_winter")
    rows = [
        ["kutaisi", 2026, "kutaisi_winter", "", "", 120000],
        ["ქუთაისი", 2026, "", "სამედიცინო დახმარება", "Medical aid", "125 000,50"],
    ]
    done = services.budget_import_preview(actor=officer, upload=f.workbook(rows))
    assert done.errors == [] and BudgetLine.objects.count() == 0  # the preview writes nothing
    services.budget_import_commit(actor=officer, budget_import=done)
    lines = {(line.programme_id, line.name_ka): line.planned for line in BudgetLine.objects.all()}
    assert lines == {
        (programme.pk, ""): Decimal("120000.00"),
        (None, "სამედიცინო დახმარება"): Decimal("125000.50"),
    }
    rows[0][5] = 130000
    again = services.budget_import_preview(actor=officer, upload=f.workbook(rows))
    assert again.summary["changed"] == 1 and again.summary["same"] == 1
    services.budget_import_commit(actor=officer, budget_import=again)
    assert BudgetLine.objects.get(programme=programme).planned == Decimal("130000.00")
    # The earlier amount is kept by the audit trail, the line's versions.
    changes = LogEntry.objects.get_for_object(BudgetLine.objects.get(programme=programme))
    assert changes.filter(action=LogEntry.Action.UPDATE).exists()
    with pytest.raises(ValidationError, match="already been written"):
        services.budget_import_commit(actor=officer, budget_import=again)


def test_the_commit_is_all_or_nothing(officer, kutaisi, monkeypatch):
    f.municipal_programme("kutaisi_winter")
    rows = [
        ["kutaisi", 2026, "", "პირველი", "", 100],
        ["kutaisi", 2026, "", "მეორე", "", 200],
        ["kutaisi", 2026, "kutaisi_winter", "", "", 300],
    ]
    done = services.budget_import_preview(actor=officer, upload=f.workbook(rows))
    saved = []
    original = BudgetLine.save

    def failing_save(self, *args, **kwargs):
        if len(saved) == 2:
            raise RuntimeError("the database went away")
        saved.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(BudgetLine, "save", failing_save)
    with pytest.raises(RuntimeError):
        services.budget_import_commit(actor=officer, budget_import=done)
    assert len(saved) == 2 and not BudgetLine.objects.exists()


def test_a_file_without_the_columns_is_refused_whole(officer):
    upload = f.workbook([["kutaisi", 2026]], header=["Place", "Year"])
    with pytest.raises(ValidationError, match="missing: Municipality, Planned, GEL"):
        services.budget_import_preview(actor=officer, upload=upload)


def test_the_template_downloads_for_an_officer(officer):
    client = Client()
    client.force_login(officer)
    response = client.get(reverse("analytics:budget_template"))
    assert response.status_code == 200
    upload = f.workbook([])  # the template's header row is the one the import reads
    template = services.budget_template()
    assert template[:2] == b"PK" and upload


# -- Scope -----------------------------------------------------------------------------------------


def test_a_kutaisi_officer_enters_kutaisis_budget_but_not_zugdidis(officer, kutaisi):
    client = Client()
    client.force_login(officer)
    body = {"name_ka": "სამედიცინო", "name_en": "Medical", "planned": "5000", "source": ""}
    response = client.post(reverse("analytics:budget_line_add", args=["kutaisi", 2026]), body)
    assert response.status_code == 302
    assert BudgetLine.objects.get().municipality == kutaisi
    response = client.post(reverse("analytics:budget_line_add", args=["zugdidi", 2026]), body)
    assert response.status_code == 403
    assert BudgetLine.objects.count() == 1
    assert LogEntry.objects.filter(actor=officer, additional_data__attempt=True).exists()
    zugdidi = Municipality.objects.get(code="zugdidi")
    with pytest.raises(PermissionDenied):
        services.budget_line_save(
            actor=officer,
            line=None,
            data={"municipality": zugdidi, "year": 2026, "name_ka": "x", "planned": Decimal(1)},
        )
    api = client.post(
        "/api/v1/budget-lines",
        {"municipality": "zugdidi", "year": 2026, "name_ka": "x", "planned": "1.00"},
        content_type="application/json",
    )
    assert api.status_code == 403
    api = client.post(
        "/api/v1/budget-lines",
        {"municipality": "kutaisi", "year": 2026, "name_ka": "y", "planned": "-1"},
        content_type="application/json",
    )
    assert api.status_code == 422
    # Deleting: the officer's own municipality's line, not another's.
    other = BudgetLine.objects.create(
        municipality=zugdidi, year=2026, name_ka="z", planned=Decimal(1), entered_by=officer
    )
    assert client.delete(f"/api/v1/budget-lines/{other.pk}").status_code == 403
    own = BudgetLine.objects.get(municipality=kutaisi)
    deleted = client.delete(f"/api/v1/budget-lines/{own.pk}")
    assert (deleted.status_code, deleted.json()["id"]) == (200, own.pk)
    assert list(BudgetLine.objects.all()) == [other]


def test_an_administrator_enters_any_budget_and_an_analyst_none(make_user):
    admin, analyst = make_user(Role.ADMIN), make_user(Role.ANALYST)
    zugdidi = Municipality.objects.get(code="zugdidi")
    data = {"municipality": zugdidi, "year": 2026, "name_ka": "x", "planned": Decimal("10")}
    assert services.budget_line_save(actor=admin, line=None, data=data).planned == 10
    with pytest.raises(PermissionDenied):
        services.budget_line_save(actor=analyst, line=None, data=data | {"name_ka": "y"})


def test_a_programme_of_another_municipality_is_refused(officer, kutaisi):
    other = f.municipal_programme("zugdidi_winter", municipality="zugdidi")
    with pytest.raises(ValidationError) as error:
        services.budget_line_save(
            actor=officer,
            line=None,
            data={"municipality": kutaisi, "year": 2026, "programme": other, "planned": 1},
        )
    assert error.value.message_dict["programme"] == [
        "The programme zugdidi_winter is not this municipality's."
    ]


# -- Execution -------------------------------------------------------------------------------------


@pytest.fixture
def year_of_payments(officer, kutaisi, make_user):
    """Kutaisi, 2026. Households' programme: 12 households paid 50 in January (a payroll
    answered by the bank), one line returned, one held, one cancelled; 3 more households due
    150 in total in an approved payroll (pending); 2 lines due in a payroll only checked (not
    counted); 40 paid in December 2025 (another year). Persons' programme: 3 persons paid 100.
    Planned: 2 000 and 1 000, and a line Zrunva does not pay, 5 000."""
    homes = f.municipal_programme("kutaisi_homes")
    persons = f.municipal_programme("kutaisi_persons", level="person")
    january = f.payroll(officer, date(2026, 1, 1), "reconciled")
    for household in range(1, 13):
        f.pay(january, homes, household=household, amount="50.00", status="paid")
    f.pay(january, homes, household=20, amount="50.00", status="returned")
    f.pay(january, homes, household=21, amount="50.00", status="held")
    f.pay(january, homes, household=22, amount="50.00", status="cancelled")
    for person in (1, 2, 3):
        f.pay(
            january, persons, household=30 + person, person=person, amount="100.00", status="paid"
        )
    february = f.payroll(officer, date(2026, 2, 1), "approved")
    for household in (13, 14, 15):
        f.pay(february, homes, household=household, amount="50.00", status="due")
    march = f.payroll(officer, date(2026, 3, 1), "checked")
    for household in (16, 17):
        f.pay(march, homes, household=household, amount="50.00", status="due")
    december = f.payroll(officer, date(2025, 12, 1), "reconciled")
    f.pay(december, homes, household=1, amount="40.00", status="paid")
    for programme, planned in ((homes, "2000"), (persons, "1000")):
        BudgetLine.objects.create(
            municipality=kutaisi,
            year=2026,
            programme=programme,
            planned=Decimal(planned),
            entered_by=officer,
        )
    BudgetLine.objects.create(
        municipality=kutaisi,
        year=2026,
        name_ka="სამედიცინო",
        planned=Decimal("5000"),
        entered_by=officer,
    )
    return homes, persons


def test_execution_equals_the_payments_worked_out_by_hand(year_of_payments, kutaisi):
    homes, persons = year_of_payments
    table = budgets.municipality_budget(municipality=kutaisi, year=2026, shown_small=True)
    found = {
        r.programme_code or r.label: (
            r.planned,
            r.executed,
            r.pending,
            r.execution,
            r.recipients.count,
        )
        for r in table.rows
    }
    assert found == {
        "kutaisi_homes": (
            Decimal("2000.00"),
            Decimal("600.00"),
            Decimal("150.00"),
            Decimal("30.0"),
            15,
        ),
        "kutaisi_persons": (
            Decimal("1000.00"),
            Decimal("300.00"),
            Decimal("0.00"),
            Decimal("30.0"),
            3,
        ),
        "სამედიცინო": (Decimal("5000.00"), Decimal("0.00"), Decimal("0.00"), None, None),
    }
    total = table.total
    # Execution against the lines Zrunva pays (2 000 + 1 000), not the 5 000 it does not.
    assert (total.planned, total.tracked, total.executed, total.execution) == (
        Decimal("8000.00"),
        Decimal("3000.00"),
        Decimal("900.00"),
        Decimal("30.0"),
    )
    assert total.recipients.count == 18
    assert total.executed_per_capita == (Decimal(900) / kutaisi.population).quantize(
        Decimal("0.01")
    )
    years = budgets.budget_over_years(municipality=kutaisi, shown_small=True)
    assert [(r.key, r.executed) for r in years.rows] == [
        (2025, Decimal("40.00")),
        (2026, Decimal("900.00")),
    ]


def test_small_recipient_counts_are_hidden_with_the_secondary_cell(year_of_payments, kutaisi):
    table = budgets.municipality_budget(municipality=kutaisi, year=2026, shown_small=False)
    shown = {r.programme_code or r.label: str(r.recipients) for r in table.rows}
    # 3 is hidden; 15 too, or the total (18) would give it back.
    assert shown == {"kutaisi_homes": "<10", "kutaisi_persons": "<10", "სამედიცინო": ""}
    # With them the amounts paid (600 ÷ 50 = 12 households) and execution; not the plan.
    assert [(r.planned, r.executed, r.pending, r.execution) for r in table.rows[1:]] == [
        (Decimal("2000.00"), None, None, None),
        (Decimal("1000.00"), None, None, None),
    ]
    assert str(table.total.recipients) == "18" and table.total.executed == Decimal("900.00")
    region = budgets.region_budgets(region=kutaisi.region, year=2026, shown_small=False)
    assert [(r.label, str(r.recipients), r.executed) for r in region.rows] == [
        (kutaisi.name_en, "18", Decimal("900.00"))
    ]


def test_the_public_pages_and_files_suppress_small_counts(year_of_payments, kutaisi):
    client = Client()
    page = client.get(reverse("open:budget_municipality", args=["kutaisi"]) + "?year=2026")
    html = page.content.decode()
    assert page.status_code == 200
    assert "&lt;10" in html and ">15<" not in html and "600.00" not in html
    assert ">2,000.00<" in html and ">900.00<" in html  # the plan, and the total shown
    csv = client.get(
        reverse("open:budget_municipality", args=["kutaisi"]) + "?year=2026&format=csv"
    )
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "<10" in text and ",15," not in text
    api = client.get("/api/v1/budgets/kutaisi?year=2026").json()
    assert [(r["programme"], r["recipients"], r["executed"]) for r in api["rows"]] == [
        ("", None, "0.00"),  # the largest line first: 5 000, a line Zrunva does not pay
        ("kutaisi_homes", "<10", None),
        ("kutaisi_persons", "<10", None),
    ]
    assert api["total"]["executed"] == "900.00" and api["total"]["execution"] == "30.0"
    region = client.get(
        reverse("open:budget_region", args=[kutaisi.region.iso_code]) + "?year=2026"
    )
    assert region.status_code == 200


def test_staff_who_read_the_registry_see_the_small_counts_and_are_audited(
    year_of_payments, officer
):
    client = Client()
    client.force_login(officer)
    html = client.get(reverse("analytics:budget_municipality", args=["kutaisi"]) + "?year=2026")
    assert ">15<" in html.content.decode()
    assert LogEntry.objects.filter(actor=officer, additional_data__purpose="search").exists()


def test_execution_is_rounded_half_up_to_one_place():
    row = budgets.Row(
        key=1,
        label="x",
        planned=Decimal("8000"),
        tracked=Decimal("8000"),
        executed=Decimal("900"),  # 11.25 %
        pending=Decimal("0"),
        recipients=budgets.Recipients(20),
    )
    assert row.execution == Decimal("11.3")


def test_the_public_budget_page_reads_in_a_few_queries(
    year_of_payments, django_assert_max_num_queries
):
    client = Client()
    with django_assert_max_num_queries(12):
        assert client.get("/open/budgets/kutaisi/?year=2026").status_code == 200


# -- One suppression pattern per region; small cells only in one's area ---------------------------


@pytest.fixture
def imereti(officer, kutaisi):
    """Imereti, 2026: Kutaisi pays 15 households (line A) and 12 (line B), 50 each;
    Zestaponi 3 (line C). Worked out by hand: C (3) is under ten; the region's total (30) beside
    Kutaisi's (27) would give Zestaponi's 3 back, so Kutaisi's total is hidden too; and then
    Kutaisi's lines (15 + 12) would give its total back, so the smaller, B, is hidden."""
    payroll = f.payroll(officer, date(2026, 1, 1), "reconciled")
    household = iter(range(1, 100))
    programmes = {}
    for code, place, paid in (
        ("k_a", "kutaisi", 15),
        ("k_b", "kutaisi", 12),
        ("z_c", "zestaponi", 3),
    ):
        programme = programmes[code] = f.municipal_programme(code, municipality=place)
        for _ in range(paid):
            f.pay(payroll, programme, household=next(household), amount="50.00", status="paid")
        BudgetLine.objects.create(
            municipality=programme.municipality,
            year=2026,
            programme=programme,
            planned=Decimal("1000"),
            entered_by=officer,
        )
    return programmes


def _seen(table):
    return [(r.label, str(r.recipients), r.executed) for r in [*table.rows, table.total]]


def test_the_municipality_page_hides_what_the_region_page_hides(imereti, kutaisi):
    region = budgets.region_budgets(region=kutaisi.region, year=2026, shown_small=False)
    assert _seen(region) == [
        ("Kutaisi", "<10", None),
        ("Zestaponi", "<10", None),
        ("Imereti", "30", Decimal("1500.00")),
    ]
    page = budgets.municipality_budget(municipality=kutaisi, year=2026, shown_small=False)
    assert [(r.programme_code, str(r.recipients), r.executed) for r in page.rows] == [
        ("k_a", "15", Decimal("750.00")),
        ("k_b", "<10", None),
    ]
    assert (str(page.total.recipients), page.total.executed, page.total.planned) == (
        "<10",
        None,
        Decimal("2000.00"),
    )
    years = budgets.budget_over_years(municipality=kutaisi, shown_small=False)
    assert [(r.key, str(r.recipients), r.executed) for r in years.rows] == [(2026, "<10", None)]
    assert years.total.executed is None
    shown = budgets.municipality_budget(municipality=kutaisi, year=2026, shown_small=True)
    assert [str(r.recipients) for r in shown.rows] == ["15", "12"] and shown.total.executed == 1350


def _recipients(response):
    table = response.context["table"]
    return [str(r.recipients) for r in [*table.rows, table.total]]


def test_small_cells_are_shown_only_in_the_users_area(imereti, officer, make_user):
    client = Client()
    client.force_login(officer)  # a Kutaisi officer
    own = client.get(reverse("analytics:budget_municipality", args=["kutaisi"]) + "?year=2026")
    assert _recipients(own) == ["15", "12", "27"]
    other = client.get(reverse("analytics:budget_municipality", args=["zestaponi"]) + "?year=2026")
    assert _recipients(other) == ["<10", "<10"]
    region = reverse("analytics:budget_region", args=["GE-IM"]) + "?year=2026"
    assert _recipients(client.get(region)) == ["<10", "<10", "30"]  # not all of Imereti is his
    client.force_login(make_user(Role.ADMIN))  # the whole country
    assert _recipients(client.get(region)) == ["27", "3", "30"]


def test_another_users_import_is_not_found_and_the_attempt_audited(officer, make_user):
    done = services.budget_import_preview(
        actor=officer, upload=f.workbook([["kutaisi", 2026, "", "ხაზი", "", 10]])
    )
    colleague = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    client = Client()
    client.force_login(colleague)
    url = reverse("analytics:budget_import_preview", args=[done.pk])
    assert client.get(url).status_code == 404
    attempt = LogEntry.objects.get(actor=colleague, additional_data__attempt=True)
    assert (attempt.object_pk, attempt.additional_data["status"]) == (str(done.pk), 404)
    client.force_login(officer)
    assert client.get(url).status_code == 200


# -- Files the import refuses, or rows it reports, never a crash ----------------------------------

HUGE = [
    ["kutaisi", 2026, "", "პირველი", "", "1e30"],  # row 2: text
    ["kutaisi", 2026, "", "მეორე", "", 1e30],  # row 3: a number
    ["kutaisi", 2026, "", "მესამე", "", "1E+40"],  # row 4: text
]
TOO_LARGE = {
    (2, "F"): "The amount is too large: 1e30.",
    (3, "F"): "The amount is too large: 1e+30.",
    (4, "F"): "The amount is too large: 1E+40.",
}


def test_huge_amounts_are_row_errors_on_the_page_and_in_the_api(officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    page = client.post(reverse("analytics:budget_import"), {"file": f.workbook(HUGE)})
    assert page.status_code == 302
    api = client.post("/api/v1/budget-imports", {"file": f.workbook(HUGE)})
    assert api.status_code == 201
    assert {(e["row"], e["column"]): e["message"] for e in api.json()["errors"]} == TOO_LARGE
    done = services.budget_import_preview(actor=officer, upload=f.workbook(HUGE))
    assert {(e["row"], e["column"]): e["message"] for e in done.errors} == TOO_LARGE


def test_an_api_upload_over_5_mb_is_refused(officer):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    upload = io.BytesIO(b"PK" + b"\0" * (5 * 1024 * 1024))
    upload.name = "budget.xlsx"
    response = client.post("/api/v1/budget-imports", {"file": upload})
    assert response.status_code == 400
    assert "A file of at most 5 MB." in response.content.decode()


def test_a_long_sheet_and_a_damaged_sheet_are_refused_whole(officer, monkeypatch):
    monkeypatch.setattr(services, "MAX_ROWS_READ", 3)
    # Rows blank in the columns read, but present in the sheet (a note in column H).
    blank = [[None] * 7 + ["note"] for _ in range(4)]
    with pytest.raises(ValidationError, match="goes on past row 4"):
        services.budget_import_preview(actor=officer, upload=f.workbook(blank))
    good = f.workbook([["kutaisi", 2026, "", "ხაზი", "", 10]])
    damaged = io.BytesIO()
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for part in source.infolist():
            data = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                data = data[: data.index(b'<row r="2"') + 30]  # cut inside the second row
            target.writestr(part, data)
    damaged.seek(0)
    with pytest.raises(ValidationError, match="cannot be read to its end"):
        services.budget_import_preview(actor=officer, upload=damaged)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    damaged.seek(0)
    damaged.name = "budget.xlsx"
    api = client.post("/api/v1/budget-imports", {"file": damaged})
    assert api.status_code == 400 and "cannot be read to its end" in api.content.decode()
