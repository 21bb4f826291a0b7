"""Intake that does not make officers re-type (issue 13, item 4): the register step proposes
the registry's households, a new household is filled in from the application, and phones are
stored in one form."""

import importlib
import re
from datetime import date

import pytest
from auditlog.models import LogEntry
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation

from zrunva.accounts.choices import Role
from zrunva.applications.choices import Channel, Status
from zrunva.applications.forms import ApplicationForm
from zrunva.applications.models import Application
from zrunva.applications.services import application_submit
from zrunva.applications.tests.factories import APPLICANT, submit
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.registry.models import Membership, Person
from zrunva.registry.tests import factories
from zrunva.registry.tests.factories import household_form

pytestmark = pytest.mark.django_db

NAME_AND_BIRTH = {"first_name": "ნინო", "last_name": "ბერიძე", "birth_date": date(1985, 3, 1)}


def _proposals(client, application) -> list:
    response = client.get(reverse("applications:detail", args=[application.pk]))
    assert response.status_code == 200
    return response.context["proposals"]


def test_the_register_step_proposes_the_personal_number_first_then_name_and_birth_date(login_as):
    application = submit()
    # Created first, so that the order is the rule's, not the ids'.
    by_name = factories.household(head=NAME_AND_BIRTH | {"personal_number": "01001099999"})
    reversed_name = factories.household(
        head={"first_name": "ბერიძე", "last_name": "ნინო", "birth_date": date(1985, 3, 1)}
    )
    by_number = factories.household(head={"personal_number": APPLICANT["personal_number"]})
    factories.household(head=NAME_AND_BIRTH | {"birth_date": date(1985, 3, 2)})  # another day
    factories.household("zugdidi", head=NAME_AND_BIRTH)  # outside the area
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    proposals = _proposals(client, application)
    assert [m.household_id for m in proposals] == [
        by_number.pk,
        by_name.pk,
        reversed_name.pk,
    ]
    search = LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS, additional_data__purpose="search"
    ).latest("id")
    assert (
        search.additional_data["terms"]["purpose"] == f"register application {application.number}"
    )
    assert search.additional_data["shown"] == 3
    # The name typed in Latin letters finds the same people: the keys are one script's.
    latin = submit(personal_number="01001000088", first_name="Nino", last_name="Beridze")
    assert [m.household_id for m in _proposals(client, latin)] == [by_name.pk, reversed_name.pk]


def test_an_officer_registers_the_application_to_a_proposed_household_in_one_click(login_as):
    application = submit()
    household = factories.household(head={"personal_number": APPLICANT["personal_number"]})
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Register to this household" in html and f'value="{household.pk}"' in html
    response = client.post(
        reverse("applications:move", args=[application.pk]),
        {"to": Status.REGISTERED, "household": household.pk},
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.household_id) == (Status.REGISTERED, household.pk)
    # Registered: nothing more to propose.
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "Register to this household" not in html


def test_no_proposals_for_a_role_that_does_not_register(login_as):
    application = submit()
    factories.household(head={"personal_number": APPLICANT["personal_number"]})
    client = login_as(Role.SSA_OFFICER, office="ssa-zugdidi")
    assert client.get(reverse("applications:detail", args=[application.pk])).status_code == 404


def _with_members(members: list[dict]) -> Application:
    return application_submit(
        channel=Channel.PORTAL,
        programme=Programme.objects.get(code="tsa"),
        municipality=Municipality.objects.get(code="kutaisi"),
        applicant=APPLICANT,
        members=members,
        consent=True,
    )


def _declared_member():
    return {
        "first_name": "ლუკა",
        "last_name": "ბერიძე",
        "birth_date": "2012-06-01",
        "personal_number": "01001054321",
        "relationship": "child",
    }


