"""Surveys: who answers where, closed surveys, anonymity, tallies kept as rebuilt, and results
with every small cell hidden (the secondary ones too) from all but the owners."""

import datetime
import random
from decimal import Decimal

import numpy as np
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.questionnaires import selectors, services
from zrunva.questionnaires.choices import Subject, SurveyStatus
from zrunva.questionnaires.models import Response, Tally
from zrunva.questionnaires.suppression import hidden
from zrunva.questionnaires.tests.factories import answer
from zrunva.registry.tests import factories


def test_only_an_assigned_interviewer_answers_and_only_in_their_area(setting, make_user):
    kutaisi = setting["places"][0]
    stranger = make_user(Role.SOCIAL_WORKER)
    with pytest.raises(PermissionDenied):
        answer(setting, kutaisi, {"alone": "yes"}, actor=stranger)
    batumi = Municipality.objects.get(code="batumi")
    with pytest.raises(ValidationError, match="does not cover"):
        services.survey_assign(
            actor=setting["analyst"],
            survey=setting["survey"],
            interviewer=stranger,
            municipality=batumi,
        )
    with pytest.raises(ValidationError, match="cannot answer surveys"):
        services.survey_assign(
            actor=setting["analyst"],
            survey=setting["survey"],
            interviewer=make_user(Role.DPO),
            municipality=kutaisi,
        )
    with pytest.raises(PermissionDenied):
        services.survey_assign(
            actor=setting["interviewer"],
            survey=setting["survey"],
            interviewer=stranger,
            municipality=kutaisi,
        )
    assert Response.objects.count() == 0


def test_a_closed_survey_takes_no_answer_and_stores_nothing(setting):
    kutaisi = setting["places"][0]
    draft = answer(setting, kutaisi, {"alone": "no"}, submit=False)
    services.survey_status_set(
        actor=setting["analyst"], survey=setting["survey"], status=SurveyStatus.CLOSED
    )
    setting["survey"].refresh_from_db()
    with pytest.raises(ValidationError, match="closed"):
        answer(setting, kutaisi, {"alone": "yes"})
    with pytest.raises(ValidationError, match="closed"):
        services.response_save(
            actor=setting["interviewer"],
            version=setting["version"],
            response=draft,
            given={"alone": "yes"},
            submit=True,
        )
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.answers == {"alone": "no"}
    assert not Tally.objects.exists()
    with pytest.raises(ValidationError, match="closed for good"):
        services.survey_status_set(
            actor=setting["analyst"], survey=setting["survey"], status=SurveyStatus.OPEN
        )


def test_a_survey_outside_its_period_is_closed(setting):
    survey = setting["survey"]
    survey.closes = survey.opens = timezone.localdate() - datetime.timedelta(days=3)
    survey.save()
    with pytest.raises(ValidationError, match="closed"):
        answer(setting, setting["places"][0], {"alone": "yes"})


def test_errors_store_nothing_and_a_draft_is_finished_later(setting):
    kutaisi = setting["places"][0]
    with pytest.raises(ValidationError) as raised:
        answer(setting, kutaisi, {"age": 190, "needs": ["care", "wings"]})
    assert set(raised.value.message_dict) == {"answers.alone", "answers.age", "answers.needs"}
    assert not Response.objects.exists() and not Tally.objects.exists()
    draft = answer(setting, kutaisi, {"age": 70}, submit=False)
    services.response_save(
        actor=setting["interviewer"],
        version=setting["version"],
        response=draft,
        given={"age": 70, "alone": "yes"},
        submit=True,
    )
    cells = dict(Tally.objects.values_list("key", "value").annotate().values_list("key", "count"))
    assert cells[""] == 1 and cells["age"] == 1


