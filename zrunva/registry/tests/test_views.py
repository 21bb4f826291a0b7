import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.registry import services
from zrunva.registry.models import Household, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_officer_registers_a_household_in_the_browser_form(login_as):
    client = login_as(Role.SSA_OFFICER)
    response = client.post("/en/registry/households/new/", factories.household_form())
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/en/registry/households/{household.pk}/"
    head = household.memberships.get().person
    assert head.full_name_latin == "Tamar Japaridze"


def test_duplicate_personal_number_is_shown_next_to_the_field(login_as):
    factories.household(head={"personal_number": "01024081234"})
    client = login_as(Role.SSA_OFFICER)
    response = client.post("/en/registry/households/new/", factories.household_form())
    assert response.status_code == 200
    assert response.context["head_form"].errors["personal_number"] == [
        "Another person already has this personal number."
    ]
    assert b"Another person already has this personal number." in response.content
    assert Household.objects.count() == 1


def test_future_birth_date_is_refused_in_the_form(login_as):
    client = login_as(Role.SSA_OFFICER)
    response = client.post(
        "/en/registry/households/new/", factories.household_form(birth_date="2999-01-01")
    )
    assert response.context["head_form"].errors["birth_date"] == [
        "The birth date cannot be in the future."
    ]
    assert not Household.objects.exists()


def test_search_by_latin_name_finds_georgian_script_and_is_audited(login_as):
    factories.household(head={"first_name": "გიორგი", "last_name": "ჭავჭავაძე"})
    factories.household(head={"first_name": "ნინო", "last_name": "ბერიძე", "sex": "F"})
    client = login_as(Role.SSA_OFFICER)
    for query in ["giorgi", "chavchavadze", "ch'avch'avadze gi", "გიორგი"]:
        response = client.get("/en/registry/people/", {"q": query})
        names = [str(p) for p in response.context["page"].items]
        assert names == ["გიორგი ჭავჭავაძე"], query
    assert LogEntry.objects.filter(actor=client.user, object_repr="search").count() == 4


def test_live_search_returns_only_the_results_fragment(login_as):
    factories.household()
    client = login_as(Role.SSA_OFFICER)
    response = client.get("/en/registry/people/", {"q": "giorgi"}, HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "registry/_person_results.html"
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]
    assert "no-store" in response["Cache-Control"]


def test_opening_a_record_writes_an_access_row(login_as):
    household = factories.household()
    person = household.memberships.get().person
    client = login_as(Role.SOCIAL_WORKER)
    assert client.get(f"/en/registry/people/{person.pk}/").status_code == 200
    assert client.get(f"/en/registry/households/{household.pk}/").status_code == 200
    accessed = set(
        LogEntry.objects.filter(actor=client.user, action=LogEntry.Action.ACCESS).values_list(
            "content_type__model", "object_pk"
        )
    )
    assert accessed == {("person", str(person.pk)), ("household", str(household.pk))}


