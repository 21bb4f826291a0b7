"""Quality indicators of social work against hand-counted cases: opened, closed, hours to the
first contact (median and 90th percentile), first contacts overdue, review compliance, caseload
per worker against the norm, outcomes; who sees which; the files."""

import csv as csv_module
import io
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pikepdf
import polars as pl
import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from polars.testing import assert_frame_equal

from zrunva.accounts.choices import Role
from zrunva.cases import indicators, services
from zrunva.cases.choices import Outcome, Risk, Specialisation
from zrunva.cases.models import IndicatorMonth, IndicatorsCounted, OutcomeMonth, SocialCase
from zrunva.cases.tests import factories

IMERETI = "sca-ge-im"
TBILISI = "sca-ge-tb"
MARCH_APRIL = indicators.Filters(first=date(2026, 3, 1), last=date(2026, 4, 1))
# Read on 10 May 2026, 13:00 in Tbilisi (UTC+4): today is 10 May.
NOW = datetime(2026, 5, 10, 9, 0, tzinfo=UTC)


def utc(month, day, hour=10):
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


@pytest.fixture
def team(make_user):
    return {
        "worker": make_user(Role.SOCIAL_WORKER, office=IMERETI),
        "colleague": make_user(Role.SOCIAL_WORKER, office=IMERETI),
        "supervisor": make_user(Role.SUPERVISOR, office=IMERETI),
        "tb_worker": make_user(Role.SOCIAL_WORKER, office=TBILISI),
        "tb_supervisor": make_user(Role.SUPERVISOR, office=TBILISI),
        "analyst": make_user(Role.ANALYST),
        "admin": make_user(Role.ADMIN),
        "municipal": make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        "dpo": make_user(Role.DPO),
    }


def _case(team, *, opened, contact_hours=None, closed=None, outcome="", review=None, **more):
    """A case opened by the Imereti worker through the service, its dates then set."""
    worker = more.pop("worker", team["worker"])
    case = factories.case(worker, **more)
    if closed is not None:
        services.case_close(actor=team["supervisor"], case=case, outcome=outcome, note="Done.")
    SocialCase.objects.filter(pk=case.pk).update(
        opened_at=opened,
        first_contact_due=opened + timedelta(hours=72),
        first_contact_at=opened + timedelta(hours=contact_hours) if contact_hours else None,
        closed_at=closed,
        next_review=review,
    )
    return case


@pytest.fixture
def cases(team):
    """Kutaisi (Imereti office), older persons unless said; the hours to the first contact."""
    made = {
        # Opened 1 March 01:00 in Tbilisi (28 February 21:00 UTC): a March case. No contact, due
        # 72 h later (4 March): overdue on 10 May.
        "e": _case(team, opened=datetime(2026, 2, 28, 21, 0, tzinfo=UTC)),
        "a": _case(team, opened=utc(3, 2), contact_hours=2, closed=utc(4, 15), outcome="met"),
        "b": _case(team, opened=utc(3, 5), contact_hours=10, review=date(2026, 5, 20)),
        "c": _case(team, opened=utc(3, 10), contact_hours=30, review=date(2026, 5, 1)),
        "d": _case(team, opened=utc(3, 20), contact_hours=50, closed=utc(3, 25), outcome="moved"),
        # Opened in February (outside), closed in March: closed in March, not opened in it.
        "h": _case(team, opened=utc(2, 20), contact_hours=1, closed=utc(3, 5), outcome="declined"),
        # Before the period altogether.
        "g": _case(team, opened=utc(1, 15), contact_hours=3, closed=utc(2, 10), outcome="met"),
        # Children and families, high risk (weight 3); reviewed today: not past.
        "f": _case(
            team,
            opened=utc(4, 3),
            contact_hours=4,
            review=date(2026, 5, 10),
            risk=Risk.HIGH,
            specialisation=Specialisation.CHILDREN,
        ),
        # Tbilisi's office, March, contact after 6 h.
        "t": _case(
            team,
            worker=team["tb_worker"],
            who=factories.person("tbilisi"),
            opened=utc(3, 15),
            contact_hours=6,
        ),
    }
    # Opened and closed cases need the supervisor of their office to close them.
    return made


