"""Issue 9, finding 7, sibling: a decided amount travels on into the application's decision and
the enrolment, whose amount columns are numeric(10, 2). A council's formula that gives more (a
few hundred million fits a run's decision, numeric(12, 2)) must be refused when it is saved, and
a stored one be an error for that beneficiary, not a failed write when the application is
decided or enrolled (PostgreSQL: "numeric field overflow", a 500)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.applications.models import Application, Enrolment
from zrunva.geo.models import Municipality
from zrunva.programmes import eligibility
from zrunva.programmes.models import Programme
from zrunva.programmes.services import programme_save
from zrunva.programmes.validators import LARGEST_AMOUNT
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db

HUGE = "500000000"  # under the largest number a rule may write (10^9)


def _largest(field) -> Decimal:
    return Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal(1).scaleb(
        -field.decimal_places
    )


def test_the_largest_amount_fits_every_column_a_decided_amount_is_written_to():
    for field in (
        Application._meta.get_field("decision_amount"),
        Enrolment._meta.get_field("amount"),
    ):
        assert _largest(field) >= LARGEST_AMOUNT, field


def test_a_council_cannot_save_a_formula_an_enrolment_cannot_hold(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    data = {
        "code": "kutaisi_huge",
        "name_ka": "დიდი",
        "name_en": "Huge",
        "level": "household",
        "criteria": "household.size >= 1",
        "formula": HUGE,
        "legal_basis": "Test",
        "municipality": Municipality.objects.get(code="kutaisi"),
        "valid_from": date(2026, 1, 1),
    }
    with pytest.raises(ValidationError) as caught:
        programme_save(actor=officer, programme=None, data=data)
    assert list(caught.value.message_dict) == ["formula"]
    assert not Programme.objects.filter(code="kutaisi_huge").exists()


def test_a_stored_formula_an_enrolment_cannot_hold_is_an_error_not_an_amount():
    household = factories.household("kutaisi")
    Programme.objects.create(  # stored as old data could be, bypassing the check on save
        code="kutaisi_huge",
        name_ka="დიდი",
        name_en="Huge",
        level="household",
        criteria="household.size >= 1",
        formula=HUGE,
        legal_basis="Old data",
        municipality=Municipality.objects.get(code="kutaisi"),
        valid_from=timezone.localdate() - timedelta(days=30),
    )
    results = eligibility.household_explanation(household=household, on=timezone.localdate())
    huge = next(r for r in results if r.compiled.code == "kutaisi_huge")
    assert (huge.status, huge.amount) == ("error", None)
