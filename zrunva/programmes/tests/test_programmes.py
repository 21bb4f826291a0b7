"""Programmes as data: the five shipped state programmes evaluated at their edges and across
parameter changes, and `programme_save`'s checks, refusals and permissions."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.programmes import attributes
from zrunva.programmes.expressions import ExpressionError, evaluate_one, validate
from zrunva.programmes.models import Parameter, Programme
from zrunva.programmes.selectors import parameter_codes, parameters_on
from zrunva.programmes.services import parameter_value_set, programme_save
from zrunva.programmes.tests.factories import utility_parameters

pytestmark = pytest.mark.django_db

SHIPPED = {"tsa", "child_benefit", "disability_package", "state_pension", "idp_allowance"}


def benefit(code: str, on: date, household: dict, members: list[dict] = ()) -> dict:
    """A shipped programme's criteria and formula for one household on a date: for a household
    programme `{"eligible": bool, "amount": float}`, for a person programme lists per member."""
    programme = Programme.objects.get(code=code)
    schema = attributes.schema(parameter_codes())
    rules = {
        "eligible": validate(programme.criteria, schema, level=programme.level, result="boolean"),
        "amount": validate(programme.formula, schema, level=programme.level, result="number"),
    }
    params = {name: float(value) for name, value in parameters_on(on=on).items()}
    return evaluate_one(rules, household, members, params)


# -- The shipped programmes ------------------------------------------------------------------


def test_the_five_state_programmes_are_shipped_with_their_sources():
    programmes = {p.code: p for p in Programme.objects.all()}
    assert set(programmes) == SHIPPED
    assert all(p.municipality_id is None and p.is_active for p in programmes.values())
    assert all(p.legal_basis and p.name_ka and p.name_en for p in programmes.values())
    assert {c for c, p in programmes.items() if p.illustrative} == {"tsa", "idp_allowance"}
    assert {c for c, p in programmes.items() if p.level == "person"} == {
        "disability_package",
        "state_pension",
        "idp_allowance",
    }
    assert "Moderate disability: the amount is not public" in (
        programmes["disability_package"].legal_basis
    )


def test_the_migration_refuses_an_invalid_shipped_rule():
    migration = importlib.import_module("zrunva.programmes.migrations.0004_shipped_programmes")
    schema = attributes.schema(parameter_codes())
    row = {
        "code": "tsa",
        "level": "household",
        "valid_from": date(2015, 1, 1),
        "criteria": "household.rating_score <= param.tsa_band_9_max_score",
        "formula": "1",
    }
    with pytest.raises(ValueError, match=r'tsa, criteria: Unknown parameter "param.tsa_band_9'):
        migration._check(row, schema, set(parameter_codes()))
    row["criteria"] = "household.rating_score <= param.tsa_band_4_max_score"
    with pytest.raises(ValueError, match="no value on 2015-01-01 for tsa_band_4_max_score"):
        migration._check(row, schema, set())


TSA_DAY = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("score", "per_member"),
    [
        (0, 60),
        (29999, 60),
        (30000, 60),
        (30001, 50),
        (56999, 50),
        (57000, 50),
        (57001, 40),
        (59999, 40),
        (60000, 40),
        (60001, 30),
        (64999, 30),
        (65000, 30),
    ],
)
def test_tsa_pays_each_member_by_band(score, per_member):
    result = benefit("tsa", TSA_DAY, {"rating_score": score, "size": 3})
    assert result == {"eligible": True, "amount": 3 * per_member}


@pytest.mark.parametrize("score", [65001, 65002, 200000])
def test_tsa_stops_above_band_4(score):
    assert benefit("tsa", TSA_DAY, {"rating_score": score, "size": 3})["eligible"] is False


def test_tsa_without_a_score_is_unknown_not_refused():
    assert benefit("tsa", TSA_DAY, {"rating_score": None, "size": 3}) == {
        "eligible": None,
        "amount": None,
    }


CHILDREN = [{"age": 40}, {"age": 15}, {"age": 16}, {"age": 0}, {"age": 17}]


@pytest.mark.parametrize(
    ("on", "score", "expected"),
    [
        # Until 30 June 2023: score < 120,000, 150 GEL a child under 16.
        (date(2023, 6, 30), 119998, {"eligible": True, "amount": 300}),
        (date(2023, 6, 30), 119999, {"eligible": True, "amount": 300}),
        (date(2023, 6, 30), 120000, {"eligible": False, "amount": 300}),
        # From 1 July 2023: score ≤ 120,000, 200 GEL.
        (date(2023, 7, 1), 119999, {"eligible": True, "amount": 400}),
        (date(2023, 7, 1), 120000, {"eligible": True, "amount": 400}),
        (date(2023, 7, 1), 120001, {"eligible": False, "amount": 400}),
        # 1 June 2022: 100 → 150 GEL.
        (date(2022, 5, 31), 50000, {"eligible": True, "amount": 200}),
        (date(2022, 6, 1), 50000, {"eligible": True, "amount": 300}),
        # Issue 9, finding 17: 10 GEL in 2015, 50 GEL before 1 July 2021, then 100 GEL.
        (date(2015, 6, 1), 50000, {"eligible": True, "amount": 20}),
        (date(2018, 12, 31), 50000, {"eligible": True, "amount": 20}),
        (date(2021, 3, 1), 50000, {"eligible": True, "amount": 100}),
        (date(2021, 6, 30), 50000, {"eligible": True, "amount": 100}),
        (date(2021, 7, 1), 50000, {"eligible": True, "amount": 200}),
    ],
)
def test_child_benefit_counts_children_under_16_within_the_score(on, score, expected):
    assert benefit("child_benefit", on, {"rating_score": score}, CHILDREN) == expected


@pytest.mark.parametrize("ages", [[40, 16], [40, 17, 16.0], []])
def test_child_benefit_needs_a_child_under_16(ages):
    members = [{"age": a} for a in ages]
    result = benefit("child_benefit", date(2026, 1, 1), {"rating_score": 1000}, members)
    assert result == {"eligible": False, "amount": 0}


DISABILITY = [
    {"disability_degree": "severe", "is_child": False},
    {"disability_degree": "significant", "is_child": False},
    {"disability_degree": "moderate", "is_child": False},
    {"disability_degree": "none", "is_child": False},
    {"disability_degree": "moderate", "is_child": True},
    {"disability_degree": "significant", "is_child": True},
    {"disability_degree": "none", "is_child": True},
]


@pytest.mark.parametrize(
    ("on", "severe", "significant"),
    [
        (date(2024, 12, 31), 390, 195),
        (date(2025, 1, 1), 435, 215),
        (date(2025, 12, 31), 435, 215),
        (date(2026, 1, 1), 480, 235),
    ],
)
def test_disability_package_by_degree_and_for_every_disabled_child(on, severe, significant):
    result = benefit("disability_package", on, {}, DISABILITY)
    assert result["eligible"] == [True, True, False, False, True, True, False]
    paid = [a for a, e in zip(result["amount"], result["eligible"], strict=True) if e]
    assert paid == [severe, significant, severe, severe]


def _pensioner(sex, age):
    return {"sex": sex, "age": age}


@pytest.mark.parametrize(
    ("sex", "age", "eligible"),
    [
        ("M", 64, False),
        ("M", 65, True),
        ("M", 66, True),
        ("F", 59, False),
        ("F", 60, True),
        ("F", 61, True),
    ],
)
def test_pension_age_by_sex(sex, age, eligible):
    result = benefit(
        "state_pension", date(2026, 1, 1), {"is_highland": False}, [{"sex": sex, "age": age}]
    )
    assert result["eligible"] == [eligible]


@pytest.mark.parametrize(
    ("on", "highland", "amounts"),
    [
        (date(2025, 12, 31), False, [350, 350, 450, 450]),
        (date(2026, 1, 1), False, [370, 370, 495, 495]),
        (date(2025, 12, 31), True, [420, 420, 540, 540]),
        (date(2026, 1, 1), True, [444, 444, 594, 594]),
    ],
)
def test_pension_amount_by_age_with_the_highland_supplement(on, highland, amounts):
    members = [{"sex": "F", "age": a} for a in (68, 69, 70, 71)]
    result = benefit("state_pension", on, {"is_highland": highland}, members)
    assert result == {"eligible": [True] * 4, "amount": amounts}


@pytest.mark.parametrize(
    ("is_idp", "income", "eligible"),
    [
        (True, 0, True),
        (True, 1249, True),
        (True, 1250, False),
        (True, 1251, False),
        (False, 0, False),
    ],
)
def test_idp_allowance_below_the_income_cutoff(is_idp, income, eligible):
    members = [{"is_idp": is_idp, "monthly_income": income}]
    result = benefit("idp_allowance", date(2026, 1, 1), {}, members)
    assert result == {"eligible": [eligible], "amount": [45]}


def test_idp_allowance_before_the_law_has_no_amount_to_pay():
    with pytest.raises(ExpressionError) as caught:
        benefit("idp_allowance", date(2014, 2, 28), {}, [{"is_idp": True, "monthly_income": 0}])
    assert (
        str(caught.value)
        == 'Parameter "param.idp_income_cutoff" at column 49 has no value on this date'
    )


# -- programme_save ----------------------------------------------------------------------------

STATE_PROGRAMME = {
    "code": "energy_subsidy",
    "name_ka": "ელექტროენერგიის სუბსიდია",
    "name_en": "Electricity subsidy",
    "level": "household",
    "criteria": "household.rating_score <= param.child_benefit_max_score",
    "formula": "household.size * 10",
    "legal_basis": "Test resolution",
    "valid_from": date(2026, 1, 1),
}


def refusal(actor, data, *, programme=None, on=None) -> dict:
    before = Programme.objects.count()
    with pytest.raises(ValidationError) as caught:
        programme_save(actor=actor, programme=programme, data=data, on=on)
    assert Programme.objects.count() == before
    return caught.value.message_dict


def test_an_administrator_defines_a_state_programme(make_user):
    admin = make_user(Role.ADMIN)
    programme = programme_save(actor=admin, programme=None, data=STATE_PROGRAMME)
    programme.refresh_from_db()
    assert programme.municipality is None and programme.formula == "household.size * 10"
    entry = LogEntry.objects.get_for_object(programme).get()
    assert entry.action == LogEntry.Action.CREATE and entry.actor == admin


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        (
            "criteria",
            "household.size > 2 and",
            "The expression ends too early at column 23",
        ),
        (
            "criteria",
            "household.size = 2",
            'Unexpected character "=" at column 16; use "==" to compare',
        ),
        (
            "formula",
            "household.size * (10",
            'Expected ")" at column 21',
        ),
        (
            "criteria",
            "household.rating <= 65000",
            'Unknown attribute "household.rating" at column 11; did you mean '
            '"household.rating_score"?',
        ),
        (
            "criteria",
            "household.size > 1\n  and household.cows > 2",
            'Unknown attribute "household.cows" at line 2, column 17',
        ),
        (
            "criteria",
            "person.age >= 65",
            '"person.age" at column 1 is a person attribute; in a household rule use it inside '
            "count, sum, any or all",
        ),
        (
            "formula",
            "household.size * param.tsa_band_1_amout",
            'Unknown parameter "param.tsa_band_1_amout" at column 24; did you mean '
            '"param.tsa_band_1_amount"?',
        ),
        (
            "criteria",
            "household.size * 2",
            "The expression must give a yes/no value, but it gives a number",
        ),
        (
            "formula",
            "household.size > 2",
            "The expression must give a number, but it gives a yes/no value",
        ),
        ("criteria", "   ", "This field cannot be blank."),
    ],
)
def test_refuses_a_bad_rule_with_the_fault_and_its_place(make_user, field, text, message):
    errors = refusal(make_user(Role.ADMIN), {**STATE_PROGRAMME, field: text})
    assert errors == {field: [message]}


def test_refuses_a_parameter_with_no_value_on_the_date(make_user):
    admin = make_user(Role.ADMIN)
    data = {
        **STATE_PROGRAMME,
        "level": "person",
        "criteria": "person.disability_degree == 'severe'",
        "formula": "param.disability_package_severe",
        "valid_from": date(2023, 12, 31),
    }
    assert refusal(admin, data) == {
        "formula": [
            'Parameter "param.disability_package_severe" at column 7 has no value on 2023-12-31'
        ]
    }
    # Checked on another date when one is given; from 2024 on the package has an amount.
    from_2024 = {**data, "valid_from": date(2024, 1, 1)}
    assert refusal(admin, from_2024, on=date(2023, 1, 1)) == {
        "formula": [
            'Parameter "param.disability_package_severe" at column 7 has no value on 2023-01-01'
        ]
    }
    assert programme_save(actor=admin, programme=None, data=from_2024).pk


def test_reports_both_rules_at_once_and_names_the_first_parameter_without_a_value(make_user):
    data = {
        **STATE_PROGRAMME,
        "criteria": "household.size >",
        "formula": "param.idp_allowance + param.disability_package_severe * household.size",
        "valid_from": date(2020, 1, 1),
    }
    assert refusal(make_user(Role.ADMIN), data) == {
        "criteria": ["The expression ends too early at column 17"],
        "formula": [
            'Parameter "param.disability_package_severe" at column 29 has no value on 2020-01-01'
        ],
    }


def test_a_change_that_fails_leaves_the_programme_as_it_was(make_user):
    tsa = Programme.objects.get(code="tsa")
    errors = refusal(make_user(Role.ADMIN), {"formula": "household.size *"}, programme=tsa)
    assert errors == {"formula": ["The expression ends too early at column 17"]}
    tsa.refresh_from_db()
    assert tsa.formula.startswith("household.size * if(")


def test_an_administrator_changes_a_shipped_programme(make_user):
    admin = make_user(Role.ADMIN)
    tsa = Programme.objects.get(code="tsa")
    saved = programme_save(
        actor=admin,
        programme=tsa,
        data={"criteria": "household.rating_score <= param.tsa_band_3_max_score"},
    )
    assert Programme.objects.get(code="tsa").criteria == saved.criteria
    assert LogEntry.objects.get_for_object(saved).get().actor == admin


def test_unknown_fields_are_refused(make_user):
    errors = refusal(make_user(Role.ADMIN), {**STATE_PROGRAMME, "created_at": date(2020, 1, 1)})
    assert errors == {"created_at": ["This field cannot be set here."]}


UTILITY_PROGRAMME = {
    "code": "kutaisi_utility_assistance",
    "name_ka": "კომუნალური დახმარება",
    "name_en": "Utility assistance",
    "level": "household",
    "criteria": "household.rating_score <= param.kutaisi_utility_max_score",
    "formula": "min(household.monthly_utility_spending, param.kutaisi_utility_aid)",
    "legal_basis": "Kutaisi City Council resolution on the 2026 social programme (test)",
    "valid_from": date(2026, 1, 1),
    "budget": Decimal("250000.00"),
}


def test_a_municipal_officer_defines_their_municipalitys_programme(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    utility_parameters(officer)
    kutaisi = Municipality.objects.get(code="kutaisi")
    programme = programme_save(
        actor=officer, programme=None, data={**UTILITY_PROGRAMME, "municipality": kutaisi}
    )
    programme.refresh_from_db()
    assert programme.municipality == kutaisi and programme.budget == Decimal("250000.00")
    assert LogEntry.objects.get_for_object(programme).get().actor == officer

    schema = attributes.schema(parameter_codes(municipality_id=kutaisi.pk))
    params = {
        k: float(v)
        for k, v in parameters_on(on=date(2026, 3, 1), municipality_id=kutaisi.pk).items()
    }
    rules = {
        "eligible": validate(programme.criteria, schema, result="boolean"),
        "amount": validate(programme.formula, schema, result="number"),
    }
    household = {"rating_score": 100000, "monthly_utility_spending": 25.5}
    assert evaluate_one(rules, household, [], params) == {"eligible": True, "amount": 25.5}
    household = {"rating_score": 100001, "monthly_utility_spending": 80}
    assert evaluate_one(rules, household, [], params) == {"eligible": False, "amount": 40}


def test_a_municipal_parameter_is_unknown_to_state_and_other_municipalities_programmes(make_user):
    utility_parameters(make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"))
    message = {
        "criteria": ['Unknown parameter "param.kutaisi_utility_max_score" at column 33'],
        "formula": ['Unknown parameter "param.kutaisi_utility_aid" at column 47'],
    }
    assert refusal(make_user(Role.ADMIN), UTILITY_PROGRAMME) == message
    batumi_officer = make_user(Role.MUNICIPAL_OFFICER, municipality="batumi")
    batumi = {**UTILITY_PROGRAMME, "municipality": Municipality.objects.get(code="batumi")}
    assert refusal(batumi_officer, batumi) == message


def test_a_budget_cannot_be_negative(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    utility_parameters(officer)
    data = {
        **UTILITY_PROGRAMME,
        "municipality": Municipality.objects.get(code="kutaisi"),
        "budget": Decimal("-1"),
    }
    assert refusal(officer, data) == {
        "budget": ["Ensure this value is greater than or equal to 0."]
    }


def test_a_programme_cannot_end_before_it_starts(make_user):
    data = {**STATE_PROGRAMME, "valid_until": date(2025, 12, 31)}
    assert refusal(make_user(Role.ADMIN), data) == {
        "__all__": ["A programme cannot end before it starts."]
    }


def test_codes_are_unique(make_user):
    assert refusal(make_user(Role.ADMIN), {**STATE_PROGRAMME, "code": "tsa"}) == {
        "code": ["Another programme already has this code."]
    }


# -- Permissions -------------------------------------------------------------------------------


def denied(actor, data, *, programme=None) -> str:
    before = list(Programme.objects.values_list("code", "criteria", "municipality_id"))
    with pytest.raises(PermissionDenied) as caught:
        programme_save(actor=actor, programme=programme, data=data)
    assert list(Programme.objects.values_list("code", "criteria", "municipality_id")) == before
    return str(caught.value)


def test_a_municipal_officer_cannot_define_or_change_a_state_programme(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    message = "Only administrators define the state's programmes."
    assert denied(officer, STATE_PROGRAMME) == message
    tsa = Programme.objects.get(code="tsa")
    assert denied(officer, {"criteria": "false"}, programme=tsa) == message
    # Nor take it over as their municipality's.
    kutaisi = Municipality.objects.get(code="kutaisi")
    assert denied(officer, {"municipality": kutaisi}, programme=tsa) == message


def test_a_municipal_officer_cannot_define_another_municipalitys_programme(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    utility_parameters(officer)
    batumi = Municipality.objects.get(code="batumi")
    message = "This municipality is outside your area of work."
    assert denied(officer, {**UTILITY_PROGRAMME, "municipality": batumi}) == message
    # Nor move their own programme there.
    own = programme_save(
        actor=officer,
        programme=None,
        data={**UTILITY_PROGRAMME, "municipality": Municipality.objects.get(code="kutaisi")},
    )
    assert denied(officer, {"municipality": batumi}, programme=own) == message
    # Nor change another municipality's.
    batumi_officer = make_user(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert denied(batumi_officer, {"criteria": "false"}, programme=own) == message


def test_a_municipal_officer_cannot_make_their_programme_a_state_programme(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    utility_parameters(officer)
    own = programme_save(
        actor=officer,
        programme=None,
        data={**UTILITY_PROGRAMME, "municipality": Municipality.objects.get(code="kutaisi")},
    )
    assert denied(officer, {"municipality": None}, programme=own) == (
        "Only administrators define the state's programmes."
    )


@pytest.mark.parametrize(
    "role", [Role.ANALYST, Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.DPO, Role.CITIZEN]
)
def test_other_roles_cannot_define_programmes(make_user, role):
    assert denied(make_user(role), STATE_PROGRAMME) == "Your role does not allow this action."


# -- Issue 9, finding 7: figures no decision can hold ------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        (
            "formula",
            "9" * 300,
            "The number at column 1 is larger than 1,000,000,000, the largest a rule may write",
        ),
        (
            "criteria",
            "household.rating_score <= 1000000001",
            "The number at column 27 is larger than 1,000,000,000, the largest a rule may write",
        ),
        (
            "formula",
            "household.size * 200000000",
            "The formula at column 1 can give 20,000,000,000 GEL a month, more than a decision "
            "can hold (99,999,999.99); check its numbers",
        ),
        (
            "formula",
            "sum(members, member.monthly_income) * 2",
            "The formula at column 1 can give 19,999,999,998 GEL a month, more than a decision "
            "can hold (99,999,999.99); check its numbers",
        ),
        (
            "formula",
            "household.cattle * household.cars * 1000000000",
            "The formula at column 1 can give 1,000,000,000,000,000 GEL a month, more than a "
            "decision can hold (99,999,999.99); check its numbers",
        ),
    ],
)
def test_refuses_numbers_and_amounts_no_decision_can_hold(make_user, field, text, message):
    errors = refusal(make_user(Role.ADMIN), {**STATE_PROGRAMME, field: text})
    assert errors == {field: [message]}


@pytest.mark.parametrize(
    "formula",
    [
        "household.size * 100000",  # at most 10,000,000
        "1000 / household.size",  # a whole divisor other than 0 is at least 1
        "max(0, 500 - sum(members, member.monthly_income))",
        # A division by a fraction near zero cannot be bounded: left to the run's guard.
        "100 / household.agricultural_land_ha",
        "count(members, member.age < 16) * param.child_benefit_amount",
    ],
)
def test_accepts_amounts_that_fit(make_user, formula):
    programme = programme_save(
        actor=make_user(Role.ADMIN), programme=None, data={**STATE_PROGRAMME, "formula": formula}
    )
    assert programme.formula == formula


def test_refuses_a_formula_whose_parameters_make_the_amount_too_large(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    kutaisi = Municipality.objects.get(code="kutaisi")
    parameter = Parameter.objects.create(
        code="kutaisi_big", name_ka="x", name_en="x", municipality=kutaisi
    )
    for day, value in ((date(2025, 1, 1), 5), (date(2026, 1, 1), 999_999_999)):
        parameter_value_set(
            actor=officer, parameter=parameter, valid_from=day, value=Decimal(value), source="x"
        )
    data = {
        **UTILITY_PROGRAMME,
        "municipality": kutaisi,
        "criteria": "household.size > 0",
        # On its first day the parameter is 5, but it has been 999,999,999 since.
        "valid_from": date(2025, 6, 1),
        "formula": "param.kutaisi_big * household.size",
    }
    errors = refusal(officer, data)
    assert errors == {
        "formula": [
            "The formula at column 1 can give 99,999,999,900 GEL a month, more than a decision "
            "can hold (99,999,999.99); check its numbers"
        ]
    }
    assert programme_save(
        actor=officer, programme=None, data={**data, "formula": "param.kutaisi_big / 1000"}
    )