def _rows(frame, **match):
    return [r for r in frame.to_dicts() if all(r[k] == v for k, v in match.items())]


@pytest.fixture(autouse=True)
def _norm(settings):
    settings.CASELOAD_NORM = 8
    settings.CASE_RISK_WEIGHTS = {"high": 3, "medium": 2, "low": 1}


def test_monthly_indicators_against_the_hand_count(team, cases):
    found = indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    im = {"office": IMERETI, "municipality": "kutaisi"}
    assert _rows(found.monthly, office=TBILISI) == []  # outside the supervisor's area
    [march] = _rows(found.monthly, month="2026-03", specialisation="elderly", **im)
    # Opened in March: e (1 March in Tbilisi's time), a, b, c, d = 5.
    # Closed in March: d (25th) and h (opened in February) = 2.
    # Hours to the first contact of March's cases that had one: a 2, b 10, c 30, d 50.
    # Median: (10 + 30) / 2 = 20.0. 90th percentile, linear: rank 0.9 × (4 − 1) = 2.7, between
    # 30 (rank 2) and 50 (rank 3): 30 + 0.7 × 20 = 44.0.
    assert march == {
        "month": "2026-03",
        **im,
        "specialisation": "elderly",
        "opened": 5,
        "closed": 2,
        "contacted": 4,
        "contact_median_hours": 20.0,
        "contact_p90_hours": 44.0,
        "referrals_completed": 0,
    }
    # April, older persons: none opened, a closed (15 April); no hours.
    [april] = _rows(found.monthly, month="2026-04", specialisation="elderly", **im)
    assert (april["opened"], april["closed"], april["contacted"]) == (0, 1, 0)
    assert april["contact_median_hours"] is None and april["contact_p90_hours"] is None
    # April, children: f, one contact after 4 h (its median and 90th percentile alike).
    [children] = _rows(found.monthly, month="2026-04", specialisation="children", **im)
    assert (children["opened"], children["closed"], children["contacted"]) == (1, 0, 1)
    assert children["contact_median_hours"] == children["contact_p90_hours"] == 4.0
    assert len(found.monthly) == 3  # January and February (g, h's opening) are outside
    # Over all places, by month: the chart's figures.
    assert found.by_month.select("month", "opened", "closed").rows() == [
        ("2026-03", 5, 2),
        ("2026-04", 1, 1),
    ]
    # Outcomes at closure, month of closure: March d moved, h declined; April a met.
    assert found.outcomes.select("month", "specialisation", "outcome", "closed").rows() == [
        ("2026-03", "elderly", Outcome.DECLINED, 1),
        ("2026-03", "elderly", Outcome.MOVED, 1),
        ("2026-04", "elderly", Outcome.GOALS_MET, 1),
    ]


def test_open_cases_now_and_review_compliance(team, cases):
    found = indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    # Open: b, c, e (older persons), f (children); a, d, g, h are closed.
    # First contact overdue: e only (none yet, due 4 March).
    # Reviews: b 20 May (not past), c 1 May (past); e none (in neither count) → 1 of 2 = 50.0 %.
    # f is reviewed today, 10 May: not past → 1 of 1 = 100.0 %.
    assert found.now.select(
        "specialisation", "open", "contact_overdue", "reviews_dated", "reviews_on_time"
    ).rows() == [("children", 1, 0, 1, 1), ("elderly", 3, 1, 2, 1)]
    assert found.now["review_compliance"].to_list() == [100.0, 50.0]


def test_caseload_per_worker_against_the_norm(team, cases):
    found = indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    # The worker holds the open b, c, e (medium, 2 each) and f (high, 3): 4 cases, weight 9,
    # more than the norm of 8. The office has two social workers (the colleague holds none):
    # 9 / 2 = 4.5 a worker.
    [imereti] = _rows(found.caseload, office=IMERETI)
    assert imereti == {
        "office": IMERETI,
        "workers": 2,
        "open": 4,
        "weighted": 9,
        "per_worker": 4.5,
        "norm": 8,
        "over_norm": 1,
    }
    assert _rows(found.caseload, office=TBILISI) == []