def test_an_anonymous_response_holds_nothing_that_names_its_respondent(setting):
    household = factories.household()
    person = household.memberships.first().person
    response = services.response_save(
        actor=setting["interviewer"],
        version=setting["version"],
        survey=setting["survey"],
        municipality=setting["places"][0],
        person=person,
        household=household,
        given={"alone": "yes", "age": 80},
        submit=True,
    )
    assert setting["survey"].subject == Subject.ANONYMOUS
    assert response.person_id is None and response.household_id is None
    # Nor does the audit trail: its rows about the response hold no person or household.
    rows = list(LogEntry.objects.get_for_object(response))
    assert rows
    for row in rows:
        text = f"{row.changes} {row.additional_data} {row.object_repr}"
        assert person.personal_number not in text
        for name in ("person", "household"):
            assert (row.changes or {}).get(name, [None, "None"])[1] == "None"


def test_kept_tallies_equal_those_rebuilt(setting):
    rng = random.Random(7)
    places = setting["places"]
    for _ in range(60):
        given = {"alone": rng.choice(["yes", "no"]), "age": rng.randint(18, 99)}
        if rng.random() < 0.6:
            given["needs"] = rng.sample(["care", "ramp"], rng.randint(1, 2))
        answer(setting, rng.choice(places), given)
    kept = sorted(Tally.objects.values_list("municipality_id", "key", "value", "count", "total"))
    services.tallies_rebuild(setting["survey"])
    rebuilt = sorted(Tally.objects.values_list("municipality_id", "key", "value", "count", "total"))
    assert kept == rebuilt
    assert sum(c for m, k, v, c, t in rebuilt if k == "" and v == "") == 60


def test_secondary_suppression_leaves_no_sum_that_gives_a_cell_back():
    # A region of two municipalities: 30 = 25 + 5. Hiding the 5 alone, 30 - 25 gives it back.
    counts = np.array([30, 25, 5])
    hide = hidden(counts, [(0, [1, 2])])
    assert hide.tolist() == [True, True, True] or hide.tolist() == [False, True, True]
    assert hide[2] and hide[1]  # the smallest shown part went with it
    # Nothing small, nothing hidden; a zero is hidden like any small count.
    assert not hidden(np.array([40, 20, 20]), [(0, [1, 2])]).any()
    again = hidden(np.array([20, 20, 0]), [(0, [1, 2])])
    assert again[2] and again.sum() == 2


def _shown(table):
    return [[None if c.hidden else c.count for c in row.cells] for row in table.rows]


def _no_cell_derivable(table):
    """For every sum shown with its parts, no single part may be missing."""
    rows = {r.label: r for r in table.rows}
    country = table.rows[0]
    regions = [r for r in table.rows if r.level == "region"]
    for c in range(len(country.cells)):
        parts = [r.cells[c] for r in regions]
        if not country.cells[c].hidden:
            assert sum(p.hidden for p in parts) != 1
    return rows


