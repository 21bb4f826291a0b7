"""Georgian everywhere in the Georgian interface: every message of the catalogue has its
Georgian text (none missing, none fuzzy), and every shipped reference label has a Georgian
name written in Georgian letters."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation

from config.settings.base import BASE_DIR

GEORGIAN = re.compile(r"[\u10D0-\u10FF]")
CATALOGUE = Path(BASE_DIR) / "locale" / "ka" / "LC_MESSAGES" / "django.po"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is needed")
def test_every_message_has_its_georgian_text():
    checked = subprocess.run(  # noqa: S603 (our own catalogue, a fixed program)
        [shutil.which("msgfmt"), "--check", "--statistics", "-o", "/dev/null", str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stderr
    # "1907 translated messages." and nothing "fuzzy" or "untranslated" after it.
    assert "translated messages" in checked.stderr
    assert "fuzzy" not in checked.stderr and "untranslated" not in checked.stderr, checked.stderr


@pytest.mark.django_db
def test_every_shipped_label_has_a_georgian_name():
    from zrunva.geo.models import Municipality, Office, Region, Settlement
    from zrunva.programmes.models import Parameter, Programme

    missing = []
    for model in (Region, Municipality, Settlement, Office, Programme, Parameter):
        for pk, name in model.objects.values_list("pk", "name_ka"):
            if not GEORGIAN.search(name or ""):
                missing.append(f"{model._meta.label} #{pk}: {name!r}")
    assert not missing, missing[:20]


def test_the_attribute_catalogue_speaks_georgian():
    from zrunva.programmes.attributes import ATTRIBUTES

    missing = []
    for attribute in ATTRIBUTES.values():
        for field in ("label_ka", "noun_ka"):
            value = getattr(attribute, field, None)
            if value is not None and not GEORGIAN.search(value):
                missing.append(f"{attribute}.{field}: {value!r}")
    assert not missing, missing


@pytest.mark.django_db
def test_municipalities_are_listed_in_the_alphabet_of_the_page(login_as):
    from zrunva.geo.models import Municipality

    with translation.override("ka"):
        georgian = [m.name_ka for m in Municipality.objects.by_name()]
    with translation.override("en"):
        english = [m.name_en for m in Municipality.objects.by_name()]
    assert georgian == sorted(georgian) and georgian[0].startswith("ა")
    assert english == sorted(english)
    # The re-assessments' filter, in Georgian: ადიგენი (Adigeni) before ამბროლაური.
    page = login_as("ssa_officer").get("/assessment/due/").content.decode()
    assert page.index("ადიგენი") < page.index("ამბროლაური") < page.index("ზუგდიდი")
