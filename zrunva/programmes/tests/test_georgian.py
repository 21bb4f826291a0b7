"""Programme pages speak the page's language: parameters' units (issue 13, item 7)."""

import pytest
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.programmes.choices import unit_label
from zrunva.programmes.models import Parameter

pytestmark = pytest.mark.django_db


def test_known_units_are_translated_and_others_shown_as_written():
    with translation.override("ka"):
        assert unit_label("GEL") == "ლარი"
        assert unit_label("GEL per month") == "ლარი თვეში"
        assert unit_label("years") == translation.pgettext("unit", "years")
        assert unit_label("km") == "km"
        assert unit_label("") == ""
    with translation.override("en"):
        assert unit_label("score") == "points"
        assert unit_label("GEL per member") == "GEL per member"


def test_every_unit_of_the_shipped_parameters_has_its_label():
    from zrunva.programmes.choices import UNIT_LABELS

    units = set(Parameter.objects.exclude(unit="").values_list("unit", flat=True))
    assert units and units <= UNIT_LABELS.keys(), units - UNIT_LABELS.keys()


def test_parameter_pages_show_units_in_georgian(login_as):
    client = login_as(Role.ADMIN)
    listed = client.get("/programmes/parameters/").content.decode()
    detail = client.get("/programmes/parameters/pension_from_70/").content.decode()
    programme = client.get("/programmes/state_pension/").content.decode()
    for page in (listed, detail, programme):
        assert " ლარი</td>" in page
        assert " GEL</td>" not in page
    with translation.override("ka"):
        years = translation.pgettext("unit", "years")  # its Georgian text comes with the catalogue
    assert f"65 {years}</td>" in programme
    english = client.get("/en/programmes/state_pension/").content.decode()
    assert " GEL</td>" in english and "65 years</td>" in english


def test_every_shipped_value_cites_its_source_in_georgian():
    from zrunva.programmes.models import ParameterValue

    missing = ParameterValue.objects.filter(parameter__municipality__isnull=True, source_ka="")
    assert not missing.exists(), list(missing.values_list("parameter__code", "valid_from"))


def test_legal_sources_are_shown_in_the_page_language(login_as):
    client = login_as(Role.ADMIN)
    georgian = client.get("/programmes/parameters/pension_from_70/").content.decode()
    assert "საქართველოს კანონი „სახელმწიფო პენსიის შესახებ“; 2026 წლის ინდექსაცია" in georgian
    assert "indexation for 2026" not in georgian
    programme = client.get("/programmes/state_pension/").content.decode()
    assert "2026 წლის ინდექსაცია" in programme and "indexation for 2026" not in programme
    english = client.get("/en/programmes/parameters/pension_from_70/").content.decode()
    assert "Law of Georgia on State Pensions; indexation for 2026" in english


def test_a_new_value_takes_its_source_in_both_languages(login_as):
    from zrunva.programmes.models import ParameterValue

    client = login_as(Role.ADMIN)
    response = client.post(
        "/en/programmes/parameters/pension_age_men/values/new/",
        {
            "valid_from": "2030-01-01",
            "value": "67",
            "source": "Law of Georgia on State Pensions, as amended in 2029",
            "source_ka": "საქართველოს კანონი „სახელმწიფო პენსიის შესახებ“, 2029 წლის ცვლილებებით",
        },
    )
    assert response.status_code == 302
    value = ParameterValue.objects.get(parameter__code="pension_age_men", valid_from="2030-01-01")
    assert value.source_ka.endswith("2029 წლის ცვლილებებით")


def test_the_programme_page_cites_its_acts_in_the_page_language(login_as):
    from zrunva.programmes.models import Programme

    programme = Programme.objects.get(code="child_benefit")
    client = login_as(Role.ADMIN)
    georgian = client.get("/programmes/child_benefit/").content.decode()
    english = client.get("/en/programmes/child_benefit/").content.decode()
    assert f"<p>{programme.legal_basis_ka}</p>" in georgian
    assert f"<p>{programme.legal_basis_en}</p>" in english.replace("&ldquo;", "“").replace(
        "&rdquo;", "”"
    )
