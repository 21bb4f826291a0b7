"""The registry's pages speak the page's language: countries, places and relationships by
name, never by their stored codes (issue 13, item 7)."""

import pytest

from zrunva.accounts.choices import Role
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def _edit(client, person, **changes):
    form = client.get(f"/registry/people/{person.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update(changes)
    response = client.post(f"/registry/people/{person.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    return form


def test_citizenship_is_chosen_and_read_as_a_country_name(login_as):
    person = factories.household().memberships.get().person
    client = login_as(Role.SSA_OFFICER)
    form = _edit(client, person, citizenship="TR")
    offered = dict(form.fields["citizenship"].choices)
    assert offered["GE"] == "საქართველო"
    person.refresh_from_db()
    assert person.citizenship == "TR"  # the code is what is stored

    page = client.get(f"/registry/people/{person.pk}/").content.decode()
    assert "თურქეთი" in page  # the summary
    # The history's change row: from Georgia to Turkey, by name.
    assert "</span>საქართველო</del>" in page and "</span>თურქეთი</ins>" in page
    assert ">TR<" not in page and ">GE<" not in page
    english = client.get(f"/en/registry/people/{person.pk}/").content.decode()
    assert "Türkiye" in english or "Turkey" in english


def test_a_code_outside_the_list_is_refused_in_the_form(login_as):
    person = factories.household().memberships.get().person
    client = login_as(Role.SSA_OFFICER)
    form = client.get(f"/en/registry/people/{person.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data["citizenship"] = "QQ"
    response = client.post(f"/en/registry/people/{person.pk}/edit/", data)
    assert response.status_code == 200
    assert "citizenship" in response.context["form"].errors


def test_the_subject_access_report_names_places_in_the_page_language(login_as):
    person = factories.household("kutaisi").memberships.get().person
    dpo = login_as(Role.DPO)
    georgian = dpo.get(f"/registry/subject-access/{person.pk}/").content.decode()
    english = dpo.get(f"/en/registry/subject-access/{person.pk}/").content.decode()
    # The household's municipality and the person's current one, by name, not by id.
    assert georgian.count('<dd class="summary__value">ქუთაისი</dd>') == 2
    assert english.count('<dd class="summary__value">Kutaisi</dd>') == 2