def test_a_new_household_is_filled_in_from_the_application(login_as):
    application = _with_members([_declared_member()])
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    page = client.get(reverse("applications:household_register", args=[application.pk]))
    assert page.status_code == 200
    head = page.context["head_form"]
    assert head["first_name"].value() == "ნინო"
    assert head["personal_number"].value() == APPLICANT["personal_number"]
    assert str(head["birth_date"].value()) == "1985-03-01"
    assert page.context["household_form"]["municipality"].value() == application.municipality_id
    (member,) = page.context["member_forms"]
    assert member["first_name"].value() == "ლუკა"
    assert member["relationship"].value() == "child"


def test_registering_the_prefilled_household_registers_the_application(login_as):
    application = _with_members([_declared_member()])
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    data = household_form(
        personal_number=APPLICANT["personal_number"],
        first_name="ნინო",
        last_name="ბერიძე",
        birth_date="1985-03-01",
    )
    member = {f"member-0-{k}": v for k, v in data.items() if k.startswith("head-")}
    member = {k.replace("member-0-head-", "member-0-"): v for k, v in member.items()}
    member |= {f"member-0-{k}": v for k, v in _declared_member().items()} | {"member-0-sex": "M"}
    response = client.post(
        reverse("applications:household_register", args=[application.pk]), data | member
    )
    assert response.status_code == 302, response.context and [
        f.errors
        for f in (
            response.context["household_form"],
            response.context["head_form"],
            *response.context["member_forms"],
        )
    ]
    application.refresh_from_db()
    assert application.status == Status.REGISTERED
    members = Membership.objects.filter(household=application.household).order_by("id")
    assert [(m.person.personal_number, m.relationship) for m in members] == [
        (APPLICANT["personal_number"], "head"),
        ("01001054321", "child"),
    ]


def test_the_new_household_form_is_refused_once_the_application_is_registered(login_as):
    application = submit()
    household = factories.household()
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    client.post(
        reverse("applications:move", args=[application.pk]),
        {"to": Status.REGISTERED, "household": household.pk},
    )
    url = reverse("applications:household_register", args=[application.pk])
    assert client.get(url).status_code == 404
    assert Person.objects.filter(personal_number=APPLICANT["personal_number"]).count() == 0


def test_the_phone_is_stored_in_e164_and_shown_in_the_national_format(login_as):
    application = submit(phone="555 12-34-56")
    assert application.phone == "+995555123456"
    application.refresh_from_db()
    assert application.phone == "+995555123456"
    client = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = client.get(reverse("applications:detail", args=[application.pk])).content.decode()
    assert "555 12 34 56" in html and "+995555123456" not in html


def test_the_migration_converts_the_stored_phones():
    application = submit()
    other = submit(personal_number="01001000077")
    Application.objects.filter(pk=application.pk).update(phone="(555) 12 34 56")
    Application.objects.filter(pk=other.pk).update(phone="")
    migration = importlib.import_module("zrunva.applications.migrations.0011_phones_e164")
    migration.phones_e164(django_apps, None)
    application.refresh_from_db()
    other.refresh_from_db()
    assert (application.phone, other.phone) == ("+995555123456", "")


@pytest.mark.parametrize("language", ["ka", "en"])
def test_the_forms_programmes_and_places_are_names_in_the_languages_order(language):
    with translation.override(language):
        form = ApplicationForm()
        programmes = [label for value, label in form.fields["programme"].choices if value]
        places = [label for value, label in form.fields["municipality"].choices if value]
        active = Programme.objects.filter(is_active=True)
        assert len(programmes) == active.count() > 1
        # PostgreSQL's collation orders Latin text by its letters, case and marks aside.
        letters = (lambda t: re.sub(r"[^a-zა-ჰ]", "", t.lower())) if language == "en" else str
        assert programmes == sorted(programmes, key=letters)
        assert not {p.code for p in active} & set(programmes)
        assert {p.name for p in active if p.municipality_id is None} <= set(programmes)
        assert len(places) > 60 and places == sorted(places, key=letters)
        script = "ა" <= places[0][0] <= "ჰ"
        assert script == (language == "ka")
