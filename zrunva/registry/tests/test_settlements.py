"""The settlement select follows the municipality select (htmx), within the officer's area."""

import pytest
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality, Settlement
from zrunva.registry.tests.factories import household_form

pytestmark = pytest.mark.django_db


def _options(html: str) -> int:
    return html.count("<option")


def test_the_options_are_the_chosen_municipalitys_settlements(login_as):
    kutaisi = Municipality.objects.get(code="kutaisi")
    client = login_as(Role.SSA_OFFICER)
    response = client.get(
        reverse("registry:settlement_options"),
        {"hh-municipality": kutaisi.pk},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    theirs = Settlement.objects.filter(municipality=kutaisi)
    assert theirs.exists()
    assert _options(html) == theirs.count() + 1  # and the empty choice
    other = Settlement.objects.exclude(municipality=kutaisi).first()
    assert f'value="{other.pk}"' not in html


def test_no_options_for_a_municipality_outside_the_area(login_as):
    zugdidi = Municipality.objects.get(code="zugdidi")
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = client.get(
        reverse("registry:settlement_options"), {"municipality": zugdidi.pk}
    ).content.decode()
    assert _options(html) == 1


def test_the_household_form_offers_the_municipalitys_settlements_and_asks_for_others(login_as):
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    html = client.get(reverse("registry:household_create")).content.decode()
    assert 'hx-get="/' in html and 'hx-target="#id_hh-settlement"' in html
    # An officer of one municipality: it is chosen, and only its settlements are listed.
    kutaisi = Municipality.objects.get(code="kutaisi")
    assert _options(html.split('name="hh-settlement"')[1].split("</select>")[0]) == (
        Settlement.objects.filter(municipality=kutaisi).count() + 1
    )


def test_without_javascript_a_settlement_of_another_municipality_is_refused(login_as):
    client = login_as(Role.SSA_OFFICER)
    tbilisi = Settlement.objects.filter(municipality__code="tbilisi").first()
    data = household_form() | {"hh-settlement": tbilisi.pk}
    response = client.post(reverse("registry:household_create"), data)
    assert response.status_code == 200
    assert "This settlement is not in the chosen municipality." in response.content.decode()
    # The form comes back with the chosen municipality's settlements only.
    form = response.context["household_form"]
    listed = {value for value, _label in form.fields["settlement"].widget.choices if value}
    assert listed == set(
        Settlement.objects.filter(municipality__code="kutaisi").values_list("pk", flat=True)
    )
