"""Service standards: who may assess which service, scoring and its bounds, submission freezing
an assessment, documents, improvement plans, results, trends and the staff pages."""

import datetime
import io

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.accounts.models import User
from zrunva.geo.models import Municipality
from zrunva.services import selectors
from zrunva.services import services as writes
from zrunva.services.choices import ActionStatus, AssessmentStatus
from zrunva.services.forms import AssessmentScoreForm
from zrunva.services.models import (
    Assessment,
    AssessmentDocument,
    Criterion,
    ImprovementAction,
    Score,
    Standard,
    StandardVersion,
    score_check,
)
from zrunva.services.tests import factories

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(image, "PNG")
    return image.getvalue()


PNG = _png()


def _url(view: str, *args) -> str:
    with translation.override("ka"):
        return reverse(f"services:{view}", args=args)


def _visit() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=10)


@pytest.fixture
def version() -> StandardVersion:
    return StandardVersion.objects.get(standard__code="rights-based-illustrative", number=1)


@pytest.fixture
def service():
    """A public day centre in Kutaisi of a civil-society provider with its own organisation."""
    provider = factories.provider(organisation=factories.organisation("Open Hands"))
    return factories.service(provider)


@pytest.fixture
def monitor(make_user):
    """A CSO monitor whose organisation serves Kutaisi."""
    organisation = factories.organisation("Rights Watch")
    organisation.municipalities.set(Municipality.objects.filter(code="kutaisi"))
    return make_user(Role.CSO_MONITOR, organisation=organisation)


def _all_scores(version, score=2, evidence="seen") -> dict:
    return {c.pk: (score, evidence) for c in Criterion.objects.filter(area__version=version)}


def _submitted(monitor, service, version, *, visit=None, score=2) -> Assessment:
    visit = visit or _visit()
    made = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=visit
    )
    writes.assessment_score(
        actor=monitor, assessment=made, visit_date=visit, scores=_all_scores(version, score)
    )
    return writes.assessment_submit(actor=monitor, assessment=made)


# -- The illustrative standard ----------------------------------------------------------------


def test_the_illustrative_standard_is_published_with_five_areas_in_both_languages(version):
    standard = Standard.objects.get(code="rights-based-illustrative")
    assert "illustrative" in standard.name_en and "საილუსტრაციო" in standard.name_ka
    assert "article 19" in standard.source_en and "№66" in standard.source_ka
    areas = selectors.version_checklist(version)
    assert [a.name_en for a in areas] == [
        "Choice and control",
        "Accessibility",
        "Dignity and safety",
        "Participation and community",
        "Information and complaints",
    ]
    for area in areas:
        assert area.name_ka and area.criteria.exists()
        for criterion in area.criteria.all():
            assert criterion.max_score == 3
            # Georgian texts in Georgian letters.
            assert any(
                "\u10d0" <= ch <= "\u10ff" for ch in criterion.text_ka + criterion.guidance_ka
            )
            assert criterion.text_en and criterion.guidance_en


def test_a_published_version_is_frozen(version):
    area = version.areas.first()
    with pytest.raises(ValidationError, match="published"):
        area.full_clean()
    with pytest.raises(ValidationError, match="published"):
        area.criteria.first().full_clean()


# -- Who may assess -----------------------------------------------------------------------------


def test_the_assess_permission_is_held_by_the_monitoring_roles_only():
    holders = {
        role
        for role in Role
        if permissions.has_perm(User(role=role, is_active=True), permissions.SERVICES_ASSESS)
    }
    assert holders == {Role.ADMIN, Role.SSA_OFFICER, Role.MUNICIPAL_OFFICER, Role.CSO_MONITOR}


