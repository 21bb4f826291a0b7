"""Forms as data: the definition's rules with their places, the condition language (XLSForm's
`relevant`), every question type's answers, and versions that never change once published
(below the ORM)."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from zrunva.accounts.choices import Role
from zrunva.questionnaires import answers, conditions, definition, services
from zrunva.questionnaires.choices import ResponseStatus, VersionStatus
from zrunva.questionnaires.models import FormVersion, Response
from zrunva.questionnaires.tests.factories import FORM, YES_NO, q


def test_the_shipped_example_is_a_valid_definition():
    assert definition.check(FORM) == []
    assert definition.keys(FORM)[:3] == ["age", "lives_alone", "needs"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f["sections"][0]["questions"][1].update(key="age"),
            "the key “age” is used twice",
        ),
        (lambda f: f["sections"][0]["questions"][0].update(key="Age!"), "a key is 1 to 40"),
        (lambda f: f["sections"][0]["questions"][0].update(kind="slider"), "unknown kind"),
        (lambda f: f["sections"][0]["questions"][0].update(label_en=""), "in Georgian and English"),
        (lambda f: f["sections"][0]["questions"][1].update(choices=YES_NO[:1]), "from 2 to"),
        (
            lambda f: f["sections"][0]["questions"][1].update(choices=[YES_NO[0], YES_NO[0]]),
            "given twice",
        ),
        (lambda f: f["sections"][0]["questions"][0].update(min=10, max=5), "lowest value is above"),
        (lambda f: f["sections"][0]["questions"][4].update(min="2020-13-01"), "must be a date"),
        (lambda f: f["sections"][0]["questions"][5].update(min=3, max=3), "a scale runs"),
        (
            lambda f: f["sections"][0]["questions"][2].update(show_if="${consent} = 'yes'"),
            "“consent”, which is not a question before this one",
        ),
        (
            lambda f: f["sections"][0]["questions"][2].update(show_if="${height} > 3"),
            "“height”, which is not a question before this one",
        ),
        (
            lambda f: f["sections"][0]["questions"][2].update(show_if="${lives_alone} = 'maybe'"),
            "“maybe” is not a choice of “lives_alone”",
        ),
        (
            lambda f: f["sections"][0]["questions"][2].update(show_if="${age} >="),
            "cannot be read at character",
        ),
        (
            lambda f: f["sections"][0]["questions"][6].update(show_if="${m_age} > 3"),
            "“m_age”, which is not a question before this one",
        ),
        (lambda f: f["sections"][0]["questions"][7].update(max_repeats=99), "a group repeats"),
        (lambda f: f["sections"][0].update(questions=[]), "Section 1 has no question"),
    ],
)
def test_each_fault_is_named_with_its_place(change, message):
    broken = copy.deepcopy(FORM)
    change(broken)
    errors = definition.check(broken)
    assert any(message in e for e in errors), errors
    # The place says where, as an editor counts.
    assert all(e.startswith(("Section 1", "A form")) for e in errors), errors


def test_a_condition_fault_names_its_character():
    with pytest.raises(conditions.ConditionError) as error:
        conditions.parse("${age} >= 60 and and")
    assert error.value.position == 17


@pytest.mark.parametrize(
    ("text", "given", "expected"),
    [
        ("${age} >= 60", {"age": 60}, True),
        ("${age} >= 60", {"age": 59}, False),
        ("${age} >= 60", {}, False),
        ("${lives_alone} = 'yes' and ${age} > 80", {"lives_alone": "yes", "age": 81}, True),
        ("${lives_alone} = 'yes' and ${age} > 80", {"lives_alone": "no", "age": 81}, False),
        ("${a} = 'x' or ${b} = 'y'", {"b": "y"}, True),
        ("not(${a} = 'x')", {"a": "z"}, True),
        ("selected(${needs}, 'care')", {"needs": ["transport", "care"]}, True),
        ("selected(${needs}, 'care')", {"needs": ["transport"]}, False),
        ("${consent} = 'yes'", {"consent": True}, True),
        ("${consent} = 'no'", {"consent": True}, False),
        ("(${a} = 'x' or ${a} = 'y') and ${n} != 3", {"a": "y", "n": 4}, True),
        ("${n} < 2.5", {"n": 2}, True),
    ],
)
def test_conditions_hold_as_xlsform_reads_them(text, given, expected):
    assert conditions.holds(conditions.parse(text), given) is expected


def test_every_question_type_checks_its_answer():
    given = {
        "age": "67",
        "lives_alone": "yes",
        "needs": ["care", "transport"],
        "transport_note": "  Twice a week ",
        "visited": "2026-03-01",
        "satisfied": 4,
        "consent": "yes",
        "members": [{"m_age": 10, "m_school": False}, {"m_age": 40, "m_school": True}],
    }
    clean, errors = answers.check(FORM, given)
    assert errors == {}
    assert clean == {
        "age": 67,
        "lives_alone": "yes",
        "needs": ["transport", "care"],  # in the form's order
        "transport_note": "Twice a week",
        "visited": "2026-03-01",
        "satisfied": 4,
        "consent": True,
        # The adult's school answer is not asked (its condition fails): dropped.
        "members": [{"m_age": 10, "m_school": False}, {"m_age": 40}],
    }


def test_every_fault_of_a_response_at_once_each_at_its_place():
    given = {
        "age": "70",
        "lives_alone": "perhaps",
        "needs": ["transport", "transport"],
        "visited": "2019-12-31",
        "satisfied": 6,
        "consent": "",
        "members": [{"m_age": 5}, {"m_age": "x"}],
        "shoe_size": 42,
    }
    _clean, errors = answers.check(FORM, given)
    assert errors == {
        "lives_alone": "Choose from the choices given.",
        "needs": "A choice is given twice.",
        "visited": "Give a value from 2020-01-01 to 2030-12-31.",
        "satisfied": "Give a value from 1 to 5.",
        "consent": "Answer this question.",
        "members.1.m_school": "Answer this question.",
        "members.2.m_age": "Give a number.",
        "shoe_size": "This form has no such question.",
    }
    _clean, errors = answers.check(FORM, {**given, "age": "130"})
    assert errors["age"] == "Give a value from 0 to 120."
    # An age that does not hold asks nothing that depends on it.
    assert "needs" not in errors


def test_a_hidden_question_is_neither_required_nor_kept():
    clean, errors = answers.check(
        FORM, {"age": 30, "lives_alone": "no", "needs": ["care"], "consent": "no"}
    )
    assert errors == {} and "needs" not in clean and clean["consent"] is False
    _clean, errors = answers.check(
        FORM, {"age": 70, "lives_alone": "no", "needs": ["transport"], "consent": "no"}
    )
    assert errors == {"transport_note": "Answer this question."}


def test_a_person_is_found_only_through_the_lookup_given():
    form = {"sections": [{"title_ka": "ა", "title_en": "A", "questions": [q("who", "person")]}]}
    assert definition.check(form) == []
    found = {"01001012345": 7}
    clean, errors = answers.check(form, {"who": "01001012345"}, person=found.get)
    assert clean == {"who": 7} and errors == {}
    _clean, errors = answers.check(form, {"who": "99999999999"}, person=found.get)
    assert errors == {"who": "No person you may see has this personal number."}


@pytest.mark.django_db
def test_versions_are_drafted_published_and_answered(make_user):
    analyst = make_user(Role.ADMIN)
    form = services.form_create(
        actor=analyst, code="needs", name_ka="საჭიროებები", name_en="Needs", questions=FORM
    )
    draft = form.versions.get()
    assert draft.status == VersionStatus.DRAFT
    with pytest.raises(ValidationError):
        services.response_save(actor=analyst, version=draft, given={}, submit=False)
    published = services.version_publish(actor=analyst, version=draft)
    with pytest.raises(ValidationError) as error:
        services.response_save(actor=analyst, version=published, given={"age": 5}, submit=True)
    assert "answers.lives_alone" in error.value.message_dict
    assert not Response.objects.exists()
    saved = services.response_save(
        actor=analyst, version=published, given={"age": 5, "lives_alone": "x"}, submit=False
    )
    assert saved.status == ResponseStatus.DRAFT and saved.answers == {"age": 5}
    done = services.response_save(
        actor=analyst,
        version=published,
        response=saved,
        given={"age": 5, "lives_alone": "no", "consent": "yes"},
        submit=True,
    )
    assert done.status == ResponseStatus.SUBMITTED and done.submitted_at is not None
    # The next version is a new draft; publishing it retires the first.
    changed = copy.deepcopy(FORM)
    changed["sections"][0]["title_en"] = "About yourself"
    second = services.draft_save(actor=analyst, form=form, questions=changed)
    assert second.number == 2
    services.version_publish(actor=analyst, version=second)
    published.refresh_from_db()
    assert published.status == VersionStatus.RETIRED
    with pytest.raises(ValidationError):
        services.draft_save(actor=analyst, form=form, questions={"sections": "none"})
    # A draft being built may be empty; it is published only whole.
    empty = services.draft_save(actor=analyst, form=form, questions={"sections": []})
    with pytest.raises(ValidationError, match="at least one section"):
        services.version_publish(actor=analyst, version=empty)


@pytest.mark.django_db
def test_a_published_version_cannot_change_below_the_orm(make_user):
    analyst = make_user(Role.ADMIN)
    form = services.form_create(
        actor=analyst, code="needs", name_ka="საჭიროებები", name_en="Needs", questions=FORM
    )
    version = services.version_publish(actor=analyst, version=form.versions.get())
    for statement in (
        "UPDATE questionnaires_formversion SET definition = '{}' WHERE id = %s",
        "UPDATE questionnaires_formversion SET status = 'draft' WHERE id = %s",
        "UPDATE questionnaires_formversion SET number = 9 WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="published form version"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [version.pk])
    if connection.vendor == "postgresql":
        with (
            pytest.raises(DatabaseError, match="published form version"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM questionnaires_formversion WHERE id = %s", [version.pk])
    version.refresh_from_db()
    assert version.definition == FORM and version.status == VersionStatus.PUBLISHED
    # Retiring is the one change allowed.
    FormVersion.objects.filter(pk=version.pk).update(status=VersionStatus.RETIRED)


def test_selected_reads_one_choice_and_yes_no_as_xlsform_does():
    one = conditions.parse("selected(${alone}, 'yes')")
    assert conditions.holds(one, {"alone": "yes"})
    assert not conditions.holds(one, {"alone": "no"})
    assert conditions.holds(one, {"alone": True}) and not conditions.holds(one, {})
    assert conditions.holds(conditions.parse("selected(${n}, 'a')"), {"n": ["b", "a"]})
