from datetime import date, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.registry import services
from zrunva.registry.models import Household, Membership, Person
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db


def test_register_household_computes_latin_names_and_search_keys():
    household = factories.household(head={"first_name": "ნინო", "last_name": "წერეთელი"})
    head = household.memberships.get().person
    assert (head.first_name_latin, head.last_name_latin) == ("Nino", "Ts'ereteli")
    assert head.name_key == "nino tsereteli"
    assert head.name_key_rev == "tsereteli nino"
    assert household.memberships.get().relationship == "head"


def test_duplicate_personal_number_names_the_field_and_saves_nothing():
    factories.household(head={"personal_number": "01001012345"})
    households_before = Household.objects.count()
    with pytest.raises(ValidationError) as err:
        factories.household(head={"personal_number": "01001012345"})
    assert err.value.message_dict == {
        "personal_number": ["Another person already has this personal number."]
    }
    # The household row written before the head failed was rolled back.
    assert Household.objects.count() == households_before


@pytest.mark.parametrize("number", ["123", "0100101234X", "010010123456"])
def test_malformed_personal_number_is_refused(number):
    with pytest.raises(ValidationError) as err:
        factories.household(head={"personal_number": number})
    assert "personal_number" in err.value.message_dict


def test_person_without_any_identifier_is_refused():
    with pytest.raises(ValidationError) as err:
        factories.household(head={"personal_number": None})
    assert "personal_number" in err.value.message_dict


def test_foreigner_registers_with_another_document():
    household = factories.household(
        head={
            "personal_number": None,
            "alt_id_kind": "foreign_passport",
            "alt_id_number": "P1234567",
            "citizenship": "TR",
            "first_name": "აიშე",
            "last_name": "ილდიზი",
        }
    )
    person = household.memberships.get().person
    assert person.personal_number is None
    assert person.identifier.endswith("P1234567")


def test_birth_date_in_the_future_is_refused():
    with pytest.raises(ValidationError) as err:
        factories.household(head={"birth_date": timezone.localdate() + timedelta(days=1)})
    assert err.value.message_dict["birth_date"] == ["The birth date cannot be in the future."]


def test_birth_date_before_1900_is_refused_on_every_entry_point():
    """The API's schema publishes dates of a life from 1900; the model holds the same rule, so
    the screens and imports refuse what the API refuses."""
    with pytest.raises(ValidationError) as err:
        factories.household(head={"birth_date": date(1899, 12, 31)})
    assert err.value.message_dict["birth_date"] == ["The birth date cannot be before 1900."]


def test_latin_letters_in_a_georgian_name_are_refused():
    with pytest.raises(ValidationError) as err:
        factories.household(head={"first_name": "Giorgi"})
    assert "first_name" in err.value.message_dict


def test_settlement_must_lie_in_the_municipality():
    from zrunva.geo.models import Settlement

    batumi = Settlement.objects.get(municipality__code="batumi")
    with pytest.raises(ValidationError) as err:
        factories.household("kutaisi", settlement=batumi)
    assert "settlement" in err.value.message_dict


def test_a_person_cannot_be_in_two_households_at_once():
    first = factories.household()
    second = factories.household()
    person = first.memberships.get().person
    with pytest.raises(ValidationError) as err:
        services.member_add(
            actor=factories.system_actor(), household=second, person=person, relationship="child"
        )
    assert "person" in err.value.message_dict
    assert Membership.objects.filter(person=person).count() == 1


def test_a_household_has_one_head():
    household = factories.household()
    with pytest.raises(ValidationError) as err:
        factories.member(household, relationship="head")
    assert "relationship" in err.value.message_dict
    assert (
        not Person.objects.filter(first_name="გიორგი").exclude(memberships__isnull=False).exists()
    )


def test_move_ends_old_membership_where_the_new_one_starts():
    source = factories.household()
    child = factories.member(source, first_name="ანა", sex="F", birth_date=date(2001, 1, 1))
    target = factories.household()
    on = timezone.localdate()
    services.member_move(
        actor=factories.system_actor(),
        person=child,
        to_household=target,
        relationship="spouse",
        on=on,
    )
    old, new = child.memberships.order_by("id")
    assert (old.household, old.end_date, old.end_reason) == (source, on, "moved")
    assert (new.household, new.start_date, new.end_date) == (target, on, None)


def test_nobody_moves_into_a_closed_household():
    source = factories.household()
    child = factories.member(source)
    closed = factories.household()
    Household.objects.filter(pk=closed.pk).update(is_active=False)
    closed.refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        services.member_move(
            actor=factories.system_actor(), person=child, to_household=closed, relationship="child"
        )
    assert child.memberships.get().household == source