def test_who_may_assess_a_kutaisi_service(make_user, monitor, service):
    other_monitor = make_user(Role.CSO_MONITOR, organisation=factories.organisation("Batumi Watch"))
    other_monitor.organisation.municipalities.set(Municipality.objects.filter(code="batumi"))
    own_staff = make_user(Role.SERVICE_PROVIDER, organisation=service.provider.organisation)
    # The provider's organisation's own monitor (a provider that is also a CSO) neither.
    own_monitor = make_user(Role.CSO_MONITOR, organisation=service.provider.organisation)
    own_monitor.organisation.municipalities.set(Municipality.objects.filter(code="kutaisi"))
    granted = [
        make_user(Role.ADMIN),
        make_user(Role.SSA_OFFICER),
        make_user(Role.SSA_OFFICER, office="ssa-kutaisi"),
        make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi"),
        monitor,
    ]
    denied = [
        make_user(Role.MUNICIPAL_OFFICER, municipality="batumi"),
        make_user(Role.SSA_OFFICER, office="ssa-zugdidi"),
        other_monitor,
        own_staff,
        own_monitor,
        make_user(Role.ANALYST),
        make_user(Role.SOCIAL_WORKER),
        make_user(Role.CITIZEN),
    ]
    for user in granted:
        assert permissions.assesses_service(user, service), user
        assert selectors.assessable_services(actor=user).filter(pk=service.pk).exists(), user
    for user in denied:
        assert not permissions.assesses_service(user, service), user
        assert not selectors.assessable_services(actor=user).filter(pk=service.pk).exists(), user


def test_a_cso_monitor_reads_no_registry_data(monitor):
    for perm in (
        permissions.REGISTRY_VIEW,
        permissions.HEALTH_VIEW,
        permissions.APPLICATIONS_PROCESS,
        permissions.PAYMENTS_VIEW,
        permissions.SERVICES_EDIT,
    ):
        assert not permissions.has_perm(monitor, perm)


def test_a_cso_monitor_invites_colleagues_of_its_own_role_only(monitor):
    assert permissions.invites_to(monitor, monitor.organisation, Role.CSO_MONITOR)
    assert not permissions.invites_to(monitor, monitor.organisation, Role.SERVICE_PROVIDER)
    assert not permissions.invites_to(monitor, factories.organisation("Another"), Role.CSO_MONITOR)


def test_a_provider_cannot_assess_its_own_service(make_user, service, version):
    staff = make_user(Role.SERVICE_PROVIDER, organisation=service.provider.organisation)
    with pytest.raises(PermissionDenied):
        writes.assessment_start(actor=staff, service=service, version=version, visit_date=_visit())
    assert not Assessment.objects.exists()


def test_pages_refuse_the_anonymous_the_provider_and_a_monitor_out_of_scope(
    client, login_as, make_user, monitor, service, version
):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    response = client.get(_url("assessment_list"))
    assert response.status_code == 302 and "login" in response["Location"]
    response = client.post(
        _url("assessment_add"),
        {"service": service.pk, "version": version.pk, "visit_date": _visit().isoformat()},
    )
    assert response.status_code == 302 and Assessment.objects.count() == 1
    provider = login_as(Role.SERVICE_PROVIDER, organisation=service.provider.organisation)
    assert provider.get(_url("assessment_list")).status_code == 403
    assert provider.get(_url("assessment_detail", assessment.pk)).status_code == 403
    outside = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert outside.get(_url("assessment_detail", assessment.pk)).status_code == 404
    response = outside.post(
        _url("assessment_add"),
        {"service": service.pk, "version": version.pk, "visit_date": _visit().isoformat()},
    )
    assert response.status_code == 200
    assert (
        "Select a valid choice" in response.content.decode()
        or response.context["form"].errors["service"]
    )
    assert Assessment.objects.count() == 1
    # The denied read of a record out of scope is audited, naming it.
    assert LogEntry.objects.filter(
        object_pk=str(assessment.pk), additional_data__attempt=True
    ).exists()


def test_the_menu_shows_service_standards_to_a_monitor_only_among_these(login_as, monitor):
    client = login_as(Role.CSO_MONITOR)
    client.force_login(monitor)
    page = client.get(_url("assessment_list")).content.decode()
    assert _url("assessment_list") in page
    analyst = login_as(Role.ANALYST)
    assert analyst.get(_url("assessment_list")).status_code == 403


# -- Scoring and submitting ---------------------------------------------------------------------


