"""Issue 9, finding 1, sibling (a programme needing health access): a municipal officer has no
access to health data (HEALTH_VIEW), and the household's eligibility page hides from them every
programme whose rules read it. Yet they could define their own municipality's programme on
`person.disability_degree` and learn each person's disability from its decisions (deciding an
application answers "the rules do not make this applicant eligible", and the decision shows its
conditions with their values). Rules that read health data are defined only by roles that may
see it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme
from zrunva.programmes.services import programme_save

pytestmark = pytest.mark.django_db


def _probe(**rules) -> dict:
    return {
        "code": "kutaisi_probe",
        "name_ka": "ზონდი",
        "name_en": "Probe",
        "level": "person",
        "criteria": "person.age >= 0",
        "formula": "1",
        "legal_basis": "Test",
        "municipality": Municipality.objects.get(code="kutaisi"),
        "valid_from": date(2026, 1, 1),
    } | rules


@pytest.mark.parametrize(
    "rules",
    [
        {"criteria": 'person.disability_degree != "none"'},
        {
            "level": "household",
            "criteria": 'count(members, member.disability_degree != "none") > 0',
        },
        {"formula": 'if(person.disability_degree == "severe", 2, 1)'},
    ],
)
def test_an_officer_without_health_access_cannot_write_rules_that_read_it(make_user, rules):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(ValidationError) as caught:
        programme_save(actor=officer, programme=None, data=_probe(**rules))
    field = "formula" if "formula" in rules else "criteria"
    assert list(caught.value.message_dict) == [field]
    assert "health" in caught.value.message_dict[field][0]
    assert not Programme.objects.filter(code="kutaisi_probe").exists()


def test_the_same_officer_still_defines_rules_without_health_data(make_user):
    officer = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    assert programme_save(actor=officer, programme=None, data=_probe())


def test_an_administrator_may_define_a_municipal_programme_reading_health(make_user):
    admin = make_user(Role.ADMIN)
    data = _probe(criteria='person.disability_degree != "none"')
    assert programme_save(actor=admin, programme=None, data=data)