def test_filters_by_specialisation_and_office(team, cases):
    children = indicators.Filters(
        first=MARCH_APRIL.first, last=MARCH_APRIL.last, specialisation="children"
    )
    found = indicators.indicators(actor=team["analyst"], filters=children, now=NOW)
    assert found.monthly.select("month", "specialisation", "opened").rows() == [
        ("2026-04", "children", 1)
    ]
    # The caseload is every case a worker holds: the specialisation does not cut it.
    assert _rows(found.caseload, office=IMERETI)[0]["weighted"] == 9
    tbilisi = indicators.Filters(first=MARCH_APRIL.first, last=MARCH_APRIL.last, office=TBILISI)
    found = indicators.indicators(actor=team["analyst"], filters=tbilisi, now=NOW)
    assert found.monthly.select("month", "office", "opened", "contact_median_hours").rows() == [
        ("2026-03", TBILISI, 1, 6.0)
    ]


def test_who_reads_the_indicators(team, cases):
    def opened(user) -> dict:
        found = indicators.indicators(actor=user, filters=MARCH_APRIL, now=NOW)
        return {
            office: sum(r["opened"] for r in _rows(found.monthly, office=office))
            for office in (IMERETI, TBILISI)
        }

    assert opened(team["supervisor"]) == {IMERETI: 6, TBILISI: 0}
    assert opened(team["tb_supervisor"]) == {IMERETI: 0, TBILISI: 1}  # another office: none
    assert opened(team["analyst"]) == {IMERETI: 6, TBILISI: 1}  # the whole country
    assert opened(team["admin"]) == {IMERETI: 6, TBILISI: 1}
    far = indicators.indicators(actor=team["tb_supervisor"], filters=MARCH_APRIL, now=NOW)
    assert far.outcomes.is_empty() and _rows(far.now, office=IMERETI) == []
    for refused in ("worker", "municipal", "dpo"):
        with pytest.raises(PermissionDenied):
            indicators.indicators(actor=team[refused], filters=MARCH_APRIL, now=NOW)


def test_an_area_of_no_municipality_reads_nothing(team, cases, monkeypatch):
    # A supervisor of an office with no municipality yet: empty tables, not an error.
    monkeypatch.setattr(indicators.permissions, "indicator_scope", lambda user: frozenset())
    found = indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    for frame in (found.monthly, found.now, found.caseload, found.outcomes, found.by_month):
        assert frame.is_empty()


def test_no_person_level_data_leaves(team, cases):
    """Counts and hours only: no column names a case, a person or a worker."""
    found = indicators.indicators(actor=team["analyst"], filters=MARCH_APRIL, now=NOW)
    allowed = {"month", "office", "municipality", "specialisation", "outcome"}
    for frame in (found.monthly, found.now, found.caseload, found.outcomes):
        for name, dtype in frame.schema.items():
            assert name in allowed or dtype.is_numeric(), name


def test_referrals_hook_has_no_rows_yet(team):
    assert indicators.referrals_completed(Q(), MARCH_APRIL).is_empty()


