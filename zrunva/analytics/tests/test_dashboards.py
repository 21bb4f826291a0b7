"""The dashboards, the public page, their files and the API: who sees which area, and small
cells suppressed (with the secondary suppression) wherever an analyst or the public reads."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.test import Client

from zrunva.accounts.choices import Role
from zrunva.analytics import indicators
from zrunva.analytics.models import BenefitMonth, GrievanceMonth, RegistryCoverage
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db
MONTH = date(2026, 11, 1)
QUERY = "first=2026-11&last=2026-11"


@pytest.fixture
def figures():
    """Kutaisi: 25 people in 3 households, 40 recipients of the TSA; Tkibuli: 5 people in 2
    households, 4 recipients; grievances in Kutaisi: about service quality 30 open, 20 in
    review, 4 resolved."""
    kutaisi = Municipality.objects.get(code="kutaisi")
    tkibuli = Municipality.objects.get(code="tkibuli")
    for place, people, households in ((kutaisi, 25, 3), (tkibuli, 5, 2)):
        RegistryCoverage.objects.create(
            municipality=place,
            people=people,
            households=households,
            assessed=households,
            scored=households,
            open_cases=0,
        )
    tsa = Programme.objects.get(code="tsa")
    for place, recipients, amount in ((kutaisi, 40, "2400.00"), (tkibuli, 4, "240.00")):
        BenefitMonth.objects.create(
            month=MONTH,
            municipality=place,
            programme=tsa,
            source="payments",
            recipients=recipients,
            households=recipients,
            amount=Decimal(amount),
        )
    for status, count in (("open", 30), ("in_review", 20), ("resolved", 4)):
        GrievanceMonth.objects.create(
            month=MONTH,
            municipality=kutaisi,
            category="service_quality",
            status=status,
            grievances=count,
        )
    return {"kutaisi": kutaisi, "tkibuli": tkibuli}


def _csv(response) -> dict[str, list[str]]:
    assert response.status_code == 200, response.status_code
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    return {row[0]: row[1:] for row in rows[1:]}


def test_secondary_suppression_of_an_area_table():
    places = {
        1: {"code": "a1", "name": "A1", "region": 10, "region_name": "A", "population": 1},
        2: {"code": "a2", "name": "A2", "region": 10, "region_name": "A", "population": 1},
        3: {"code": "a3", "name": "A3", "region": 10, "region_name": "A", "population": 1},
        4: {"code": "b1", "name": "B1", "region": 20, "region_name": "B", "population": 1},
    }
    values = {
        1: {"recipients": 25, "amount": 100},
        2: {"recipients": 5, "amount": 20},
        3: {"recipients": 40, "amount": 160},
        4: {"recipients": 50, "amount": 200},
    }
    rows = indicators._area_rows(
        places, values, counts={"recipients": ["amount"]}, suppress=True, total_label="All"
    )
    got = {r["name"]: (r["recipients"], bool(r["hidden"])) for r in rows}
    # A2 is small; region A's total (70) would give it back from A1 and A3, so the smaller of
    # them (A1) goes too. The regions and the country stay shown.
    assert got == {
        "All": (120, False),
        "A": (70, False),
        "A1": (25, True),
        "A2": (5, True),
        "A3": (40, False),
        "B": (50, False),
        "B1": (50, False),
    }
    assert next(r for r in rows if r["name"] == "A2")["hidden"] == {"recipients", "amount"}
    unsuppressed = indicators._area_rows(
        places, values, counts={"recipients": ["amount"]}, suppress=False, total_label="All"
    )
    assert not any(r["hidden"] for r in unsuppressed)


def test_public_page_and_files_suppress_small_cells(figures, client):
    region = figures["kutaisi"].region_id
    page = client.get(f"/en/open/?{QUERY}&region={region}")
    assert page.status_code == 200
    assert b"suppressed" in page.content
    coverage = _csv(client.get(f"/en/open/?{QUERY}&format=csv&table=coverage"))
    assert coverage["Kutaisi" if "Kutaisi" in coverage else "ქუთაისი"][0] == "25"
    tkibuli = coverage.get("Tkibuli") or coverage["ტყიბული"]
    assert tkibuli[:2] == ["suppressed", "suppressed"]  # 5 people, 2 households
    benefits = _csv(client.get(f"/en/open/?{QUERY}&format=csv&table=benefits_area"))
    tkibuli = benefits.get("Tkibuli") or benefits["ტყიბული"]
    assert tkibuli[0] == "suppressed" and tkibuli[2] == "suppressed"  # recipients, amount
    kinds = _csv(
        client.get(f"/en/open/?{QUERY}&format=xlsx&table=grievances_kind".replace("xlsx", "csv"))
    )
    quality = kinds["Quality of service"]
    # Open 30 shown; in review 20 suppressed to protect the 4 resolved (the row's total, 54,
    # is shown); resolved 4 suppressed.
    assert quality == ["30", "suppressed", "suppressed", "54"]


def test_public_api_suppresses(figures, client):
    body = client.get(f"/api/v1/open/indicators?{QUERY}").json()
    coverage = next(t for t in body["tables"] if t["key"] == "coverage")
    tkibuli = next(r for r in coverage["rows"] if r["code"] == "tkibuli")
    assert tkibuli["people"] is None and "people" in tkibuli["suppressed"]
    kutaisi = next(r for r in coverage["rows"] if r["code"] == "kutaisi")
    assert kutaisi["people"] == 25
    assert body["suppressed"] is True
    one = client.get(f"/api/v1/open/indicators?{QUERY}&municipality=tkibuli").json()
    rows = next(t for t in one["tables"] if t["key"] == "coverage")["rows"]
    assert [r["code"] for r in rows] == ["", "", "tkibuli"]  # the total, the region, Tkibuli
    assert rows[2]["people"] is None
    bad = client.get("/api/v1/open/indicators?first=2026-13", HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["msg"] == "Write the month as YYYY-MM, e.g. 2026-11."


def test_municipal_officer_sees_own_municipality_unsuppressed(figures, login_as):
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    coverage = _csv(officer.get(f"/en/analytics/?{QUERY}&format=csv&table=coverage"))
    names = set(coverage)
    assert not ({"Tkibuli", "ტყიბული"} & names)
    kutaisi = coverage.get("Kutaisi") or coverage["ქუთაისი"]
    assert kutaisi[1] == "3"  # three households: shown to who can read them in the registry
    outside = officer.get(f"/api/v1/analytics/indicators?{QUERY}&municipality=tkibuli")
    assert outside.status_code == 403
    unknown = officer.get(
        f"/api/v1/analytics/indicators?{QUERY}&municipality=atlantis", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert unknown.json()["detail"][0]["msg"] == "No municipality has this code."
    body = officer.get(f"/api/v1/analytics/indicators?{QUERY}&municipality=kutaisi").json()
    codes = {r["code"] for t in body["tables"] for r in t["rows"] if r["code"]}
    assert codes <= {
        "kutaisi",
        "service_quality",
        "decision_appeal",
        "payment",
        "data_correction",
        "staff_conduct",
        "other",
        "tsa",
    }


def test_analyst_sees_the_country_suppressed(figures, login_as):
    analyst = login_as(Role.ANALYST)
    response = analyst.get(f"/en/analytics/?{QUERY}&format=csv&table=coverage")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    regions = Municipality.objects.values("region").distinct().count()
    # The heading, the country, each region, each municipality.
    assert len(list(csv.reader(io.StringIO(text)))) == 1 + 1 + regions + 64
    coverage = {row[0]: row[1:] for row in csv.reader(io.StringIO(text))}
    kutaisi = coverage.get("Kutaisi") or coverage["ქუთაისი"]
    assert kutaisi[:2] == ["25", "suppressed"]
    body = analyst.get(f"/api/v1/analytics/indicators?{QUERY}").json()
    assert body["suppressed"] is True
    assert LogEntry.objects.filter(actor=analyst.user, additional_data__purpose="search").exists()


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.CITIZEN])
def test_others_are_denied_and_audited(role, login_as):
    other = login_as(role)
    assert other.get("/en/analytics/").status_code == 403
    assert other.get("/api/v1/analytics/indicators").status_code == 403
    attempts = LogEntry.objects.filter(actor=other.user, additional_data__attempt=True)
    assert attempts.count() == 2


def test_anonymous_staff_page_asks_to_sign_in():
    response = Client().get("/en/analytics/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_national_page_reads_a_few_queries(figures, login_as, django_assert_max_num_queries):
    analyst = login_as(Role.ANALYST)
    with django_assert_max_num_queries(25):
        assert analyst.get(f"/en/analytics/?{QUERY}").status_code == 200


@pytest.mark.parametrize("language", ["ka", "en"])
def test_figures_are_written_as_core_numbers_writes_them(language):
    from django.utils import translation

    from zrunva.core import numbers

    with translation.override(language):
        assert indicators.cell_text(1234567, "count") == numbers.count(1234567)
        assert indicators.cell_text(Decimal("1234.5"), "money") == numbers.money(
            Decimal("1234.5"), currency=False
        )
        assert indicators.cell_text(70.55, "percent") == numbers.figure(Decimal("70.6"))
        assert indicators.cell_text(69.0, "rate") == numbers.figure(Decimal("69"))
        assert indicators.cell_text(5, "count", suppressed=True) == translation.gettext(
            "suppressed"
        )


def test_application_delays_suppressed_for_analysts(login_as):
    from zrunva.applications.tests.factories import submit

    submit()  # one application in Kutaisi, not decided yet: every count under ten
    analyst = login_as(Role.ANALYST)
    response = analyst.get("/en/analytics/delays/?format=csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[1][3:6] == ["suppressed", "suppressed", "suppressed"]  # decided, median, p90
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert officer.get("/en/analytics/delays/").status_code == 200
    assert login_as(Role.SUPERVISOR).get("/en/analytics/delays/").status_code == 403


def test_the_tile_grid_places_every_municipality_once():
    from zrunva.analytics.tilegrid import COLUMNS, POSITIONS, ROWS
    from zrunva.analytics.views_dashboards import abbreviations

    assert set(POSITIONS) == set(Municipality.objects.values_list("code", flat=True))
    assert len(set(POSITIONS.values())) == len(POSITIONS) == 64
    assert all(1 <= r <= ROWS and 1 <= c <= COLUMNS for r, c in POSITIONS.values())
    short = abbreviations(["Khobi", "Khoni", "Kutaisi", "Akhalkalaki", "Akhaltsikhe"])
    assert short == {
        "Khobi": "Khob",
        "Khoni": "Khon",
        "Kutaisi": "Kut",
        "Akhalkalaki": "Akhalk",
        "Akhaltsikhe": "Akhalt",
    }


def test_map_shades():
    shades, legend = indicators.shade_classes([0.0, 5.0, None, 10.0, 2.0])
    # Five equal intervals of 2 from 0 to 10: 0 → 1, 5 → 3, 10 → 5 (the top one closed), 2 → 2.
    assert shades == [1, 3, None, 5, 2]
    assert legend[0] == (1, 0.0, 2.0) and legend[-1] == (5, 8.0, 10.0)
    alone, legend = indicators.shade_classes([None, 0.2])
    assert alone == [None, 3] and legend == [(3, 0.2, 0.2)]


def _benefit(code: str, programme: str, recipients: int, households: int, month=MONTH):
    BenefitMonth.objects.create(
        month=month,
        municipality=Municipality.objects.get(code=code),
        programme=Programme.objects.get(code=programme),
        source="payments",
        recipients=recipients,
        households=households,
        amount=Decimal(10 * recipients),
    )


def _table(client, query: str, key: str) -> dict[str, dict]:
    response = client.get(f"/api/v1/open/indicators?{query}")
    assert response.status_code == 200, response.content
    table = next(t for t in response.json()["tables"] if t["key"] == key)
    return {r["code"] or r["level"]: r for r in table["rows"]}


def test_a_secondary_cell_stays_hidden_when_its_municipality_is_named_alone(client):
    """Guria: Ozurgeti 25, Lanchkhuti 40, Chokhatauri 5 recipients. Chokhatauri is small, and
    Guria's 70 would give it back, so Ozurgeti (the smaller shown) is hidden too — also when
    Ozurgeti alone is asked for: else 70 − 40 − 25 = 5."""
    for code, n in (("ozurgeti", 25), ("lanchkhuti", 40), ("chokhatauri", 5)):
        _benefit(code, "tsa", n, n)
    region = Municipality.objects.get(code="ozurgeti").region_id
    guria = _table(client, f"{QUERY}&region={region}", "benefits_area")
    assert guria["region"]["recipients"] == 70
    assert guria["lanchkhuti"]["recipients"] == 40
    assert guria["ozurgeti"]["recipients"] is None
    assert guria["chokhatauri"]["recipients"] is None
    alone = _table(client, f"{QUERY}&municipality=ozurgeti", "benefits_area")
    assert alone["ozurgeti"]["recipients"] is None
    assert alone["country"]["recipients"] is None  # "all shown" is Ozurgeti too
    assert alone["region"]["recipients"] is None
    files = _csv(client.get(f"/en/open/?{QUERY}&format=csv&table=benefits_area"))
    assert (files.get("Ozurgeti") or files["ოზურგეთი"])[0] == "suppressed"


def test_a_programme_cannot_be_subtracted_from_the_municipality_total(client):
    """Kutaisi: TSA 40, child benefit 5. The total (45) less the TSA's (40) would give the
    child benefit's 5: of the total and the TSA cell, one is hidden, on every view."""
    _benefit("kutaisi", "tsa", 40, 40)
    _benefit("kutaisi", "child_benefit", 5, 5)
    tsa = Programme.objects.get(code="tsa").pk
    every = _table(client, QUERY, "benefits_area")["kutaisi"]["recipients"]
    one = _table(client, f"{QUERY}&programme={tsa}", "benefits_area")["kutaisi"]["recipients"]
    assert None in (every, one)
    named = _table(client, f"{QUERY}&municipality=kutaisi", "benefits_programme")
    assert named["child_benefit"]["recipients"] is None
    assert None in (named["country"]["recipients"], named["tsa"]["recipients"])