def test_edit_shows_in_the_history(login_as):
    household = factories.household()
    person = household.memberships.get().person
    client = login_as(Role.SSA_OFFICER)
    form = client.get(f"/en/registry/people/{person.pk}/edit/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.update({"first_name": "ლაშა", "birth_date": "1980-05-17"})
    response = client.post(f"/en/registry/people/{person.pk}/edit/", data)
    assert response.status_code == 302, response.context["form"].errors
    page = client.get(f"/en/registry/people/{person.pk}/")
    history = page.context["history"]
    assert history[0].visible_changes["first_name"] == ["გიორგი", "ლაშა"]
    assert history[0].actor == client.user
    assert "ლაშა".encode() in page.content


def test_health_details_are_hidden_from_municipal_officers(login_as):
    household = factories.household("kutaisi", head={"disability_degree": "severe"})
    person = household.memberships.get().person
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    page = client.get(f"/en/registry/people/{person.pk}/")
    assert b"Severe" not in page.content and b"severe" not in page.content
    form = client.get(f"/en/registry/people/{person.pk}/edit/").context["form"]
    assert "disability_degree" not in form.fields
    assert b"Severe" in login_as(Role.SSA_OFFICER).get(f"/en/registry/people/{person.pk}/").content


def test_municipal_officer_gets_404_outside_their_municipality(login_as):
    household = factories.household("batumi")
    person = household.memberships.get().person
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert client.get(f"/en/registry/households/{household.pk}/").status_code == 404
    assert client.get(f"/en/registry/people/{person.pk}/").status_code == 404
    assert client.post(f"/en/registry/people/{person.pk}/edit/", {}).status_code == 404
    assert client.get("/en/registry/people/", {"q": "giorgi"}).context["page"].items == []


@pytest.mark.parametrize("role", [Role.ANALYST, Role.SERVICE_PROVIDER, Role.CITIZEN])
def test_roles_without_registry_access_get_403(login_as, role):
    household = factories.household()
    client = login_as(role)
    assert client.get("/en/registry/people/").status_code == 403
    assert client.get(f"/en/registry/households/{household.pk}/").status_code == 403
    assert client.get("/en/registry/households/new/").status_code == 403


@pytest.mark.parametrize("role", [Role.SOCIAL_WORKER, Role.SUPERVISOR])
def test_read_only_roles_get_403_on_edit_pages(login_as, role):
    household = factories.household()
    client = login_as(role)
    assert client.get(f"/en/registry/households/{household.pk}/edit/").status_code == 403
    assert (
        client.post("/en/registry/households/new/", factories.household_form()).status_code == 403
    )
    assert Household.objects.count() == 1


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/registry/people/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_move_to_an_unknown_household_names_the_field(login_as):
    person = factories.member(factories.household())
    client = login_as(Role.SSA_OFFICER)
    response = client.post(
        f"/en/registry/people/{person.pk}/move/", {"household_id": 999999, "relationship": "child"}
    )
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["There is no household with this number in your area."]
    assert person.memberships.get().end_date is None


def test_split_and_move_through_the_ui(login_as):
    source = factories.household()
    son = factories.member(source, first_name="ლევანი")
    daughter = factories.member(source, first_name="ანა", sex="F")
    target = factories.household()
    client = login_as(Role.SSA_OFFICER)
    response = client.post(
        f"/en/registry/people/{daughter.pk}/move/",
        {"household_id": target.pk, "relationship": "spouse"},
    )
    assert response.status_code == 302
    assert daughter.memberships.get(end_date__isnull=True).household == target
    response = client.post(
        f"/en/registry/households/{source.pk}/split/",
        {
            "members": [son.pk],
            "head": son.pk,
            "municipality": source.municipality_id,
            "address": "ახალი 1",
            "dwelling_type": "house",
            "dwelling_tenure": "rented",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert son.memberships.get(end_date__isnull=True).relationship == "head"


def test_member_add_for_a_new_person_and_refusal_of_a_taken_one(login_as):
    household = factories.household()
    other = factories.household()
    taken = other.memberships.get().person
    client = login_as(Role.SSA_OFFICER)
    response = client.post(
        f"/en/registry/households/{household.pk}/members/add/",
        {"relationship": "child", "existing_personal_number": taken.personal_number},
    )
    assert response.status_code == 200
    assert "already belongs" in str(response.context["form"].errors)
    response = client.post(
        f"/en/registry/households/{household.pk}/members/add/",
        {
            "relationship": "child",
            "new-first_name": "საბა",
            "new-last_name": "ბერიძე",
            "new-personal_number": "01024089999",
            "new-birth_date": "2015-02-03",
            "new-sex": "M",
            "new-citizenship": "GE",
            "new-disability_degree": "none",
            "new-pension_kind": "none",
            "new-pension_amount": "0",
            "new-employment_status": "child",
        },
    )
    assert response.status_code == 302
    assert (
        Person.objects.get(personal_number="01024089999").memberships.get().household == household
    )


def test_hot_pages_use_a_bounded_number_of_queries(login_as, django_assert_max_num_queries):
    household = factories.household()
    for _ in range(8):
        factories.member(household, first_name="ნიკა")
    client = login_as(Role.SSA_OFFICER)
    with django_assert_max_num_queries(20):
        found = client.get("/en/registry/people/", {"q": "nika"})
    assert found.status_code == 200
    assert len(found.context["page"].items) == 8  # the 8 Nikas, each a query if not prefetched
    assert found.content.decode().count("/en/registry/people/") >= 8
    with django_assert_max_num_queries(20):
        page = client.get(f"/en/registry/households/{household.pk}/")
    assert page.status_code == 200
    assert len(page.context["members"]) == 9
    assert page.content.decode().count("ნიკა") >= 8
    with django_assert_max_num_queries(20):
        listed = client.get("/en/registry/households/")
    assert listed.status_code == 200
    assert f"/en/registry/households/{household.pk}/" in listed.content.decode()


def test_georgian_is_the_default_language_and_english_one_click_away(login_as):
    client = login_as(Role.SSA_OFFICER)
    assert '<html lang="ka"' in client.get("/").content.decode()
    assert '<html lang="en"' in client.get("/en/").content.decode()


def test_history_names_municipalities_instead_of_ids(login_as):
    household = factories.household("kutaisi")
    client = login_as(Role.SSA_OFFICER)
    services.household_update(
        actor=client.user,
        household=household,
        data={"municipality": Municipality.objects.get(code="batumi")},
    )
    # Named in the page's language (core's history_changes), not by their ids.
    english = client.get(f"/en/registry/households/{household.pk}/").content.decode()
    assert "</span>Kutaisi</del>" in english and "</span>Batumi</ins>" in english
    georgian = client.get(f"/registry/households/{household.pk}/").content.decode()
    assert "</span>ქუთაისი</del>" in georgian and "</span>ბათუმი</ins>" in georgian


def test_lookups_by_personal_number_stay_inside_the_officers_area(login_as):
    kutaisi = factories.household("kutaisi")
    outsider = factories.household("batumi").memberships.get().person
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    response = client.post(
        f"/en/registry/households/{kutaisi.pk}/members/add/",
        {"relationship": "child", "existing_personal_number": outsider.personal_number},
    )
    errors = response.context["form"].errors["existing_personal_number"]
    assert errors == ["No person with this personal number is registered in your area."]
    head = kutaisi.memberships.get().person
    response = client.post(
        f"/en/registry/people/{head.pk}/representatives/add/",
        {
            "representative_personal_number": outsider.personal_number,
            "kind": "guardian",
            "basis": "N 1",
            "valid_from": "2024-01-01",
        },
    )
    assert response.context["form"].errors["representative_personal_number"] == errors
    probes = LogEntry.objects.filter(actor=client.user, object_repr="search")
    assert [e.additional_data["terms"]["personal_number"] for e in probes] == [
        outsider.personal_number
    ] * 2
    assert outsider.memberships.get().household.municipality.code == "batumi"


def test_the_dpo_cannot_browse_the_registry(login_as):
    household = factories.household()
    client = login_as(Role.DPO)
    assert client.get("/en/registry/people/", {"q": "giorgi"}).status_code == 403
    assert client.get(f"/en/registry/households/{household.pk}/").status_code == 403


def test_household_list_keeps_its_filter_on_later_pages(login_as):
    client = login_as(Role.SSA_OFFICER)
    form = client.get("/en/registry/households/", {"page": 2}).context["form"]
    assert form.cleaned_data["active"] == "1"


def test_changing_the_head_lets_the_former_head_move(login_as):
    household = factories.household()
    former = household.memberships.get().person
    son = factories.member(household, first_name="ლევანი")
    client = login_as(Role.SSA_OFFICER)
    assert client.get(f"/en/registry/households/{household.pk}/head/").status_code == 200
    response = client.post(
        f"/en/registry/households/{household.pk}/head/",
        {"new_head": son.pk, "old_head_relationship": "head"},
    )
    assert "old_head_relationship" in response.context["form"].errors
    response = client.post(
        f"/en/registry/households/{household.pk}/head/",
        {"new_head": son.pk, "old_head_relationship": "parent"},
    )
    assert response.status_code == 302
    current = dict(
        household.memberships.filter(end_date=None).values_list("person", "relationship")
    )
    assert current == {son.pk: "head", former.pk: "parent"}
    services.member_move(
        actor=client.user, person=former, to_household=factories.household(), relationship="parent"
    )
    assert former.memberships.get(end_date=None).household != household


def test_higher_apps_add_their_panels_and_menu_entries_without_the_registry_knowing(
    login_as, monkeypatch
):
    """The household page shows the rating scores (assessment) and eligibility (programmes)
    through the `household_panels` slot; an app registered later (cases) appears the same way,
    and only to users it allows."""
    from zrunva.core import extensions

    for slot in ("household_panels", "person_panels", "nav"):
        monkeypatch.setitem(extensions._slots, slot, dict(extensions._slots[slot]))
    extensions.register(
        "person_panels", "cases", extensions.Panel("Cases", "registry:person_detail")
    )
    extensions.register(
        "nav",
        "cases",
        extensions.NavItem(
            "Cases for admins", "registry:person_list", lambda u: u.role == Role.ADMIN
        ),
    )
    household = factories.household()
    person = household.memberships.get().person
    officer = login_as(Role.SSA_OFFICER)
    page = officer.get(f"/en/registry/households/{household.pk}/").content.decode()
    assert f'hx-get="/en/assessment/household/{household.pk}/scores/"' in page
    assert f'href="/en/eligibility/household/{household.pk}/"' in page
    page = officer.get(f"/en/registry/people/{person.pk}/").content.decode()
    assert f'hx-get="/en/registry/people/{person.pk}/"' in page
    assert "Cases for admins" not in page
    assert "Cases for admins" in login_as(Role.ADMIN).get("/en/").content.decode()


def _income_for(person):
    from zrunva.registry import services

    return services.income_add(
        actor=factories.system_actor(),
        person=person,
        data={"kind": "wages", "monthly_amount": "900.00", "since": "2024-01-01"},
    )


def test_person_page_offers_change_and_end_and_the_forms_save(login_as):
    from zrunva.registry import services

    household = factories.household("kutaisi")
    person = household.memberships.get().person
    income = _income_for(person)
    other = factories.member(household, "spouse")
    link = services.representative_add(
        actor=factories.system_actor(),
        person=person,
        data={
            "representative": other,
            "kind": "guardian",
            "basis": "N 1",
            "valid_from": "2024-01-01",
        },
    )
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    page = client.get(f"/en/registry/people/{person.pk}/").content.decode()
    base = f"/en/registry/people/{person.pk}"
    for href in (
        f"{base}/incomes/{income.pk}/edit/",
        f"{base}/incomes/{income.pk}/end/",
        f"{base}/representatives/{link.pk}/end/",
    ):
        assert f'href="{href}"' in page
    response = client.post(
        f"{base}/incomes/{income.pk}/edit/",
        {"kind": "wages", "monthly_amount": "-5", "since": "2024-01-01"},
    )
    assert response.context["form"].errors["monthly_amount"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert b"There is a problem" in response.content
    response = client.post(
        f"{base}/incomes/{income.pk}/edit/",
        {"kind": "rent", "monthly_amount": "120", "since": "2024-01-01"},
    )
    assert response.status_code == 302
    response = client.post(f"{base}/incomes/{income.pk}/end/", {"on": "2023-01-01"})
    assert response.context["form"].errors["on"] == [
        "The income cannot end before it began (01.01.2024)."
    ]
    assert client.post(f"{base}/incomes/{income.pk}/end/", {"on": "2025-01-01"}).status_code == 302
    response = client.post(f"{base}/representatives/{link.pk}/end/", {"on": "2025-02-28"})
    assert response.status_code == 302
    income.refresh_from_db()
    link.refresh_from_db()
    assert (income.kind, str(income.monthly_amount), str(income.until)) == (
        "rent",
        "120.00",
        "2025-01-01",
    )
    assert str(link.valid_until) == "2025-02-28"
    page = client.get(f"{base}/").content.decode()
    assert f'href="{base}/incomes/{income.pk}/end/"' not in page  # ended: only Change stays
    assert f'href="{base}/incomes/{income.pk}/edit/"' in page


@pytest.mark.parametrize(
    ("role", "scope", "status"),
    [
        (Role.SOCIAL_WORKER, {}, 403),
        (Role.DPO, {}, 403),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404),
    ],
)
def test_change_and_end_screens_are_refused_outside_role_and_area(login_as, role, scope, status):
    person = factories.household("kutaisi").memberships.get().person
    income = _income_for(person)
    client = login_as(role, **scope)
    base = f"/en/registry/people/{person.pk}"
    assert client.get(f"{base}/incomes/{income.pk}/edit/").status_code == status
    assert (
        client.post(f"{base}/incomes/{income.pk}/end/", {"on": "2025-01-01"}).status_code == status
    )
    income.refresh_from_db()
    assert income.until is None


def test_an_income_of_another_person_is_not_found_under_this_one(login_as):
    person = factories.household("kutaisi").memberships.get().person
    stranger = factories.household("kutaisi").memberships.get().person
    income = _income_for(stranger)
    client = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert (
        client.get(f"/en/registry/people/{person.pk}/incomes/{income.pk}/end/").status_code == 404
    )
