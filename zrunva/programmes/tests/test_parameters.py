import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Parameter, ParameterValue
from zrunva.programmes.selectors import parameters_on
from zrunva.programmes.services import parameter_value_set
from zrunva.programmes.tests.factories import derived_parameter

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("code", "day", "value"),
    [
        # Issue 9, finding 17: 50 GEL before 1 Jul 2021 (from 1 Jan 2019, illustrative).
        ("child_benefit_amount", date(2018, 12, 31), 10),
        ("child_benefit_amount", date(2019, 1, 1), 50),
        ("child_benefit_amount", date(2021, 6, 30), 50),
        ("child_benefit_amount", date(2021, 7, 1), 100),
        ("child_benefit_amount", date(2022, 5, 31), 100),
        ("child_benefit_amount", date(2022, 6, 1), 150),
        ("child_benefit_amount", date(2023, 6, 30), 150),
        ("child_benefit_amount", date(2023, 7, 1), 200),
        ("child_benefit_max_score", date(2023, 6, 30), 119999),
        ("child_benefit_max_score", date(2023, 7, 1), 120000),
        ("pension_under_70", date(2025, 12, 31), 350),
        ("pension_under_70", date(2026, 1, 1), 370),
        ("pension_from_70", date(2026, 1, 1), 495),
        ("disability_package_severe", date(2025, 1, 1), 435),
        ("disability_package_significant", date(2024, 12, 31), 195),
        ("idp_allowance", date(2014, 3, 1), 45),
        ("tsa_band_2_max_score", date(2026, 11, 25), 57000),
    ],
)
def test_shipped_values_change_on_their_dates(code, day, value):
    assert parameters_on(on=day)[code] == Decimal(value)


def test_a_parameter_without_a_value_yet_is_absent():
    assert "disability_package_severe" not in parameters_on(on=date(2023, 12, 31))
    assert "idp_allowance" not in parameters_on(on=date(2014, 2, 28))


def test_every_shipped_value_cites_its_source_and_unverified_ones_are_illustrative():
    assert not ParameterValue.objects.filter(source="").exists()
    illustrative = set(
        ParameterValue.objects.filter(illustrative=True).values_list("parameter__code", flat=True)
    )
    assert {"tsa_band_1_amount", "disability_package_severe", "idp_income_cutoff"} <= illustrative
    # Of the child benefit's amounts only the step to 50 GEL has an unverified date.
    child_benefit = ParameterValue.objects.filter(parameter__code="child_benefit_amount")
    assert [str(v.valid_from) for v in child_benefit.filter(illustrative=True)] == ["2019-01-01"]


def test_the_50_gel_migration_adds_the_step_only_where_it_is_missing():
    """0009 writes the step it ships (not parameters.csv, which will change when the step's date
    is verified) and adds none where a step between 10 and 100 GEL is already stored."""
    from django.apps import apps

    migration = importlib.import_module("zrunva.programmes.migrations.0009_child_benefit_50_gel")
    steps = ParameterValue.objects.filter(
        parameter__code="child_benefit_amount",
        valid_from__gt=date(2015, 1, 1),
        valid_from__lt=date(2021, 7, 1),
    )
    steps.update(valid_from=date(2019, 7, 1))  # as if the file had had the verified date
    migration.add(apps, None)
    assert [(v.valid_from, v.value) for v in steps] == [(date(2019, 7, 1), Decimal("50"))]
    steps.delete()  # a database migrated before the step was shipped
    migration.add(apps, None)
    step = steps.get()
    assert (step.valid_from, step.value, step.illustrative) == (date(2019, 1, 1), 50, True)


def test_an_administrator_sets_a_new_value_from_a_date(make_user):
    parameter = Parameter.objects.get(code="idp_allowance")
    parameter_value_set(
        actor=make_user(Role.ADMIN),
        parameter=parameter,
        valid_from=date(2027, 1, 1),
        value=Decimal("60"),
        source="Test amendment",
    )
    assert parameters_on(on=date(2026, 12, 31))["idp_allowance"] == 45
    assert parameters_on(on=date(2027, 1, 1))["idp_allowance"] == 60


def test_two_values_on_one_date_are_refused(make_user):
    parameter = Parameter.objects.get(code="idp_allowance")
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=make_user(Role.ADMIN),
            parameter=parameter,
            valid_from=date(2014, 3, 1),
            value=Decimal("50"),
            source="x",
        )
    assert err.value.messages == ["This parameter already has a value from this date."]


def test_a_value_needs_a_source(make_user):
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=make_user(Role.ADMIN),
            parameter=Parameter.objects.get(code="idp_allowance"),
            valid_from=date(2027, 1, 1),
            value=Decimal("60"),
            source="  ",
        )
    assert "source" in err.value.message_dict


