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
