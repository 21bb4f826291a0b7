"""Demo data goes through the same services as users do, and `demo_setup` builds a demo."""

import re

from django.core.management import call_command
from django.test import override_settings

from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.applications.models import Application
from zrunva.core.models import Revision
from zrunva.grievances.models import Grievance
from zrunva.programmes.models import Run
from zrunva.services.models import Service


def test_demo_applications_go_through_the_services(make_user):
    from zrunva.demo.applications import demo_applications
    from zrunva.registry import population

    population.population_generate(households=60, seed=5, progress=False)
    officer = make_user(Role.SSA_OFFICER)
    assert demo_applications(seed=5, count=12, officer=officer.username) == 12
    statuses = set(Application.objects.values_list("status", flat=True))
    assert len(statuses) > 3
    decided = Application.objects.filter(status__in=["decided", "rejected", "enrolled"])
    assert decided.exists() and all(a.decision_reasons and a.decided_on for a in decided)
    registered = Application.objects.exclude(status="submitted")
    assert all(a.household_id for a in registered)
    assert Application.objects.filter(channel="portal", entered_by__isnull=False).count() == 0


def test_demo_grievances_go_through_the_services(make_user):
    from zrunva.demo.applications import demo_applications
    from zrunva.demo.grievances import demo_grievances
    from zrunva.registry import population

    population.population_generate(households=60, seed=5, progress=False)
    officer = make_user(Role.SSA_OFFICER)
    demo_applications(seed=5, count=20, officer=officer.username)
    filed = demo_grievances(seed=5, count=8, overdue=2)
    assert filed == Grievance.objects.count() > 0
    assert Grievance.objects.filter(escalated_at__isnull=False).count() == 2
    appeals = Grievance.objects.filter(category="decision_appeal")
    assert appeals.exists()
    for filed_appeal in appeals:
        assert filed_appeal.application.status not in ("rejected", "decided")  # reopened


@override_settings(DEBUG=True)
def test_demo_setup_makes_every_role_and_a_population(db, capsys):
    call_command("demo_setup", households=40, seed=3)
    staff = set(Role.values) - {Role.CITIZEN}
    assert set(User.objects.values_list("role", flat=True)) == staff
    # Their names in Georgian letters, as the pages show who acted.
    names = [u.get_full_name() for u in User.objects.all()]
    assert all(re.fullmatch(r"[\u10D0-\u10FF]+ [\u10D0-\u10FF]+", n) for n in names), names
    assert Run.objects.filter(status="done").exists()
    assert Application.objects.exists() and Grievance.objects.exists()
    assert "Zrunva-demo-2026" in capsys.readouterr().out
    from zrunva.applications.models import Enrolment
    from zrunva.payments.models import PaymentAccount

    assert Enrolment.objects.exists()
    assert PaymentAccount.objects.filter(valid_until__isnull=True).exists()
    assert not PaymentAccount.objects.exclude(note="Synthetic demo account.").exists()
    from zrunva.payments.models import Payroll, Recovery, Suspension

    payroll = Payroll.objects.get()
    assert payroll.step == "reconciled" and payroll.prepared_by != payroll.approved_by
    assert payroll.files.exists() and payroll.reconciliations.get().returned == 1
    assert payroll.payments.filter(status="paid").exists()
    assert Suspension.objects.filter(outcome="", reason="abroad").count() == 1
    assert Recovery.objects.filter(status="proposed").count() == 1
    from zrunva.integration.models import Import

    kutaisi = Import.objects.get(source__code="kutaisi-old-list")
    assert kutaisi.dry_run and kutaisi.started_by.username == "municipal_kutaisi"
    assert (kutaisi.summary["new"], kutaisi.summary["rejected"]) == (6, 2)
    deaths = Import.objects.get(source__code="civil-deaths")
    assert deaths.status == "done" and deaths.summary["rejected"] >= 1
    from zrunva.questionnaires.models import Survey

    survey = Survey.objects.get(code="needs-older-disability-2026")
    assert survey.status == "open" and survey.responses.count() > 300
    # The catalogue: every service public, approved by someone other than its proposer, and
    # one change waiting; the municipal provider's by Kutaisi's officer.
    assert Service.objects.filter(published=True).count() == Service.objects.count() == 12
    versions = Revision.objects.filter(content_type__model="service")
    assert versions.filter(status="pending").count() == 1
    approved = versions.filter(status="approved").select_related("proposed_by", "decided_by")
    by_provider = {
        kind: {(v.proposed_by.username, v.decided_by.username) for v in approved
               if v.record.provider.kind == kind}
        for kind in ("cso", "municipal", "state")
    }  # fmt: skip
    assert by_provider == {
        "cso": {("provider", "ssa")},
        "municipal": {("municipal_kutaisi", "municipal_kutaisi")},
        "state": {("admin", "admin")},
    }