def test_the_head_cannot_be_moved_before_a_new_head_is_chosen():
    source = factories.household()
    factories.member(source)
    head = source.memberships.get(relationship="head").person
    with pytest.raises(ValidationError):
        services.member_move(
            actor=factories.system_actor(),
            person=head,
            to_household=factories.household(),
            relationship="parent",
        )


def test_split_moves_members_into_a_new_household():
    source = factories.household()
    son = factories.member(source, first_name="ლევანი")
    wife = factories.member(source, relationship="other_relative", first_name="მაკა", sex="F")
    new = services.household_split(
        actor=factories.system_actor(),
        source=source,
        members=[son, wife],
        head=son,
        household={"municipality": source.municipality, "address": "ახალი მისამართი 5"},
    )
    assert set(
        new.memberships.filter(end_date__isnull=True).values_list("person", "relationship")
    ) == {(son.pk, "head"), (wife.pk, "other_relative")}
    assert source.memberships.filter(end_date__isnull=True).count() == 1
    assert set(source.memberships.exclude(end_date=None).values_list("end_reason", flat=True)) == {
        "split"
    }


def test_split_refuses_to_empty_the_source_or_take_its_head():
    source = factories.household()
    head = source.memberships.get().person

    def split():
        services.household_split(
            actor=factories.system_actor(),
            source=source,
            members=[head],
            head=head,
            household={"municipality": source.municipality, "address": "x"},
        )

    with pytest.raises(ValidationError, match="must stay"):
        split()
    child = factories.member(source)
    with pytest.raises(ValidationError, match="head stays"):
        split()
    assert child.memberships.get().end_date is None
    assert Household.objects.count() == 1


def test_every_change_is_versioned_with_actor_old_and_new_values(make_user):
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household()
    person = household.memberships.get().person
    services.person_update(actor=officer, person=person, data={"first_name": "გოგა"})
    entry = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == officer
    assert entry.changes["first_name"] == ["გიორგი", "გოგა"]
    assert entry.changes["first_name_latin"] == ["Giorgi", "Goga"]


def test_municipal_officer_cannot_register_outside_their_municipality(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    from zrunva.geo.models import Municipality

    with pytest.raises(PermissionDenied):
        services.household_register(
            actor=officer,
            household={"municipality": Municipality.objects.get(code="batumi"), "address": "x"},
            head=factories.person_data(),
        )
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    "role",
    [
        Role.SOCIAL_WORKER,
        Role.SUPERVISOR,
        Role.ANALYST,
        Role.SERVICE_PROVIDER,
        Role.DPO,
        Role.CITIZEN,
    ],
)
def test_roles_without_edit_rights_cannot_change_the_registry(make_user, role):
    household = factories.household()
    person = household.memberships.get().person
    with pytest.raises(PermissionDenied):
        services.person_update(actor=make_user(role), person=person, data={"first_name": "გოგა"})
    person.refresh_from_db()
    assert person.first_name == "გიორგი"