@pytest.mark.parametrize("role", [Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.ANALYST, Role.DPO])
def test_other_roles_cannot_change_parameters(make_user, role):
    with pytest.raises(PermissionDenied):
        parameter_value_set(
            actor=make_user(role),
            parameter=Parameter.objects.get(code="idp_allowance"),
            valid_from=date(2027, 1, 1),
            value=Decimal("60"),
            source="x",
        )
    assert not ParameterValue.objects.filter(valid_from=date(2027, 1, 1)).exists()


def test_municipal_officers_change_only_their_own_municipalitys_parameters(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(PermissionDenied):
        parameter_value_set(
            actor=officer,
            parameter=Parameter.objects.get(code="idp_allowance"),
            valid_from=date(2027, 1, 1),
            value=Decimal("60"),
            source="x",
        )
    own = Parameter.objects.create(
        code="kutaisi_utility_aid",
        name_ka="კომუნალური დახმარება",
        name_en="Utility aid",
        municipality=Municipality.objects.get(code="kutaisi"),
    )
    other = Parameter.objects.create(
        code="batumi_utility_aid",
        name_ka="კომუნალური დახმარება",
        name_en="Utility aid",
        municipality=Municipality.objects.get(code="batumi"),
    )
    parameter_value_set(
        actor=officer,
        parameter=own,
        valid_from=date(2026, 1, 1),
        value=Decimal("50"),
        source="Kutaisi City Council resolution (test)",
    )
    with pytest.raises(PermissionDenied):
        parameter_value_set(
            actor=officer,
            parameter=other,
            valid_from=date(2026, 1, 1),
            value=Decimal("50"),
            source="x",
        )
    kutaisi_id = Municipality.objects.get(code="kutaisi").pk
    assert (
        parameters_on(on=date(2026, 6, 1), municipality_id=kutaisi_id)["kutaisi_utility_aid"] == 50
    )
    assert "kutaisi_utility_aid" not in parameters_on(on=date(2026, 6, 1))


def test_a_rule_reads_the_parameters_in_force_on_the_date():
    from zrunva.programmes.expressions import Schema, evaluate_one, validate

    values = {on: parameters_on(on=on) for on in (date(2023, 6, 30), date(2023, 7, 1))}
    schema = Schema(
        household={"rating_score": "number"},
        person={"age": "number"},
        params=dict.fromkeys(values[date(2023, 7, 1)], "number"),
    )
    rule = validate(
        "if(household.rating_score <= param.child_benefit_max_score,"
        " count(members, member.age < param.child_benefit_age_limit) * param.child_benefit_amount, 0)",
        schema,
        result="number",
    )
    household = {"rating_score": 120000}
    members = [{"age": 40}, {"age": 10}, {"age": 15}, {"age": 16}]
    amounts = {
        on: evaluate_one(rule, household, members, {k: float(v) for k, v in params.items()})
        for on, params in values.items()
    }
    # On 30 June 2023 a score of 120,000 was above the threshold (< 120,000); from 1 July it is in.
    assert amounts == {date(2023, 6, 30): 0, date(2023, 7, 1): 400}


def test_a_formula_gives_a_value_from_the_other_parameters_on_each_date(make_user):
    admin = make_user(Role.ADMIN)
    bonus = derived_parameter("winter_pension_bonus")
    parameter_value_set(
        actor=admin,
        parameter=bonus,
        valid_from=date(2025, 1, 1),
        formula="round(param.pension_under_70 * 0.1, 2)",
        source="Illustrative: a tenth of the pension",
    )
    assert parameters_on(on=date(2025, 6, 1))["winter_pension_bonus"] == Decimal("35")
    assert parameters_on(on=date(2026, 6, 1))["winter_pension_bonus"] == Decimal("37")
    # Before the formula's date the parameter has no value at all.
    assert "winter_pension_bonus" not in parameters_on(on=date(2024, 12, 31))


def test_a_circular_definition_is_refused_naming_the_cycle(make_user):
    admin = make_user(Role.ADMIN)
    first, second = derived_parameter("first_amount"), derived_parameter("second_amount")
    parameter_value_set(
        actor=admin,
        parameter=first,
        valid_from=date(2026, 1, 1),
        formula="param.second_amount + 10",
        source="x",
    )
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=admin,
            parameter=second,
            valid_from=date(2026, 1, 1),
            formula="param.idp_allowance + param.first_amount",
            source="x",
        )
    assert err.value.message_dict == {
        "formula": [
            "Circular definition: second_amount → first_amount → second_amount "
            "(at column 29 of second_amount)"
        ]
    }
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=admin,
            parameter=second,
            valid_from=date(2026, 1, 1),
            formula="param.second_amount * 2",
            source="x",
        )
    assert "Circular definition: second_amount → second_amount" in err.value.messages[0]
    assert not ParameterValue.objects.filter(parameter=second).exists()


