"""The decision letter of every shipped programme, in Georgian and English: its text, read back
from the PDF with pdftotext, says the decision and its reasons in plain sentences, with the
office, the officer and how to appeal, never rule code; and every character has a glyph."""

import html
import logging
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.applications.choices import STAGES, Channel, Status
from zrunva.applications.letters import decision_letter
from zrunva.applications.services import (
    application_submit,
    application_transition,
    next_statuses,
)
from zrunva.applications.tests.factories import home_visit, visit_day
from zrunva.assessment.tests.factories import assess
from zrunva.core.text import long_date
from zrunva.geo.models import Municipality, Office
from zrunva.programmes.models import Programme
from zrunva.programmes.tests.factories import years_ago
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

# Where the pages are drawn for a person to look at (`pdftoppm`), when asked to.
PNG_DIR = os.environ.get("ZRUNVA_LETTER_PNGS")


def _text(pdf: bytes, tmp_path: Path, name: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the letter's text is not read")
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    # The tools are poppler's, found on PATH; the arguments are this test's own.
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    if PNG_DIR and shutil.which("pdftoppm"):
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "70", str(path), str(Path(PNG_DIR) / name)],  # noqa: S607
            check=True,
        )
    # One line per sentence, whatever the layout's wrapping and the spaces grouping digits.
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def _officer() -> User:
    officer = User.objects.create_user(
        f"officer-{User.objects.count()}",
        role=Role.SSA_OFFICER,
        first_name="Nino",
        last_name="Kapanadze",
        office=Office.objects.get(code="ssa-kutaisi"),
    )
    return officer


def _decided(code: str, household, applicant, *, language: str, to: str, note: str = ""):
    officer = _officer()
    application = application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code=code),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant={
            "personal_number": applicant.personal_number,
            "first_name": applicant.first_name,
            "last_name": applicant.last_name,
            "birth_date": applicant.birth_date,
            "email": "applicant@example.org",
            "language": language,
        },
        consent=True,
    )
    application_transition(
        actor=officer, application=application, to=Status.REGISTERED, household=household
    )
    # Through the workflow's stages (a home visit for the TSA) to the decision.
    application.refresh_from_db()
    while to not in next_statuses(application, actor=officer):
        later = STAGES[STAGES.index(application.status) + 1 :]
        step = next(s for s in later if s in next_statuses(application, actor=officer))
        if step == Status.ASSESSED:
            home_visit(application)
        application_transition(actor=officer, application=application, to=step, **visit_day(step))
        application.refresh_from_db()
    application_transition(actor=officer, application=application, to=to, note=note)
    application.refresh_from_db()
    return application


def _head(household):
    return household.memberships.get(relationship="head").person


def tsa(score: int):
    household = factories.household(head={"birth_date": years_ago(40)})
    factories.member(household, "spouse", birth_date=years_ago(38), sex="F")
    assess(household, score)
    return household, _head(household)


def child_benefit(score: int):
    household = factories.household(head={"birth_date": years_ago(35)})
    factories.member(household, birth_date=date(2018, 6, 1))
    factories.member(household, birth_date=date(2020, 6, 1))
    assess(household, score)
    return household, _head(household)


def pension(age: int):
    household = factories.household(head={"birth_date": years_ago(age), "sex": "M"})
    return household, _head(household)


def disability(degree: str):
    household = factories.household(head={"birth_date": years_ago(45), "disability_degree": degree})
    return household, _head(household)


def idp(is_idp: bool):
    household = factories.household(head={"birth_date": years_ago(50), "is_idp": is_idp})
    return household, _head(household)