def test_municipal_officer_may_not_record_disability(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    person = factories.household().memberships.get().person
    with pytest.raises(ValidationError) as err:
        services.person_update(actor=officer, person=person, data={"disability_degree": "severe"})
    assert "disability_degree" in err.value.message_dict


def test_representative_cannot_be_the_person_themself():
    person = factories.household().memberships.get().person
    with pytest.raises(ValidationError):
        services.representative_add(
            actor=factories.system_actor(),
            person=person,
            data={
                "representative": person,
                "kind": "guardian",
                "basis": "N1",
                "valid_from": date(2024, 1, 1),
            },
        )


def test_income_removal_stays_in_the_persons_history(admin_user):
    from zrunva.registry.selectors import person_history

    person = factories.household().memberships.get().person
    income = services.income_add(
        actor=admin_user, person=person, data={"kind": "wages", "monthly_amount": "900.00"}
    )
    services.income_remove(actor=admin_user, income=income)
    actions = [
        e.action
        for e in person_history(actor=admin_user, person=person)
        if e.content_type.model == "incomesource"
    ]
    assert actions == [LogEntry.Action.DELETE, LogEntry.Action.CREATE]


def test_people_carry_their_current_households_municipality(admin_user):
    from zrunva.geo.models import Municipality

    kutaisi = factories.household("kutaisi")
    child = factories.member(kutaisi)
    assert Person.objects.get(pk=child.pk).municipality.code == "kutaisi"
    batumi = factories.household("batumi")
    services.member_move(actor=admin_user, person=child, to_household=batumi, relationship="child")
    assert Person.objects.get(pk=child.pk).municipality.code == "batumi"
    services.household_update(
        actor=admin_user,
        household=batumi,
        data={"municipality": Municipality.objects.get(code="poti")},
    )
    assert set(
        Person.objects.filter(memberships__household=batumi).values_list(
            "municipality__code", flat=True
        )
    ) == {"poti"}
    # The derived copy is not a change of the person: no history row for it.
    assert not any(
        "municipality" in (e.changes or {}) for e in LogEntry.objects.get_for_object(child)
    )


def test_an_update_from_a_stale_copy_keeps_what_others_saved(admin_user):
    household = factories.household()
    stale = Person.objects.get(pk=household.memberships.get().person_id)
    services.person_update(
        actor=admin_user, person=Person.objects.get(pk=stale.pk), data={"last_name": "ლომიძე"}
    )
    services.person_update(actor=admin_user, person=stale, data={"first_name": "ლაშა"})
    person = Person.objects.get(pk=stale.pk)
    assert (person.first_name, person.last_name) == ("ლაშა", "ლომიძე")
    assert person.name_key == "lasha lomidze"


# -- Changing and ending incomes and representations ------------------------------------------


def _income(person, **data):
    data = {"kind": "wages", "monthly_amount": "900.00", "since": date(2024, 1, 1), **data}
    return services.income_add(actor=factories.system_actor(), person=person, data=data)


def _representation(person, **data):
    other = factories.member(person.memberships.get().household, "spouse")
    data = {
        "representative": other,
        "kind": "guardian",
        "basis": "N 1",
        "valid_from": date(2024, 1, 1),
        **data,
    }
    return services.representative_add(actor=factories.system_actor(), person=person, data=data)


def _audit_rows(instance, action):
    return LogEntry.objects.get_for_object(instance).filter(action=action)


def test_income_update_changes_the_amount_and_keeps_the_old_one_in_the_trail(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    income = _income(factories.household("kutaisi").memberships.get().person)
    services.income_update(
        actor=officer, income=income, data={"monthly_amount": "950.50", "kind": "rent"}
    )
    income.refresh_from_db()
    assert (str(income.monthly_amount), income.kind) == ("950.50", "rent")
    entry = _audit_rows(income, LogEntry.Action.UPDATE).get()
    assert entry.actor == officer
    assert entry.changes["monthly_amount"] == ["900.00", "950.50"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"monthly_amount": "-1"},
            "monthly_amount",
            "Ensure this value is greater than or equal to 0.",
        ),
        ({"kind": "lottery"}, "kind", "Value 'lottery' is not a valid choice."),
        ({"until": date(2025, 1, 1)}, "until", "This field cannot be set here."),
    ],
)
def test_income_update_refuses_what_income_add_refuses(admin_user, data, field, message):
    income = _income(factories.household().memberships.get().person)
    with pytest.raises(ValidationError) as err:
        services.income_update(actor=admin_user, income=income, data=data)
    assert err.value.message_dict[field] == [message]
    income.refresh_from_db()
    assert (str(income.monthly_amount), income.kind, income.until) == ("900.00", "wages", None)


def test_an_ended_income_cannot_be_given_a_start_after_its_end(admin_user):
    income = _income(factories.household().memberships.get().person)
    services.income_end(actor=admin_user, income=income, on=date(2024, 6, 1))
    with pytest.raises(ValidationError) as err:
        services.income_update(actor=admin_user, income=income, data={"since": date(2024, 7, 1)})
    assert err.value.message_dict == {
        "since": ["The income cannot begin after it ended (01.06.2024)."]
    }


def test_income_end_keeps_the_income_with_its_end_and_audits_it(make_user):
    officer = make_user(Role.SSA_OFFICER)
    household = factories.household()
    income = _income(household.memberships.get().person)
    before = Household.objects.get(pk=household.pk).updated_at
    services.income_end(actor=officer, income=income, on=date(2025, 3, 1))
    income.refresh_from_db()
    assert income.until == date(2025, 3, 1)
    entry = _audit_rows(income, LogEntry.Action.UPDATE).get()
    assert (entry.actor, entry.changes["until"]) == (officer, [None, "2025-03-01"])
    # Decisions made from the registry before now are no longer current for the household.
    assert Household.objects.get(pk=household.pk).updated_at > before