def test_a_formula_with_an_unknown_parameter_or_both_value_and_formula_is_refused(make_user):
    admin = make_user(Role.ADMIN)
    bonus = derived_parameter("winter_bonus")
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=admin,
            parameter=bonus,
            valid_from=date(2026, 1, 1),
            formula="param.pension_undr_70 * 2",
            source="x",
        )
    assert err.value.message_dict["formula"] == [
        'Unknown parameter "param.pension_undr_70" at column 7; did you mean '
        '"param.pension_under_70"?'
    ]
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=admin,
            parameter=bonus,
            valid_from=date(2026, 1, 1),
            value=Decimal("5"),
            formula="1",
            source="x",
        )
    assert err.value.message_dict == {"value": ["Give either a value or a formula."]}


def test_programmes_read_derived_parameters(make_user):
    from zrunva.programmes.eligibility import compiled_programmes

    admin = make_user(Role.ADMIN)
    parameter_value_set(
        actor=admin,
        parameter=Parameter.objects.get(code="idp_allowance"),
        valid_from=date(2026, 2, 1),
        formula="param.tsa_band_1_amount - 10",
        source="Illustrative",
    )
    idp = next(p for p in compiled_programmes(on=date(2026, 3, 1)) if p.code == "idp_allowance")
    assert idp.params["idp_allowance"] == Decimal("50")
    assert idp.versions["idp_allowance"].formula == "param.tsa_band_1_amount - 10"


# -- Issue 9, finding 7: a parameter's value is at most 10^9 in size ---------------------------


@pytest.mark.parametrize("value", ["1000000001", "-1000000001", "9999999999.9999"])
def test_a_value_too_large_is_refused(make_user, value):
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=make_user(Role.ADMIN),
            parameter=Parameter.objects.get(code="idp_allowance"),
            valid_from=date(2027, 1, 1),
            value=Decimal(value),
            source="x",
        )
    assert err.value.message_dict == {
        "value": ["A parameter's value must lie between -1,000,000,000 and 1,000,000,000."]
    }
    assert not ParameterValue.objects.filter(valid_from=date(2027, 1, 1)).exists()


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        (
            "param.tsa_band_1_max_score * 100000",
            "This formula can give 3,000,000,000; a parameter's value must lie between "
            "-1,000,000,000 and 1,000,000,000",
        ),
        (
            "param.tsa_band_1_amount + 1000000001",
            "The number at column 27 is larger than 1,000,000,000, the largest a rule may write",
        ),
    ],
)
def test_a_formula_whose_value_could_be_too_large_is_refused(make_user, formula, message):
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=make_user(Role.ADMIN),
            parameter=derived_parameter("too_large"),
            valid_from=date(2026, 1, 1),
            formula=formula,
            source="x",
        )
    assert err.value.message_dict == {"formula": [message]}


# -- Issue 9, finding 8: a long chain of derived parameters ------------------------------------

CHAIN = 1200


def test_a_chain_of_1200_derived_parameters_is_checked_and_worked_out(make_user):
    """Each parameter is the one before plus 1; the check for cycles and the working out of the
    values must not recurse once per link (Python stops at about 1,000)."""
    links = [derived_parameter(f"link_{i:04d}") for i in range(CHAIN + 1)]
    ParameterValue.objects.create(
        parameter=links[0], valid_from=date(2026, 1, 1), value=Decimal(1), source="x"
    )
    ParameterValue.objects.bulk_create(
        ParameterValue(
            parameter=link,
            valid_from=date(2026, 1, 1),
            formula=f"param.link_{i:04d} + 1",
            source="x",
        )
        for i, link in enumerate(links[1:-1])
    )
    last = parameter_value_set(
        actor=make_user(Role.ADMIN),
        parameter=links[-1],
        valid_from=date(2026, 1, 1),
        formula=f"param.link_{CHAIN - 1:04d} + 1",
        source="x",
    )
    assert last.pk
    assert parameters_on(on=date(2026, 6, 1))[f"link_{CHAIN:04d}"] == CHAIN + 1
    # Closing the chain into a circle is refused, named, not a crash.
    with pytest.raises(ValidationError) as err:
        parameter_value_set(
            actor=make_user(Role.ADMIN),
            parameter=links[0],
            valid_from=date(2027, 1, 1),
            formula=f"param.link_{CHAIN:04d} + 1",
            source="x",
        )
    assert err.value.message_dict["formula"][0].startswith(
        "Circular definition: link_0000 → link_1200 → link_1199"
    )


def test_a_stored_formula_that_gives_infinity_gives_no_value():
    """Stored before formulas were bounded: its infinity must not reach a rule or an answer."""
    ParameterValue.objects.create(
        parameter=derived_parameter("endless"),
        valid_from=date(2026, 1, 1),
        formula="9" * 400,
        source="x",
    )
    assert "endless" not in parameters_on(on=date(2026, 6, 1))