def test_grievances_of_two_ranges_cannot_be_subtracted(client):
    """Kutaisi: 30 grievances in March, 4 in April. Summed, March–April less March would give
    April's 4; suppressed, each range shows its last month, suppressed as such."""
    kutaisi = Municipality.objects.get(code="kutaisi")
    for month, n in ((date(2026, 3, 1), 30), (date(2026, 4, 1), 4)):
        GrievanceMonth.objects.create(
            month=month, municipality=kutaisi, category="payment", status="open", grievances=n
        )
    march = _table(client, "first=2026-03&last=2026-03", "grievances_area")
    both = _table(client, "first=2026-03&last=2026-04", "grievances_area")
    assert march["kutaisi"]["grievances"] == 30
    assert both["kutaisi"]["grievances"] is None  # April's 4, not 34
    assert both["country"]["grievances"] is None
    kinds = _table(client, "first=2026-03&last=2026-04", "grievances_kind")
    assert kinds["payment"]["total"] is None


def test_households_under_ten_hidden_whatever_the_recipients(client):
    """40 recipients in 4 households: the 40 shown, the 4 hidden."""
    _benefit("kutaisi", "tsa", 40, 4)
    row = _table(client, QUERY, "benefits_area")["kutaisi"]
    assert row["recipients"] == 40
    assert row["households"] is None and "households" in row["suppressed"]
    assert row["amount"] == "400.00"