def test_demo_survey_answers_hold_together_and_small_areas_are_hidden(make_user):
    import random

    from zrunva.demo.questionnaires import AREAS, demo_survey, respondent
    from zrunva.geo.models import Municipality
    from zrunva.questionnaires import answers, selectors
    from zrunva.questionnaires.models import Response, Survey, Tally

    analyst = make_user(Role.ANALYST)
    imereti, samegrelo = make_user(Role.SOCIAL_WORKER), make_user(Role.SSA_OFFICER)
    people = {"owner": analyst.username, "interviewers": {"GE-IM": imereti.username,
                                                          "GE-SZ": samegrelo.username}}  # fmt: skip
    made = demo_survey(seed=4, **people)
    assert made == sum(n for *_rest, n in AREAS) == Response.objects.count()
    assert demo_survey(seed=4, **people) == made  # not twice
    survey = Survey.objects.get()
    assert survey.status == "open" and survey.form.code == "functional-needs"
    assert set(survey.areas.values_list("municipality__region__iso_code", flat=True)) == {
        "GE-IM",
        "GE-SZ",
    }
    assert set(survey.assignments.values_list("interviewer", flat=True)) == {
        imereti.pk,
        samegrelo.pk,
    }
    # Each response is exactly what checking it gives back: valid values, nothing asked that
    # its conditions hide, nothing required missing.
    version = survey.form.versions.get()
    stored = list(Response.objects.filter(survey=survey).values_list("answers", flat=True))
    for given in stored:
        clean, errors = answers.check(version.definition, given)
        assert errors == {} and clean == given, (errors, given)
    # And hang together.
    for given in stored:
        assert not ("household" in given.get("care_from", []) and given["lives_alone"])
        assert given["wg_walking"] != "none" or "wheelchair" not in given["devices_used"]
        assert ("satisfaction" in given) == (given["services_used"] != ["none"])
    assert sum("care_received" in g for g in stored) > made // 5
    assert respondent(random.Random(1)) == respondent(random.Random(1))  # reproducible
    assert Tally.objects.filter(survey=survey, key="", value="").count() == len(AREAS)
    # Small areas are hidden from those who do not own the survey.
    rows = {r.label: r for r in selectors.results(actor=make_user(Role.ANALYST), survey=survey)[
        "responses"].rows}  # fmt: skip
    small = [code for code, _target, n in AREAS if n < 10]
    assert len(small) >= 2
    for code in small:
        assert rows[str(Municipality.objects.get(code=code))].cells[0].hidden
    kutaisi = rows[str(Municipality.objects.get(code="kutaisi"))].cells[0]
    assert (kutaisi.hidden, kutaisi.count) == (False, 95)


def test_demo_duplicates_wait_for_review(make_user):
    from zrunva.demo.integration import demo_duplicates
    from zrunva.integration.models import LinkageModel, MatchPair

    call_command("generate_population", households=330, seed=4, verbosity=0)
    for username, role in (("ssa", Role.SSA_OFFICER), ("admin", Role.ADMIN)):
        User.objects.create_user(username, role=role)
    found = demo_duplicates(seed=4)
    assert LinkageModel.objects.count() == 1
    pairs = MatchPair.objects.filter(right__alt_id_number__startswith="DEMO")
    assert found == MatchPair.objects.count() and pairs.count() >= 4
