"""The eligibility decisions in force about a person and a household, as panels on their
registry pages (issue 13, item 6): for those who see the registry, in their area, a health
programme's decisions only with health access; the basis of each (a run, or an application's
decision) and the household's eligibility page linked; the reads audited."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from zrunva.accounts.choices import Role
from zrunva.assessment.tests.factories import assess
from zrunva.programmes.models import Decision
from zrunva.programmes.tests.factories import eligibility_run, years_ago
from zrunva.registry.tests import factories

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def family():
    """A pensioner (70) with a grandchild with a severe disability, in Kutaisi, after a run:
    (the household, the pensioner, the child, the run)."""
    household = factories.household("kutaisi", head={"birth_date": years_ago(70), "sex": "F"})
    child = factories.member(
        household, birth_date=years_ago(8), disability_degree="severe", first_name="ელენე"
    )
    assess(household, 72340)
    head = household.memberships.get(relationship="head").person
    return household, head, child, eligibility_run(timezone.localdate())


def _person_url(person) -> str:
    return reverse("eligibility:person_decisions", args=[person.pk])


def _household_url(household) -> str:
    return reverse("eligibility:household_decisions", args=[household.pk])


def test_a_households_decisions_in_force_with_their_basis(family, login_as):
    household, head, child, run = family
    client = login_as(Role.SOCIAL_WORKER, office="ssa-kutaisi")
    page = client.get(reverse("registry:household_detail", args=[household.pk])).content.decode()
    assert f'hx-get="{_household_url(household)}"' in page
    response = client.get(_household_url(household), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "HX-Request" in response["Vary"]
    assert "State old-age pension" in html and "495.00" in html and "Eligible" in html
    assert f'href="{reverse("eligibility:run_detail", args=[run.pk])}"' in html
    assert timezone.localdate().strftime("%B %Y") in html  # since this month
    assert f'href="{reverse("eligibility:household", args=[household.pk])}"' in html
    assert head.first_name in html and child.first_name in html
    whole = client.get(_household_url(household)).content.decode()
    assert "<html" in whole and "Back to" in whole and "495.00" in whole
    assert LogEntry.objects.filter(
        actor=client.user, object_pk=str(household.pk), additional_data__purpose="decisions"
    ).exists()


def test_a_persons_decisions_are_their_own_and_their_households(family, login_as):
    household, head, child, run = family
    client = login_as(Role.SSA_OFFICER)
    page = client.get(reverse("registry:person_detail", args=[head.pk])).content.decode()
    assert f'hx-get="{_person_url(head)}"' in page
    html = client.get(_person_url(head), **HTMX).content.decode()
    assert "State old-age pension" in html
    # The child's own decisions are the child's, not the grandmother's.
    assert "Social package for persons with disabilities" not in html and "ელენე" not in html
    assert f'href="{reverse("eligibility:household", args=[household.pk])}"' in html
    own = client.get(_person_url(child), **HTMX).content.decode()
    assert "Social package for persons with disabilities" in own
    assert "State old-age pension" not in own and "ელენე" in own
    assert LogEntry.objects.filter(
        actor=client.user, object_pk=str(head.pk), additional_data__purpose="decisions"
    ).exists()


def test_a_decision_no_longer_in_force_is_not_shown(family, login_as):
    household, head, child, run = family
    last_month = (timezone.localdate().replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    Decision.objects.filter(person=head).update(period=last_month, until=last_month)
    html = login_as(Role.SSA_OFFICER).get(_person_url(head), **HTMX).content.decode()
    assert "State old-age pension" not in html


def test_a_health_programmes_decisions_are_hidden_without_health_access(family, login_as):
    household, head, child, run = family
    for url in (_person_url(child), _household_url(household)):
        municipal = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi").get(url, **HTMX)
        html = municipal.content.decode()
        assert municipal.status_code == 200
        assert "Social package for persons with disabilities" not in html
        assert "Social package for persons with disabilities" in (
            login_as(Role.SUPERVISOR, office="ssa-kutaisi").get(url, **HTMX).content.decode()
        )


@pytest.mark.parametrize(
    "role,scope,status",
    [
        (Role.ANALYST, {}, 403),
        (Role.DPO, {}, 403),
        (Role.SERVICE_PROVIDER, {}, 403),
        (Role.SSA_OFFICER, {"office": "ssa-zugdidi"}, 404),
        (Role.MUNICIPAL_OFFICER, {"municipality": "batumi"}, 404),
        (Role.SOCIAL_WORKER, {"office": "ssa-kutaisi"}, 200),
        (Role.MUNICIPAL_OFFICER, {"municipality": "kutaisi"}, 200),
    ],
)
def test_who_reads_the_decisions(family, login_as, role, scope, status):
    household, head, child, run = family
    client = login_as(role, **scope)
    for url, record in ((_person_url(head), head), (_household_url(household), household)):
        assert client.get(url, **HTMX).status_code == status
        if status == 404:
            assert LogEntry.objects.filter(
                actor=client.user, object_pk=str(record.pk), additional_data__attempt=True
            ).exists()


def test_an_application_decision_names_its_application(login_as):
    """Enrolled without a run: the decision is the application's, linked for those who process
    applications and named for the others."""
    from zrunva.applications.tests.factories import enrolled_application

    application = enrolled_application()
    decision = Decision.objects.get(application=application)
    url = _person_url(decision.person)
    ssa = login_as(Role.SSA_OFFICER).get(url, **HTMX).content.decode()
    assert f'href="{reverse("applications:detail", args=[application.pk])}"' in ssa
    social = login_as(Role.SOCIAL_WORKER, office="ssa-kutaisi").get(url, **HTMX).content.decode()
    assert application.number in social and "/applications/" not in social


def test_the_decisions_panel_queries_are_bounded(family, login_as, django_assert_max_num_queries):
    household, head, child, run = family
    for birth in (years_ago(75), years_ago(80), years_ago(9)):
        factories.member(household, birth_date=birth, disability_degree="severe")
    eligibility_run(timezone.localdate())
    client = login_as(Role.SSA_OFFICER)
    url = _household_url(household)
    client.get(url, **HTMX)
    with django_assert_max_num_queries(6):
        html = client.get(url, **HTMX).content.decode()
    assert html.count("<tr>") - 1 >= 6