def test_income_end_refuses_a_day_before_the_start_and_a_second_end(admin_user):
    income = _income(factories.household().memberships.get().person)
    with pytest.raises(ValidationError) as err:
        services.income_end(actor=admin_user, income=income, on=date(2023, 12, 31))
    assert err.value.message_dict == {"on": ["The income cannot end before it began (01.01.2024)."]}
    services.income_end(actor=admin_user, income=income, on=date(2024, 1, 1))
    with pytest.raises(ValidationError) as err:
        services.income_end(actor=admin_user, income=income, on=date(2024, 2, 1))
    assert err.value.messages == ["This income source already ended on 01.01.2024."]
    income.refresh_from_db()
    assert income.until == date(2024, 1, 1)


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (Role.SOCIAL_WORKER, {}),
        (Role.SUPERVISOR, {}),
        (Role.ANALYST, {}),
        (Role.DPO, {}),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}),
    ],
)
def test_incomes_and_representations_are_changed_only_by_editors_of_the_area(
    make_user, role, scope
):
    actor = make_user(role, **scope)
    person = factories.household("kutaisi").memberships.get().person
    income = _income(person)
    link = _representation(person)
    with pytest.raises(PermissionDenied):
        services.income_update(actor=actor, income=income, data={"monthly_amount": "1.00"})
    with pytest.raises(PermissionDenied):
        services.income_end(actor=actor, income=income, on=date(2025, 1, 1))
    with pytest.raises(PermissionDenied):
        services.representative_end(actor=actor, representative=link, on=date(2025, 1, 1))
    income.refresh_from_db()
    link.refresh_from_db()
    assert (str(income.monthly_amount), income.until, link.valid_until) == ("900.00", None, None)
    assert not _audit_rows(income, LogEntry.Action.UPDATE).exists()


def test_representative_end_records_the_last_day_and_audits_it(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    link = _representation(factories.household("kutaisi").memberships.get().person)
    services.representative_end(actor=officer, representative=link, on=date(2025, 5, 31))
    link.refresh_from_db()
    assert link.valid_until == date(2025, 5, 31)
    entry = _audit_rows(link, LogEntry.Action.UPDATE).get()
    assert (entry.actor, entry.changes["valid_until"]) == (officer, [None, "2025-05-31"])


def test_representative_end_refuses_a_day_before_the_start_a_later_end_and_a_second_end(
    admin_user,
):
    today = timezone.localdate()
    person = factories.household().memberships.get().person
    link = _representation(person, valid_until=today + timedelta(days=30))
    with pytest.raises(ValidationError) as err:
        services.representative_end(actor=admin_user, representative=link, on=date(2023, 1, 1))
    assert err.value.message_dict == {
        "on": ["The representation cannot end before it began (01.01.2024)."]
    }
    with pytest.raises(ValidationError) as err:
        services.representative_end(
            actor=admin_user, representative=link, on=today + timedelta(days=60)
        )
    until = (today + timedelta(days=30)).strftime("%d.%m.%Y")
    assert err.value.message_dict == {
        "on": [f"The representation already ends on {until}; choose an earlier day."]
    }
    services.representative_end(actor=admin_user, representative=link, on=date(2024, 6, 30))
    with pytest.raises(ValidationError) as err:
        services.representative_end(actor=admin_user, representative=link, on=date(2024, 3, 1))
    assert err.value.messages == ["This representation already ended on 30.06.2024."]


def test_the_means_test_does_not_count_an_ended_income_from_its_end(admin_user):
    from zrunva.geo.models import Municipality
    from zrunva.registry.columns import registry_frames

    household = services.household_register(
        actor=admin_user,
        household={"municipality": Municipality.objects.get(code="kutaisi"), "address": "N 2"},
        head=factories.person_data(),
        start_date=date(2020, 1, 1),
    )
    person = household.memberships.get().person
    _income(person, monthly_amount="900.00", since=date(2024, 1, 1))
    ended = _income(person, kind="rent", monthly_amount="100.00", since=date(2024, 1, 1))
    services.income_end(actor=admin_user, income=ended, on=date(2025, 6, 1))

    def income_on(day):
        # The path a household's eligibility and scoring read (programmes.eligibility).
        return registry_frames(on=day, household_ids=[household.pk]).people["income"].to_list()

    assert income_on(date(2023, 12, 31)) == [0.0]
    assert income_on(date(2025, 5, 31)) == [1000.0]
    assert income_on(date(2025, 6, 1)) == [900.0]
    assert income_on(timezone.localdate()) == [900.0]