# Each shipped programme granted and refused: (programme, household builder, argument,
# decision, the English sentences the letter must hold).
CASES = [
    (
        "tsa",
        tsa,
        34000,
        Status.DECIDED,
        [
            "Your household's rating score, 34,000, is at most 65,000: met.",
            "GEL 100.00 a month: GEL 50.00 for each of 2 members, because your household's "
            "rating score, 34,000, is at most 57,000.",
        ],
    ),
    (
        "tsa",
        tsa,
        70000,
        Status.REJECTED,
        ["Your household's rating score, 70,000, is more than 65,000: not met."],
    ),
    (
        "child_benefit",
        child_benefit,
        50000,
        Status.DECIDED,
        [
            "The programme requires all of these:",
            "Your household's rating score, 50,000, is at most 120,000: met.",
            "The number of your household's members whose age is less than 16, 2, is more "
            "than 0: met.",
            "GEL 400.00 a month: GEL 200.00 for each of 2 children.",
        ],
    ),
    (
        "child_benefit",
        child_benefit,
        150000,
        Status.REJECTED,
        ["Your household's rating score, 150,000, is more than 120,000: not met."],
    ),
    ("state_pension", pension, 72, Status.DECIDED, ["Your age, 72, is at least 65: met."]),
    ("state_pension", pension, 50, Status.REJECTED, ["Your age, 50, is less than 65: not met."]),
    (
        "disability_package",
        disability,
        "severe",
        Status.DECIDED,
        [
            "The programme requires at least one of these:",
            "Your disability status, “Severe”, is “Severe”: met.",
            "A flat",
        ],
    ),
    (
        "disability_package",
        disability,
        "none",
        Status.REJECTED,
        ["Your disability status, “None”, is not “Significant”: not met."],
    ),
    (
        "idp_allowance",
        idp,
        True,
        Status.DECIDED,
        [
            "Internally displaced person: yes: met.",
            "A flat GEL 45.00 a month.",
        ],
    ),
    ("idp_allowance", idp, False, Status.REJECTED, ["Internally displaced person: no: not met."]),
]
RULE_CODE = ("household.", "person.", "member.", "param.", "<=", ">=", "==", "!=", "_")


@pytest.mark.parametrize("language", ["en", "ka"])
@pytest.mark.parametrize(
    ("code", "build", "argument", "to", "expected"),
    CASES,
    ids=[f"{c[0]}-{'granted' if c[3] == Status.DECIDED else 'refused'}" for c in CASES],
)
def test_each_programmes_letter_says_the_decision_in_sentences(
    code, build, argument, to, expected, language, tmp_path, caplog
):
    household, applicant = build(argument)
    application = _decided(code, household, applicant, language=language, to=to)
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        pdf = decision_letter(application)
    assert not [r for r in caplog.records if "missing" in r.getMessage()], caplog.text
    name = f"{code}-{'granted' if to == Status.DECIDED else 'refused'}-{language}"
    # Amounts keep their number and currency together with a no-break space.
    text = _text(pdf, tmp_path, name).replace("\xa0", " ")
    programme = Programme.objects.get(code=code)
    with translation.override(language):
        assert long_date(application.decided_on) in text
        assert programme.name in text
        assert programme.public_legal_basis.split(";")[0].split("(")[0].strip() in text
    assert "Nino Kapanadze" in text
    assert application.number in text
    assert not any(code_part in text for code_part in RULE_CODE), text
    assert "change them as parameters" not in text
    if language == "en":
        for sentence in expected:
            assert sentence in text, text
        assert "Kutaisi, municipal centre" in text
        assert "Monday to Friday" in text
        assert "Phone: —" in text
        assert "grievance form" in text
        assert "General Administrative Code of Georgia, Article 180" in text
        if to == Status.DECIDED:
            assert "is granted" in text
        else:
            assert "is refused" in text
    else:
        # The data stored in Georgian: the office, its hours, the programme's legal basis.
        assert "ქუთაისი, მუნიციპალური ცენტრი" in text
        assert "ორშაბათი–პარასკევი" in text
        with translation.override("ka"):
            assert programme.public_legal_basis.startswith("საქართველოს")
        if to == Status.DECIDED and code == "tsa":
            # Georgian money: a decimal comma and the lari sign after the amount.
            assert "100,00 ₾" in text and "50,00 ₾" in text


def test_the_application_page_and_the_portal_give_the_letters_sentences(login_as, client):
    household, applicant = tsa(34000)
    application = _decided("tsa", household, applicant, language="en", to=Status.DECIDED)
    sentences = (
        "Your household's rating score, 34,000, is at most 65,000: met.",
        "GEL 100.00 a month: GEL 50.00 for each of 2 members, because your household's rating "
        "score, 34,000, is at most 57,000.",
    )
    staff = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    page = html.unescape(
        staff.get(reverse("applications:detail", args=[application.pk])).content.decode()
    ).replace("\xa0", " ")
    for sentence in sentences:
        assert sentence in page
    assert "param." not in page and "household.rating_score" not in page
    response = client.post(
        reverse("portal:status"),
        {"number": application.number, "personal_number": applicant.personal_number},
    )
    assert response.url == reverse("portal:application")
    page = html.unescape(
        client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ).replace("\xa0", " ")
    for sentence in sentences:
        assert sentence in page
    assert "param." not in page