def test_results_hide_every_small_cell_from_all_but_the_owners(setting, make_user):
    kutaisi, zugdidi, tbilisi = setting["places"]
    # Kutaisi 25 (all "yes"), Zugdidi 12 (9 yes, 3 no), Tbilisi 4.
    for _ in range(25):
        answer(setting, kutaisi, {"alone": "yes", "age": 70})
    for n in range(12):
        answer(setting, zugdidi, {"alone": "yes" if n < 9 else "no", "age": 80})
    for _ in range(4):
        answer(setting, tbilisi, {"alone": "no", "age": 60})
    outsider = make_user(Role.ANALYST)
    seen = selectors.results(actor=outsider, survey=setting["survey"])
    assert not seen["whole"]
    by_label = {r.label: r for r in seen["responses"].rows}
    assert by_label[str(tbilisi)].cells[0].hidden  # 4 respondents
    assert str(by_label[str(tbilisi)].cells[0]) == "<10"
    assert not by_label[str(kutaisi)].cells[0].hidden
    alone = next(t for t in seen["questions"] if t.key == "alone")
    rows = {r.label: r for r in alone.rows}
    # Zugdidi: 9 "yes" and 3 "no" are both small; its 12 answered is shown.
    assert rows[str(zugdidi)].cells[0].hidden and rows[str(zugdidi)].cells[1].hidden
    # No shown cell is under ten, anywhere in any table.
    for table in [seen["responses"], *seen["questions"]]:
        for row in table.rows:
            for cell in row.cells:
                assert cell.hidden or cell.count >= 10, (table.key, row.label)
        # And no row's answered total, less its shown choices, leaves one hidden choice.
        if table.kind in ("single", "yes_no", "scale"):
            for row in table.rows:
                parts = row.cells[:-1]
                if not row.cells[-1].hidden:
                    assert sum(p.hidden for p in parts) != 1, (table.key, row.label)
        _no_cell_derivable(table)
    # A mean is hidden with its count.
    age = next(t for t in seen["questions"] if t.key == "age")
    assert {r.label: r.extra[0] for r in age.rows}[str(tbilisi)] is None
    assert {r.label: r.extra[0] for r in age.rows}[str(kutaisi)] == Decimal("70.0")

    whole = selectors.results(actor=setting["analyst"], survey=setting["survey"])
    assert whole["whole"]
    assert _shown(next(t for t in whole["questions"] if t.key == "alone"))[0] == [34, 7, 41]


def test_results_need_a_role_that_reads_them(setting, make_user):
    with pytest.raises(PermissionDenied):
        selectors.results(actor=make_user(Role.DPO), survey=setting["survey"])
    with pytest.raises(PermissionDenied):
        selectors.answers_for_export(actor=make_user(Role.ANALYST), survey=setting["survey"])


def test_the_subject_access_report_holds_the_responses_about_the_person(make_user):
    from zrunva.audit import subject_access

    analyst = make_user(Role.ADMIN)
    household = factories.household()
    person = household.memberships.first().person
    definition = {
        "sections": [
            {
                "title_ka": "ა",
                "title_en": "A",
                "questions": [
                    {"key": "carer", "kind": "person", "label_ka": "მომვლელი", "label_en": "Carer"},
                    {"key": "note", "kind": "text", "label_ka": "შენიშვნა", "label_en": "Note"},
                ],
            }
        ]
    }
    form = services.form_create(
        actor=analyst, code="visit", name_ka="ვიზიტი", name_en="Visit", questions=definition
    )
    version = services.version_publish(actor=analyst, version=form.versions.get())
    today = timezone.localdate()
    survey = services.survey_create(
        actor=analyst,
        form=form,
        code="visits",
        name_ka="ვიზიტები",
        name_en="Visits",
        opens=today,
        closes=today,
        subject=Subject.PERSON,
        targets={household.municipality: 5},
    )
    services.survey_assign(
        actor=analyst, survey=survey, interviewer=analyst, municipality=household.municipality
    )
    services.survey_status_set(actor=analyst, survey=survey, status=SurveyStatus.OPEN)
    linked, _none = services.interview_subject(
        actor=analyst, survey=survey, personal_number=person.personal_number
    )
    about = services.response_save(
        actor=analyst,
        version=version,
        survey=survey,
        municipality=household.municipality,
        person=linked,
        given={"note": "ok"},
        submit=True,
        find_person=services.person_finder(analyst),
    )
    other = factories.household(head={"first_name": "სხვა"}).memberships.first().person
    naming = services.response_save(
        actor=analyst,
        version=version,
        survey=survey,
        municipality=household.municipality,
        person=other,
        given={"carer": person.personal_number},
        submit=True,
        find_person=services.person_finder(analyst),
    )
    assert naming.answers == {"carer": person.pk}
    report = subject_access.report(actor=make_user(Role.DPO), person=person)
    section = next(s for s in report["sections"] if s["key"] == "questionnaires")
    assert {i["id"] for i in section["items"]} == {str(about.pk), str(naming.pk)}
