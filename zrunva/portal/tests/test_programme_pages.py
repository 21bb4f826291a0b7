"""The programmes' public pages: who qualifies and how much in the words of the officers' rules,
in Georgian and English, never as rule code; documents, where to apply and the legal basis."""

import html
import re
from datetime import date

import pytest
from django.utils import timezone, translation

from zrunva.geo.models import Municipality
from zrunva.programmes import eligibility, sentences
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db

SHIPPED = ["tsa", "child_benefit", "disability_package", "state_pension", "idp_allowance"]


def main_text(response) -> str:
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))).replace("\xa0", " ")


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("\xa0", " ")


def compiled(code: str):
    return next(
        c for c in eligibility.compiled_programmes(on=timezone.localdate()) if c.code == code
    )


@pytest.mark.parametrize("language", ["ka", "en"])
@pytest.mark.parametrize("code", SHIPPED)
def test_each_shipped_programme_page_says_its_rules_in_words(client, code, language):
    prefix = "" if language == "ka" else "/en"
    response = client.get(f"{prefix}/portal/programmes/{code}/")
    assert response.status_code == 200
    page = main_text(response)
    programme = Programme.objects.get(code=code)
    with translation.override(language):
        facts = sentences.rule_facts(compiled(code))
        intro, requirements = sentences.requirement_sentences(facts["criteria"])
        amounts = sentences.amount_rule_sentences(facts["amount"])
        documents = programme.documents
        legal_basis = programme.public_legal_basis
        name = programme.name
    assert requirements and amounts and documents and legal_basis
    for sentence in [name, intro, *requirements, *amounts, *documents, legal_basis]:
        assert plain(sentence) in page, sentence
    for code_text in ("household.", "person.", "member.", "param.", "<=", ">=", "=="):
        assert code_text not in page, code_text
    assert f'href="{prefix}/portal/apply/?programme={code}"' in response.content.decode()
    assert f'href="{prefix}/portal/screener/"' in response.content.decode()


def test_the_english_pages_say_what_the_rules_say(client):
    """Written by hand from programmes.toml and parameters.csv: the page follows the rules."""
    tsa = main_text(client.get("/en/portal/programmes/tsa/"))
    assert "Your household's rating score is at most 65,000." in tsa
    assert "GEL 60.00 a month, if your household's rating score is at most 30,000." in tsa
    assert "For each member of the household:" in tsa
    pension = main_text(client.get("/en/portal/programmes/state_pension/"))
    assert "Your age is at least 65 if your sex is “Male”, otherwise 60." in pension
    assert "if Highland settlement: yes." in pension
    child = main_text(client.get("/en/portal/programmes/child_benefit/"))
    assert "a month for each member of the household whose age is less than 16." in child
    idp = main_text(client.get("/en/portal/programmes/idp_allowance/"))
    assert "Internally displaced person: yes." in idp and "GEL 45.00 a month." in idp
    assert "The IDP certificate" in idp and "This list is illustrative" in idp


def test_a_municipal_programme_shows_its_municipality_and_its_centre(client):
    kutaisi = Municipality.objects.get(code="kutaisi")
    Programme.objects.create(
        code="kutaisi_winter_aid",
        name_ka="ზამთრის დახმარება",
        name_en="Winter aid",
        level="household",
        criteria="household.rating_score <= 100000",
        formula="150",
        legal_basis="Kutaisi City Council resolution (illustrative)",
        legal_basis_en="Kutaisi City Council resolution",
        municipality=kutaisi,
        valid_from=date(2020, 1, 1),
    )
    page = main_text(client.get("/en/portal/programmes/kutaisi_winter_aid/"))
    assert "A programme of Kutaisi municipality" in page
    assert "Your household's rating score is at most 100,000." in page
    assert "GEL 150.00 a month." in page
    assert "Social Service Agency, Kutaisi territorial centre" in page
    listing = main_text(client.get("/en/portal/programmes/"))
    assert "Winter aid — Kutaisi" in listing


def test_an_inactive_or_unknown_programme_has_no_page(client):
    Programme.objects.filter(code="idp_allowance").update(is_active=False)
    assert client.get("/en/portal/programmes/idp_allowance/").status_code == 404
    assert client.get("/en/portal/programmes/nothing/").status_code == 404
    assert "IDP allowance" not in main_text(client.get("/en/portal/programmes/"))


def test_the_home_page_links_the_screener_and_the_programmes(client):
    page = client.get("/en/portal/").content.decode()
    assert 'href="/en/portal/screener/"' in page and 'href="/en/portal/programmes/"' in page
    assert 'href="/en/portal/programmes/tsa/"' in page