def _pdf_text(pdf: bytes, tmp_path) -> str:
    """The report's text (poppler's pdftotext); its first page drawn as a PNG with pdftoppm
    for a person to look at, into the tmp directory."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the report's text is not read")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    # The tools are poppler's, found on PATH; the arguments are this test's own.
    if shutil.which("pdftoppm"):
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "60", "-l", "1", str(path), str(tmp_path / "page")],  # noqa: S607
            check=True,
        )
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return " ".join(text.split())


URL = "/en/cases/indicators/"
QUERY = {"first": "2026-03", "last": "2026-04"}


def test_the_page_and_its_files(team, cases, client, tmp_path, django_assert_max_num_queries):
    client.force_login(team["supervisor"])
    # A handful of aggregate queries whatever the number of cases (session, user, scope,
    # offices, the period's cases, open cases now, caseloads, staff, names).
    with django_assert_max_num_queries(20):
        page = client.get(URL, QUERY)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Quality of social work" in text and "Cases opened, by month of opening" in text
    for case in cases.values():  # no case number, no name
        assert case.number not in text and case.last_name not in text

    xlsx = client.get(URL, QUERY | {"format": "xlsx", "table": "monthly"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    assert header[:5] == ["Month", "Office", "Municipality", "Specialisation", "Opened"]
    march = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "2026-03"]
    assert [(r[4], r[5], r[7], r[8]) for r in march if r[3] == "Older persons"] == [(5, 2, 20, 44)]

    csv = client.get(URL, QUERY | {"format": "csv", "table": "outcomes"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert "The person moved away" in b"".join(csv.streaming_content).decode("utf-8-sig")
    assert client.get(URL, QUERY | {"format": "csv", "table": "people"}).status_code == 404

    pdf = client.get(URL, QUERY | {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    with pikepdf.open(io.BytesIO(pdf.content)) as document:
        assert len(document.pages) >= 1
        box = [float(v) for v in document.pages[0].mediabox]
        assert round(box[2]) == 842 and round(box[3]) == 595  # A4 landscape, in points
    text = _pdf_text(pdf.content, tmp_path)
    assert "Quality of social work" in text and "Older persons" in text
    assert "Months: 2026-03 to 2026-04" in text


def test_the_report_in_georgian(team, cases, client, tmp_path):
    # Georgian is the default language: its pages have no prefix.
    client.force_login(team["analyst"])
    pdf = client.get("/cases/indicators/", QUERY | {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(pdf.content)) as document:
        assert len(document.pages) >= 1
    # The title in Georgian once its translation is in locale/ (notes/indicators_ka.py); the
    # municipality's Georgian name now.
    assert "ქუთაისი" in _pdf_text(pdf.content, tmp_path)


def test_the_page_refuses_a_social_worker_and_bad_months(team, client):
    client.force_login(team["worker"])
    assert client.get(URL).status_code == 403
    client.force_login(team["supervisor"])
    page = client.get(URL, {"first": "2026-05", "last": "2026-03"})
    assert page.status_code == 200
    assert "The first month comes after the last one." in page.content.decode()


def test_completed_referrals_count_in_their_month(make_user):
    from zrunva.cases.services import referral_answer, referral_send
    from zrunva.services.tests import factories as catalogue

    worker = make_user(Role.SOCIAL_WORKER, office="sca-ge-im")
    supervisor = make_user(Role.SUPERVISOR, office="sca-ge-im")
    organisation = catalogue.organisation("Open Hands")
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    service = catalogue.service(catalogue.provider(organisation=organisation))
    case = factories.case(worker)
    referral = referral_send(actor=worker, case=case, service=service, note="n")
    referral_answer(actor=staff, referral=referral, answer="accept")
    referral_answer(actor=staff, referral=referral, answer="complete", text="Comes daily.")
    from django.utils import timezone

    month = timezone.localdate().replace(day=1)
    found = indicators.indicators(
        actor=supervisor, filters=indicators.Filters(first=month, last=month)
    )
    assert found.by_month["referrals_completed"].sum() == 1


def test_instants_read_as_microseconds_are_those_stored(team):
    # The indicators read timestamps as integers (`indicators.Micros`, for speed): the same
    # instants, to the microsecond, before 1970 too and near the end of the century; no
    # timestamp stays none.
    opened = datetime(2026, 3, 31, 20, 59, 59, 999_999, tzinfo=UTC)
    case = _case(team, opened=opened, contact_hours=1)
    SocialCase.objects.filter(pk=case.pk).update(
        closed_at=datetime(1969, 12, 31, 23, 59, 58, 500_001, tzinfo=UTC), stage="closed"
    )
    read = SocialCase.objects.filter(pk=case.pk).values_list(
        indicators.Micros(F("opened_at")),
        indicators.Micros(F("first_contact_at")),
        indicators.Micros(F("closed_at")),
        indicators.Micros(F("next_review")),
    )
    frame = indicators._instants(
        pl.DataFrame(list(read), schema=["a", "b", "c", "d"], orient="row"),
        "a",
        "b",
        "c",
    )
    assert frame.row(0) == (
        opened,
        opened + timedelta(hours=1),
        datetime(1969, 12, 31, 23, 59, 58, 500_001, tzinfo=UTC),
        None,
    )
    late = datetime(2099, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)
    later = _case(team, opened=late, contact_hours=1)
    (micros,) = SocialCase.objects.filter(pk=later.pk).values_list(
        indicators.Micros(F("opened_at")), flat=True
    )
    assert micros == (late - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_a_long_table_is_cut_on_the_page_and_whole_in_its_download(
    team, cases, client, monkeypatch
):
    monkeypatch.setattr("zrunva.cases.views_indicators.SHOWN", 1)
    client.force_login(team["supervisor"])
    text = client.get(URL, QUERY).content.decode()
    monthly = text.split('id="table-monthly"')[1].split('id="table-now"')[0]
    assert monthly.count("<tr>") == 2  # the header and one row
    total = (
        len(
            list(
                csv_module.reader(
                    io.StringIO(
                        b"".join(
                            client.get(
                                URL, QUERY | {"format": "csv", "table": "monthly"}
                            ).streaming_content
                        ).decode("utf-8-sig")
                    )
                )
            )
        )
        - 1
    )
    assert total > 1
    assert f"The first 1 of {total} rows; the download holds them all." in monthly


# -- Months kept by the nightly refresh (`indicators.refresh`) -------------------------------

FEBRUARY_MAY = indicators.Filters(first=date(2026, 2, 1), last=date(2026, 5, 1))
FRAMES = ("monthly", "by_month", "now", "caseload", "outcomes", "by_outcome")


@pytest.fixture
def more(team, cases, make_user):
    """A May case (counted live after a refresh on 10 May), an April one; referrals completed
    in March and in May, of an older person's case and of a child's."""
    from zrunva.cases.services import referral_answer, referral_send
    from zrunva.services.tests import factories as catalogue

    may = _case(team, opened=utc(5, 4), contact_hours=7, specialisation=Specialisation.CHILDREN)
    # Hours that are no round number (1 h 20 min 7.123457 s), kept as text and read back.
    _case(team, opened=utc(4, 20), contact_hours=4807.123457 / 3600)
    organisation = catalogue.organisation("Open Hands")
    staff = make_user(Role.SERVICE_PROVIDER, organisation=organisation)
    service = catalogue.service(catalogue.provider(organisation=organisation))
    for case, answered in ((cases["b"], utc(3, 28)), (may, utc(5, 6))):
        referral = referral_send(actor=team["worker"], case=case, service=service, note="n")
        referral_answer(actor=staff, referral=referral, answer="accept")
        referral_answer(actor=staff, referral=referral, answer="complete", text="Done.")
        type(referral).objects.filter(pk=referral.pk).update(answered_at=answered)
    return may


@pytest.mark.parametrize(
    "who, filters",
    [
        ("analyst", FEBRUARY_MAY),  # kept months and May
        ("supervisor", FEBRUARY_MAY),  # an area
        ("analyst", replace(FEBRUARY_MAY, specialisation="children")),
        ("analyst", replace(FEBRUARY_MAY, office=TBILISI)),
        ("supervisor", MARCH_APRIL),  # kept months only
        ("analyst", replace(FEBRUARY_MAY, first=date(2026, 5, 1))),  # May only: live
    ],
)
def test_kept_months_read_as_the_cases_count_them(team, cases, more, who, filters):
    live = indicators.indicators(actor=team[who], filters=filters, now=NOW)
    assert live.kept_before is None and live.counted_at is None
    done = indicators.refresh(today=NOW.date())  # 10 May: the months before May kept
    assert done.before == date(2026, 5, 1)
    assert done.cells == IndicatorMonth.objects.count() > 0
    kept = indicators.indicators(actor=team[who], filters=filters, now=NOW)
    assert kept.kept_before == (None if filters.first == date(2026, 5, 1) else date(2026, 5, 1))
    for name in FRAMES:
        assert_frame_equal(getattr(kept, name), getattr(live, name), check_exact=True)


def test_the_kept_cells_are_those_counted_from_the_cases(team, cases, more):
    # Every column of every cell, the hours behind the medians to the last bit included (an
    # April contact after 1 h 20 min 7 s, 1.335277… h, goes to the database as text and back).
    months = indicators.Filters(first=date(2026, 2, 1), last=date(2026, 4, 1))
    counted, _ = indicators._cells(
        indicators._read(Q(), months), indicators._referrals(Q(), months), months
    )
    indicators.refresh(today=NOW.date())
    kept, _ = indicators._kept(Q(), months)
    keys = ["month", "office", "municipality", "specialisation"]
    assert_frame_equal(kept.sort(keys), counted.sort(keys), check_exact=True)
    hours = counted.explode("hours")["hours"].to_list()
    assert 4807 / 3600 in hours  # 1.335277…: counted in whole seconds


def test_the_months_medians_are_over_every_places_hours(team, cases, more):
    # The months' median over two places is not a median of their medians: March has four
    # older persons' cases in Kutaisi (2, 10, 30, 50 h) and one in Tbilisi (6 h): 10.0.
    indicators.refresh(today=NOW.date())
    found = indicators.indicators(actor=team["analyst"], filters=MARCH_APRIL, now=NOW)
    march = _rows(found.by_month, month="2026-03")[0]
    assert (march["contacted"], march["contact_median_hours"]) == (5, 10.0)
    assert march["referrals_completed"] == 1
    assert found.kept_before == date(2026, 5, 1)


def test_a_late_change_to_a_kept_month_waits_for_the_next_refresh(team, cases):
    indicators.refresh(today=NOW.date())
    first = (IndicatorMonth.objects.count(), OutcomeMonth.objects.count())
    indicators.refresh(today=NOW.date())  # again: the same rows, not twice
    assert (IndicatorMonth.objects.count(), OutcomeMonth.objects.count()) == first
    assert IndicatorsCounted.objects.count() == 1

    def march():
        found = indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
        [row] = _rows(found.monthly, month="2026-03", specialisation="elderly", office=IMERETI)
        return row["contacted"], row["contact_median_hours"]

    # Case e (opened 1 March) gets its first contact recorded late, 100 h after its opening.
    SocialCase.objects.filter(pk=cases["e"].pk).update(
        first_contact_at=F("opened_at") + timedelta(hours=100)
    )
    assert march() == (4, 20.0)  # as the refresh counted March
    indicators.refresh(today=NOW.date())
    assert march() == (5, 30.0)  # 2, 10, 30, 50, 100 h


def test_a_refresh_with_nothing_to_keep(team):
    done = indicators.refresh(today=NOW.date())
    assert (done.cells, done.outcomes, done.before) == (0, 0, date(2026, 5, 1))
    _case(team, opened=utc(5, 2), contact_hours=1)  # this month's only: nothing kept
    assert indicators.refresh(today=NOW.date()).cells == 0
    assert indicators.refresh(today=date(2026, 6, 1)).cells == 1


def test_the_page_says_which_months_were_kept(team, cases, client):
    from django.utils import timezone

    client.force_login(team["supervisor"])
    this_month = timezone.localdate().replace(day=1)
    two_before = indicators.Filters.last_months(3).first
    query = {"first": f"{two_before:%Y-%m}", "last": f"{this_month:%Y-%m}"}
    assert "counted as you open" not in client.get(URL, query).content.decode()
    indicators.refresh()
    text = " ".join(client.get(URL, query).content.decode().split())
    assert f"The months before {this_month:%B %Y} are as counted on" in text
    assert "counted as you open the page" in text


def test_the_kept_months_are_read_once_a_refresh(team, cases, monkeypatch):
    reads = []
    kept = indicators._kept
    monkeypatch.setattr(indicators, "_kept", lambda *a: reads.append(a) or kept(*a))
    indicators.refresh(today=NOW.date())
    for _ in range(2):
        indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    assert len(reads) == 1
    indicators.indicators(actor=team["analyst"], filters=MARCH_APRIL, now=NOW)  # another area
    assert len(reads) == 2
    indicators.refresh(today=NOW.date())
    indicators.indicators(actor=team["supervisor"], filters=MARCH_APRIL, now=NOW)
    assert len(reads) == 3