def test_a_monitor_starts_scores_and_submits_an_assessment_through_the_pages(
    client, monitor, service, version
):
    client.force_login(monitor)
    response = client.post(
        _url("assessment_add"),
        {"service": service.pk, "version": version.pk, "visit_date": _visit().isoformat()},
    )
    assessment = Assessment.objects.get()
    assert response["Location"] == _url("assessment_edit", assessment.pk)
    assert assessment.scores.count() == Criterion.objects.filter(area__version=version).count()
    page = client.get(_url("assessment_edit", assessment.pk))
    assert page.status_code == 200 and "არჩევანი და კონტროლი" in page.content.decode()
    data = {"visit_date": _visit().isoformat(), "submit": "1"}
    for criterion_id, (score, evidence) in _all_scores(version, 3, "ვნახეთ").items():
        data[f"score_{criterion_id}"] = score
        data[f"evidence_{criterion_id}"] = evidence
    response = client.post(_url("assessment_edit", assessment.pk), data)
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.submitted_at
    assert set(assessment.scores.values_list("score", flat=True)) == {3}
    detail = client.get(_url("assessment_detail", assessment.pk)).content.decode()
    assert "100%" in detail and "ვნახეთ" in detail


def test_a_score_out_of_range_is_refused_at_its_field_and_nothing_is_stored(
    client, monitor, service, version
):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    client.force_login(monitor)
    first, second = Criterion.objects.filter(area__version=version).order_by(
        "area__order", "order"
    )[:2]
    data = {
        "visit_date": _visit().isoformat(),
        f"score_{first.pk}": "2",
        f"evidence_{first.pk}": "kept?",
        f"score_{second.pk}": "4",
    }
    with translation.override("en"):
        response = client.post("/en" + _url("assessment_edit", assessment.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors[f"score_{second.pk}"] == ["Give a score from 0 to 3."]
    assert not Score.objects.filter(assessment=assessment, score__isnull=False).exists()
    assert not Score.objects.exclude(evidence="").exists()
    # The service refuses it too, with the same message, storing nothing.
    with pytest.raises(ValidationError) as error:
        writes.assessment_score(
            actor=monitor,
            assessment=assessment,
            visit_date=_visit(),
            scores={first.pk: (2, "x"), second.pk: (-1, "")},
        )
    assert error.value.message_dict == {f"score_{second.pk}": ["Give a score from 0 to 3."]}
    assert not Score.objects.filter(score__isnull=False).exists()
    # And the model.
    row = Score.objects.get(assessment=assessment, criterion=second)
    row.score = 9
    with pytest.raises(ValidationError, match="from 0 to 3"):
        row.full_clean()


def test_one_score_rule_for_model_form_and_service():
    score_check(0, 3)
    score_check(3, 3)
    score_check(None, 3)
    for bad in (-1, 4):
        with pytest.raises(ValidationError, match="from 0 to 3"):
            score_check(bad, 3)


def test_a_visit_in_the_future_or_before_the_version_is_refused(monitor, service, version):
    with pytest.raises(ValidationError) as error:
        writes.assessment_start(
            actor=monitor,
            service=service,
            version=version,
            visit_date=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert error.value.message_dict == {"visit_date": ["The visit date cannot be in the future."]}
    with pytest.raises(ValidationError) as error:
        writes.assessment_start(
            actor=monitor, service=service, version=version, visit_date=datetime.date(2025, 12, 31)
        )
    assert "valid from 2026-01-01" in error.value.message_dict["visit_date"][0]
    assert not Assessment.objects.exists()


def test_an_unpublished_version_cannot_be_used(monitor, service, version):
    draft = StandardVersion.objects.create(
        standard=version.standard, number=2, valid_from=version.valid_from
    )
    with pytest.raises(ValidationError, match="published version"):
        writes.assessment_start(actor=monitor, service=service, version=draft, visit_date=_visit())


def test_submitting_needs_every_criterion_scored(monitor, service, version):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    with pytest.raises(ValidationError, match="Score every criterion"):
        writes.assessment_submit(actor=monitor, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT


def test_a_submitted_assessment_cannot_be_edited(client, monitor, service, version):
    assessment = _submitted(monitor, service, version, score=1)
    client.force_login(monitor)
    criterion = Criterion.objects.filter(area__version=version).first()
    with translation.override("en"):
        response = client.post(
            "/en" + _url("assessment_edit", assessment.pk),
            {"visit_date": _visit().isoformat(), f"score_{criterion.pk}": "3"},
        )
    assert response.status_code == 200
    assert "This assessment is submitted: it can no longer be changed." in (
        response.content.decode()
    )
    assert set(assessment.scores.values_list("score", flat=True)) == {1}
    with pytest.raises(ValidationError, match="submitted"):
        writes.assessment_submit(actor=monitor, assessment=assessment)
    upload = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    with pytest.raises(ValidationError, match="submitted"):
        writes.assessment_document_add(actor=monitor, assessment=assessment, upload=upload)


def test_only_the_assessor_changes_a_draft(make_user, monitor, service, version):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    colleague = make_user(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    with pytest.raises(PermissionDenied):
        writes.assessment_score(
            actor=colleague,
            assessment=assessment,
            visit_date=_visit(),
            scores=_all_scores(version),
        )


# -- Documents ----------------------------------------------------------------------------------


def test_documents_are_checked_by_their_content_and_served_to_staff_in_scope(
    client, settings, login_as, monitor, service, version
):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    client.force_login(monitor)
    response = client.post(
        _url("assessment_document_upload", assessment.pk),
        {"file": SimpleUploadedFile("notes.png", b"<html>not an image</html>")},
    )
    assert response.status_code == 200 and not AssessmentDocument.objects.exists()
    # The request is in Georgian: the checker's own message, at the field.
    assert "არ არის PDF, JPEG ან PNG" in str(response.context["document_form"].errors["file"])
    response = client.post(
        _url("assessment_document_upload", assessment.pk),
        {"file": SimpleUploadedFile("ramp.png", PNG, content_type="image/png")},
    )
    assert response.status_code == 302
    document = AssessmentDocument.objects.get()
    # Stored outside the public media, under a name of ours.
    assert document.kind == "png" and "ramp" not in document.file.name
    assert not document.file.path.startswith(str(settings.MEDIA_ROOT))
    response = client.get(_url("assessment_document", assessment.pk, document.pk))
    assert response.status_code == 200 and response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG
    outside = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert outside.get(_url("assessment_document", assessment.pk, document.pk)).status_code == 404


# -- Improvement plans --------------------------------------------------------------------------


def test_an_improvement_plan_is_followed_to_closure(monitor, service, version):
    assessment = _submitted(monitor, service, version)
    visit = assessment.visit_date
    first = writes.improvement_action_add(
        actor=monitor,
        assessment=assessment,
        text="Easy-read rules",
        responsible="The director",
        due_date=visit + datetime.timedelta(days=30),
    )
    second = writes.improvement_action_add(
        actor=monitor,
        assessment=assessment,
        text="A wider toilet door",
        responsible="The director",
        due_date=visit,
    )
    assert selectors.public_assessment_summary(service).open_actions == 2
    writes.improvement_action_done(actor=monitor, action=first, done_on=visit, note="Printed.")
    with pytest.raises(ValidationError, match="already done"):
        writes.improvement_action_done(actor=monitor, action=first, done_on=visit, note="Again")
    assert selectors.public_assessment_summary(service).open_actions == 1
    writes.improvement_action_done(
        actor=monitor, action=second, done_on=timezone.localdate(), note="Widened."
    )
    assert not ImprovementAction.objects.filter(status=ActionStatus.OPEN).exists()
    assert selectors.public_assessment_summary(service).open_actions == 0


def test_a_due_date_before_the_visit_is_refused_at_its_field(client, monitor, service, version):
    assessment = _submitted(monitor, service, version)
    client.force_login(monitor)
    before = assessment.visit_date - datetime.timedelta(days=1)
    with translation.override("en"):
        response = client.post(
            "/en" + _url("action_add", assessment.pk),
            {"text": "Ramps", "responsible": "Director", "due_date": before.isoformat()},
        )
    assert response.status_code == 200
    assert response.context["action_form"].errors["due_date"] == [
        f"The due date cannot be before the visit ({assessment.visit_date.isoformat()})."
    ]
    assert not ImprovementAction.objects.exists()


def test_marking_done_needs_a_date_from_the_visit_to_today_and_a_note(monitor, service, version):
    assessment = _submitted(monitor, service, version)
    action = writes.improvement_action_add(
        actor=monitor,
        assessment=assessment,
        text="Ramps",
        responsible="Director",
        due_date=assessment.visit_date,
    )
    with pytest.raises(ValidationError) as error:
        writes.improvement_action_done(
            actor=monitor,
            action=action,
            done_on=timezone.localdate() + datetime.timedelta(days=1),
            note="",
        )
    assert set(error.value.message_dict) == {"done_on", "note"}
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN and action.done_on is None


def test_overdue_actions_are_listed_for_staff_in_scope(login_as, monitor, service, version):
    visit = timezone.localdate() - datetime.timedelta(days=60)
    assessment = _submitted(monitor, service, version, visit=visit)
    writes.improvement_action_add(
        actor=monitor,
        assessment=assessment,
        text="Overdue ramps",
        responsible="Director",
        due_date=visit + datetime.timedelta(days=10),
    )
    writes.improvement_action_add(
        actor=monitor,
        assessment=assessment,
        text="Later leaflet",
        responsible="Director",
        due_date=timezone.localdate() + datetime.timedelta(days=10),
    )
    officer = login_as(Role.MUNICIPAL_OFFICER, municipality="kutaisi")
    page = officer.get(_url("assessment_list")).content.decode()
    assert "Overdue ramps" in page and "Later leaflet" not in page
    outside = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert "Overdue ramps" not in outside.get(_url("assessment_list")).content.decode()


# -- Results, trends, audit ---------------------------------------------------------------------


def test_results_are_percentages_per_area_and_in_total_rounded_half_up(monitor, service, version):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    areas = selectors.version_checklist(version)
    first_area = list(areas[0].criteria.all())  # three criteria, 9 points at most
    scores = {c.pk: (0, "") for c in Criterion.objects.filter(area__version=version)}
    scores[first_area[0].pk] = (3, "")
    scores[first_area[1].pk] = (1, "")
    writes.assessment_score(
        actor=monitor, assessment=assessment, visit_date=_visit(), scores=scores
    )
    got = selectors.results(Assessment.objects.get(pk=assessment.pk))
    assert [a.percent for a in got.areas] == [44, 0, 0, 0, 0]  # 4 of 9 = 44.4%
    highest = 3 * Criterion.objects.filter(area__version=version).count()
    assert (got.points, got.highest) == (4, highest)
    assert got.percent == round(400 / highest)


def test_trends_show_each_services_assessments_over_time(login_as, monitor, service, version):
    _submitted(monitor, service, version, visit=_visit() - datetime.timedelta(days=100), score=1)
    _submitted(monitor, service, version, visit=_visit(), score=2)
    found = selectors.trends(actor=monitor)
    ((shown, rows),) = found
    assert shown == service and [r.percent for _a, r in rows] == [33, 67]
    officer = login_as(Role.SSA_OFFICER)
    page = officer.get(_url("assessment_trends") + f"?provider={service.provider.pk}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "33%" in body and "67%" in body and 'style="width: 67.0%"' in body
    outside = login_as(Role.MUNICIPAL_OFFICER, municipality="batumi")
    assert "67%" not in outside.get(_url("assessment_trends")).content.decode()


def test_assessments_are_audited_with_their_actor(monitor, service, version):
    assessment = _submitted(monitor, service, version)
    entries = LogEntry.objects.get_for_object(assessment)
    assert entries.exists() and {e.actor_id for e in entries} == {monitor.pk}


def test_the_pages_work_in_georgian(client, monitor, service, version):
    assessment = _submitted(monitor, service, version)
    client.force_login(monitor)
    for url in (
        _url("assessment_list"),
        _url("standard_list"),
        _url("assessment_add"),
        _url("assessment_detail", assessment.pk),
        _url("assessment_trends"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    body = client.get(_url("standard_list")).content.decode()
    assert "არჩევანი და კონტროლი" in body


def test_the_assessment_list_has_a_bounded_number_of_queries(
    client, monitor, service, version, django_assert_max_num_queries
):
    for days in (5, 50, 100):
        _submitted(monitor, service, version, visit=_visit() - datetime.timedelta(days=days))
    client.force_login(monitor)
    with django_assert_max_num_queries(20):
        assert client.get(_url("assessment_list")).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(_url("assessment_trends")).status_code == 200


def test_the_score_form_groups_criteria_by_area(monitor, service, version):
    assessment = writes.assessment_start(
        actor=monitor, service=service, version=version, visit_date=_visit()
    )
    form = AssessmentScoreForm(assessment=Assessment.objects.get(pk=assessment.pk))
    assert [area.order for area, _fields in form.areas] == [1, 2, 3, 4, 5]
    assert (
        sum(len(fields) for _area, fields in form.areas)
        == Criterion.objects.filter(area__version=version).count()
    )