def test_the_monthly_series_reads_each_months_pattern(client):
    """Kutaisi: TSA 40 in October, 45 in November: the country's cell of each month."""
    _benefit("kutaisi", "tsa", 40, 40, month=date(2026, 10, 1))
    _benefit("kutaisi", "tsa", 45, 45)
    response = client.get("/api/v1/open/indicators?first=2026-09&last=2026-11").json()
    rows = next(t for t in response["tables"] if t["key"] == "benefits_month")["rows"]
    assert [(r["name"], r["recipients"]) for r in rows] == [
        ("2026-09", None),
        ("2026-10", 40),
        ("2026-11", 45),
    ]


@pytest.mark.parametrize(
    "query, field",
    [
        ("first=9999-01&last=9999-12", "last"),
        ("first=0001-01&last=0001-02", "last"),
        ("last=0001-01", "last"),
        ("first=0001-01&last=2026-01", "first"),
    ],
)
def test_months_out_of_range_are_refused(query, field, client):
    response = client.get(f"/api/v1/open/indicators?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    detail = response.json()["detail"][0]
    assert field in detail["loc"] and detail["msg"].startswith("Choose a month from 2000-01 to ")


def test_the_open_page_refuses_months_out_of_range(client):
    page = client.get("/en/open/?first=9999-06&last=9999-12")
    assert page.status_code == 200
    assert b"Choose a month from 2000-01 to" in page.content
