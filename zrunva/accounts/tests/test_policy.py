"""Object policy in accounts/permissions.py: who may be assigned where, who reads health data,
who sees national statistics, who supervises grievances."""

import pytest
from django.core.exceptions import PermissionDenied

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    """One user per role and kind of scope: national, an office's, a municipality's."""
    users = [make_user(role) for role in Role if role != Role.CITIZEN]
    for role in (Role.SSA_OFFICER, Role.SOCIAL_WORKER, Role.SUPERVISOR):
        users.append(make_user(role, office="ssa-kutaisi" if role == Role.SSA_OFFICER else None))
    users.append(make_user(Role.SUPERVISOR, office="sca-ge-im"))
    users.append(make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"))
    users.append(make_user(Role.MUNICIPAL_OFFICER, municipality="batumi"))
    inactive = make_user(Role.ADMIN)
    inactive.is_active = False
    inactive.save()
    return [*users, inactive]


@pytest.mark.parametrize(
    "perm",
    [permissions.GRIEVANCES_HANDLE, permissions.APPLICATIONS_PROCESS, permissions.REGISTRY_VIEW],
)
@pytest.mark.parametrize("place", ["kutaisi", "batumi", "zugdidi"])
def test_holders_are_exactly_those_with_the_permission_and_the_place_in_scope(staff, perm, place):
    municipality = Municipality.objects.get(code=place)
    expected = {
        u.pk
        for u in staff
        if permissions.has_perm(u, perm) and permissions.in_scope(u, municipality.pk)
    }
    found = set(
        permissions.holders(perm, municipality_id=municipality.pk).values_list("pk", flat=True)
    )
    assert found == expected
    assert expected  # the case is not vacuous: someone may always act


def test_health_is_masked_or_blanked_for_those_without_it(make_user):
    values = {"first_name": "ნინო", "disability_degree": "severe", "chronic_illness": True}
    clerk, officer = (
        make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        make_user(Role.SSA_OFFICER),
    )
    assert permissions.health_masked(clerk, values) == {"first_name": "ნინო"}
    assert permissions.health_masked(clerk, values, blank=True) == {
        "first_name": "ნინო",
        "disability_degree": None,
        "chronic_illness": None,
    }
    assert permissions.health_masked(officer, values) == values


def test_health_programmes_are_hidden_and_refused_to_those_without_health(make_user):
    disability = Programme.objects.get(code="disability_package")
    pension = Programme.objects.get(code="state_pension")
    clerk = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    officer = make_user(Role.SSA_OFFICER)
    shown = permissions.health_programmes_hidden(Programme.objects.all(), clerk, "pk")
    assert pension in shown and disability not in shown
    assert disability in permissions.health_programmes_hidden(
        Programme.objects.all(), officer, "pk"
    )
    with pytest.raises(PermissionDenied, match="read health data"):
        permissions.require_health_programme(clerk, disability.pk)
    permissions.require_health_programme(clerk, pension.pk)
    permissions.require_health_programme(officer, disability.pk)


@pytest.mark.parametrize(
    ("role", "supervises", "national"),
    [
        (Role.ADMIN, True, False),
        (Role.SUPERVISOR, True, False),
        (Role.SSA_OFFICER, False, False),
        (Role.MUNICIPAL_OFFICER, False, False),
        (Role.ANALYST, False, True),
        (Role.DPO, False, False),
    ],
)
def test_grievance_supervision_and_national_statistics(make_user, role, supervises, national):
    user = make_user(role, municipality="kutaisi" if role == Role.MUNICIPAL_OFFICER else None)
    assert permissions.has_perm(user, permissions.GRIEVANCES_SUPERVISE) is supervises
    assert permissions.has_perm(user, permissions.STATISTICS_NATIONAL) is national
