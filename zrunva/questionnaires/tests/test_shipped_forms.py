"""The forms Zrunva ships: valid definitions in both languages, loaded by the migration with
version 1 published, and answerable."""

import json
import re
from pathlib import Path

import pytest

from zrunva.questionnaires import answers, definition, selectors
from zrunva.questionnaires.choices import VersionStatus
from zrunva.questionnaires.models import Form

DATA = Path(__file__).resolve().parent.parent / "data"
SHIPPED = sorted(DATA.glob("*.json"))
WG = ("wg_seeing", "wg_hearing", "wg_walking", "wg_remembering", "wg_selfcare", "wg_communicating")
ADL = ("adl_bathing", "adl_dressing", "adl_toilet", "adl_moving", "iadl_meals", "iadl_shopping",
       "iadl_medicines", "iadl_money")  # fmt: skip
WHODAS = ("whodas_community", "whodas_household", "whodas_emotional")
FIES = ("fies_worried", "fies_healthy", "fies_skipped", "fies_ran_out", "fies_whole_day")


def _document(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_both_forms_are_shipped():
    assert [p.name for p in SHIPPED] == ["functional_needs.json", "household_needs.json"]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_a_shipped_definition_passes_the_check_in_both_languages(path):
    document = _document(path)
    assert definition.check(document["definition"]) == []
    assert document["illustrative"] is True
    for field in ("name", "description", "source"):
        assert document[f"{field}_ka"].strip() and document[f"{field}_en"].strip()
        # Georgian texts are written in Georgian letters, not left in English.
        assert any("\u10d0" <= ch <= "\u10ff" for ch in document[f"{field}_ka"]), field
    for _place, question, _group in definition.questions(document["definition"]):
        labels = [question["label_ka"]] + [c["label_ka"] for c in question.get("choices", [])]
        assert all(any("\u10d0" <= ch <= "\u10ff" for ch in label) for label in labels), question
    assert re.search(r"not (a|the) validated", document["description_en"])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_the_migration_loads_a_shipped_form_with_version_one_published(db, path):
    document = _document(path)
    form = Form.objects.get(code=document["code"])
    assert form.owner is None and form.illustrative
    assert (form.name_en, form.source_ka) == (document["name_en"], document["source_ka"])
    version = selectors.version_published(form)
    assert (version.number, version.status) == (1, VersionStatus.PUBLISHED)
    assert version.published_at is not None
    assert version.definition == document["definition"]
    assert form.versions.count() == 1


def test_the_functional_needs_form_asks_about_care_only_of_those_who_need_help(db):
    version = selectors.version_published(Form.objects.get(code="functional-needs"))
    independent = {
        "age": 70, "sex": "female", "disability_status": "none", "lives_alone": "yes",
        **dict.fromkeys(WG, "none"), **dict.fromkeys(ADL, "independent"),
        **dict.fromkeys(WHODAS, "none"),
        "devices_used": ["none"], "device_lacking": "no", "services_used": ["none"],
        "services_needed": ["none"], "barriers_home": ["none"], "barriers_outside": ["none"],
        "care_received": "yes", "satisfaction": 5,
    }  # fmt: skip
    clean, errors = answers.check(version.definition, independent)
    assert errors == {}
    assert "care_received" not in clean and "satisfaction" not in clean  # not asked
    helped = {**independent, "iadl_shopping": "some_help", "device_lacking": "yes"}
    _clean, errors = answers.check(version.definition, helped)
    assert errors == {
        "care_from": "Answer this question.",
        "devices_needed": "Answer this question.",
    }


def test_the_household_form_asks_about_worknet_only_when_someone_looks_for_work(db):
    version = selectors.version_published(Form.objects.get(code="household-needs"))
    given = {
        "household_size": 2,
        "members": [
            {"member_age": 44, "member_sex": "female", "member_disability": "no",
             "member_activity": "job_seeker"},
            {"member_age": 12, "member_sex": "male", "member_disability": "yes",
             "member_activity": "school"},
        ],
        "income_sources": ["tsa", "social_package"], "tsa_receives": "yes", "debts": "no",
        "heating": "wood", "heating_enough": "one_room",
        **dict.fromkeys(FIES, "no"),
        "health_access": "always", "priority_needs": ["heating", "work"], "job_seekers": 0,
        "worknet_referral": "yes",
    }  # fmt: skip
    clean, errors = answers.check(version.definition, given)
    assert errors == {} and "worknet_referral" not in clean
    assert clean["members"][1]["member_disability"] is True
    _clean, errors = answers.check(version.definition, {**given, "job_seekers": 1})
    assert errors == {}
    _clean, errors = answers.check(
        version.definition, {**given, "job_seekers": 1, "worknet_referral": None}
    )
    assert errors == {"worknet_referral": "Answer this question."}
