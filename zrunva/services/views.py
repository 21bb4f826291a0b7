"""The catalogue's staff pages: providers and services as reviewed records (`core.records`)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.accounts.decorators import staff_view
from zrunva.applications.forms import DocumentForm
from zrunva.core import hours
from zrunva.core.charts import bars
from zrunva.core.forms import form_step
from zrunva.core.pagination import paginate
from zrunva.core.records import Column, Records
from zrunva.core.trail import access_log, scoped_get, search_log
from zrunva.services import selectors
from zrunva.services import services as writes
from zrunva.services.filters import ProviderFilter, ServiceFilter
from zrunva.services.forms import (
    ActionDoneForm,
    AssessmentScoreForm,
    AssessmentStartForm,
    ImprovementActionForm,
    ProviderForm,
    ServiceForm,
    TrendsForm,
)
from zrunva.services.models import Assessment, Provider, Service


def _provider_editable(user, provider) -> bool:
    # A new provider (with its organisation and first user) is an administrator's to create.
    if provider is None or provider.pk is None:
        return user.role == Role.ADMIN and permissions.has_perm(user, permissions.SERVICES_EDIT)
    return permissions.edits_provider(user, provider)


def _service_editable(user, service) -> bool:
    if service is None:
        return selectors.editable_providers(actor=user).exists()
    return permissions.edits_provider(user, service.provider)


def _service_lists(service) -> list[tuple]:
    """The service's list fields as people read them."""
    return [
        (_("Opening hours"), "; ".join(hours.readable(service.opening_hours)) or "—"),
        (_("Languages"), ", ".join(service.language_names) or "—"),
    ]


def _service_approvable(user, service) -> bool:
    return service.provider_id is not None and permissions.approves_provider(user, service.provider)


providers = Records(
    name="provider",
    namespace="services",
    model=Provider,
    title=_("Service providers"),
    add_label=_("Add a provider"),
    selector=selectors.provider_list,
    filterset=ProviderFilter,
    columns=[
        Column(_("Name"), lambda p: p.name, link=True),
        Column(_("Kind"), lambda p: p.get_kind_display()),
        Column(_("Identification code"), lambda p: p.identification_code),
        Column(_("Municipality"), lambda p: p.municipality.name),
    ],
    fields=ProviderForm.Meta.fields,
    form=ProviderForm,
    can_view=permissions.allows(permissions.SERVICES_VIEW),
    can_edit=_provider_editable,
    can_approve=permissions.approves_provider,
    form_kwargs=lambda user: {"actor": user},
)

services = Records(
    name="service",
    namespace="services",
    model=Service,
    title=_("Services"),
    add_label=_("Add a service"),
    selector=selectors.service_list,
    filterset=ServiceFilter,
    columns=[
        Column(_("Service"), lambda s: s.name, link=True),
        Column(_("Type"), lambda s: s.service_type.name),
        Column(_("Provider"), lambda s: s.provider.name),
        Column(_("Municipality"), lambda s: s.municipality.name),
        Column(
            _("Places free"),
            lambda s: None if s.capacity is None else s.capacity - s.admitted,
            numeric=True,
        ),
    ],
    # The form's fields; the two lists among them are read by `_service_lists`.
    fields=[f for f in ServiceForm.Meta.fields if f not in ("opening_hours", "languages")],
    more_rows=_service_lists,
    form=ServiceForm,
    can_view=permissions.allows(permissions.SERVICES_VIEW),
    can_edit=_service_editable,
    can_approve=_service_approvable,
    form_kwargs=lambda user: {"actor": user},
)


# -- Service standards: assessments and improvement plans (one small view per step) ------------

assess_view = staff_view(permissions.SERVICES_ASSESS)


@assess_view
def standard_list(request):
    """The published standards' checklists, each with its sources."""
    versions = [
        (version, selectors.version_checklist(version))
        for version in selectors.published_versions().prefetch_related(
            "standard__service_types", "standard__target_groups"
        )
    ]
    return render(request, "services/standards.html", {"versions": versions})


@assess_view
def assessment_list(request):
    """Assessments of the services the user may assess, and the improvement actions overdue."""
    assessments = selectors.assessment_list(actor=request.user).order_by("-visit_date", "-pk")
    page = paginate(assessments, number=request.GET.get("page"), size=50)
    search_log(
        actor=request.user, model=Assessment, terms={"page": page.number}, shown=len(page.items)
    )
    overdue = selectors.overdue_actions(actor=request.user)[:50]
    return render(
        request,
        "services/assessment_list.html",
        {"page": page, "overdue": overdue, "today": timezone.localdate()},
    )


@assess_view
def assessment_add(request):
    form = AssessmentStartForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        started = {}

        def start(data):
            started["assessment"] = writes.assessment_start(
                actor=request.user,
                service=data["service"],
                version=data["version"],
                visit_date=data["visit_date"],
            )

        if form_step(request, form, start, _("The assessment is started: score each criterion.")):
            return redirect("services:assessment_edit", pk=started["assessment"].pk)
    return render(request, "services/assessment_add.html", {"form": form})


def _detail(request, assessment, *, action_form=None, document_form=None, done_forms=None):
    access_log(actor=request.user, instance=assessment)
    areas = selectors.version_checklist(assessment.version)
    rows = {s.criterion_id: s for s in assessment.scores.all()}
    mine = assessment.is_draft and (
        assessment.assessor_id == request.user.pk or request.user.role == Role.ADMIN
    )
    actions = list(assessment.actions.all())
    for action in actions:
        # Each open action's own form, its ids its own; the one just refused keeps its errors.
        action.done_form = (done_forms or {}).get(action.pk) or ActionDoneForm(
            initial={"done_on": timezone.localdate()}, auto_id=f"id_action{action.pk}_%s"
        )
    return render(
        request,
        "services/assessment_detail.html",
        {
            "assessment": assessment,
            "results": selectors.results(assessment),
            "checklist": [
                (area, [(c, rows.get(c.pk)) for c in area.criteria.all()]) for area in areas
            ],
            "documents": assessment.documents.all(),
            "actions": actions,
            "plan_closed": bool(actions) and all(not a.is_open for a in actions),
            "can_change": mine,
            "action_form": action_form or ImprovementActionForm(),
            "document_form": document_form or DocumentForm(),
            "today": timezone.localdate(),
        },
    )


@assess_view
def assessment_detail(request, pk: int):
    return _detail(request, selectors.assessment_get(actor=request.user, pk=pk))


@assess_view
def assessment_edit(request, pk: int):
    """The scoring form of a draft: a score and evidence per criterion, area by area."""
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    form = AssessmentScoreForm(request.POST or None, assessment=assessment)
    if request.method == "POST":

        def save(data):
            return writes.assessment_score(
                actor=request.user,
                assessment=assessment,
                visit_date=data["visit_date"],
                scores=form.scores(),
            )

        if form_step(request, form, save, _("The scores are saved.")):
            if "submit" in request.POST:
                return assessment_submit(request, pk)
            return redirect("services:assessment_detail", pk=assessment.pk)
    elif not assessment.is_draft:
        messages.info(request, _("This assessment is submitted: it can no longer be changed."))
        return redirect("services:assessment_detail", pk=assessment.pk)
    return render(
        request, "services/assessment_form.html", {"assessment": assessment, "form": form}
    )


@assess_view
@require_POST
def assessment_submit(request, pk: int):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    try:
        writes.assessment_submit(actor=request.user, assessment=assessment)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The assessment is submitted."))
    return redirect("services:assessment_detail", pk=assessment.pk)


@assess_view
@require_POST
def assessment_document_upload(request, pk: int):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    form = DocumentForm(request.POST, request.FILES)

    def add(data):
        return writes.assessment_document_add(
            actor=request.user, assessment=assessment, upload=data["file"]
        )

    if form_step(request, form, add, _("The document is added.")):
        return redirect("services:assessment_detail", pk=assessment.pk)
    return _detail(request, assessment, document_form=form)


@assess_view
def assessment_document(request, pk: int, document_id: int):
    """A document of an assessment, to those who may see the assessment; the read is audited.
    Sent as an attachment with its checked type, never rendered in the page."""
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    found = scoped_get(assessment.documents.all(), actor=request.user, pk=document_id)
    access_log(actor=request.user, instance=found, purpose="view document")
    extension = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}.get(found.kind, "bin")
    response = FileResponse(
        found.file.open("rb"),
        as_attachment=True,
        filename=f"assessment-{assessment.pk}-{found.pk}.{extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@assess_view
@require_POST
def improvement_action_add(request, pk: int):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    form = ImprovementActionForm(request.POST)

    def add(data):
        return writes.improvement_action_add(actor=request.user, assessment=assessment, **data)

    if form_step(request, form, add, _("The action is added to the improvement plan.")):
        return redirect("services:assessment_detail", pk=assessment.pk)
    return _detail(request, assessment, action_form=form)


@assess_view
@require_POST
def improvement_action_done(request, pk: int, action_id: int):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    action = get_object_or_404(assessment.actions.all(), pk=action_id)
    form = ActionDoneForm(request.POST, auto_id=f"id_action{action.pk}_%s")

    def done(data):
        return writes.improvement_action_done(
            actor=request.user, action=action, done_on=data["done_on"], note=data["note"]
        )

    if form_step(request, form, done, _("The action is marked done.")):
        return redirect("services:assessment_detail", pk=assessment.pk)
    return _detail(request, assessment, done_forms={action.pk: form})


@assess_view
def assessment_trends(request):
    """Each service's submitted assessments over time: the total and each area's percentage,
    by provider."""
    form = TrendsForm(request.GET or None, actor=request.user)
    provider = form.cleaned_data.get("provider") if form.is_valid() else None
    found = selectors.trends(actor=request.user, provider=provider)
    shown = [
        {
            "service": service,
            "version": rows[-1][0].version,
            "chart_id": f"trend-total-{service.pk}-{rows[-1][0].version_id}",
            "areas": [a.area for a in rows[-1][1].areas],
            "rows": rows,
            "bars": bars(
                ((date_format(a.visit_date, "j E Y"), r.percent, f"{r.percent}%") for a, r in rows),
                top=100,
            ),
        }
        for service, rows in found
    ]
    return render(request, "services/trends.html", {"form": form, "services": shown})


def urls() -> list:
    return [
        path("standards/", standard_list, name="standard_list"),
        path("assessments/", assessment_list, name="assessment_list"),
        path("assessments/add/", assessment_add, name="assessment_add"),
        path("assessments/trends/", assessment_trends, name="assessment_trends"),
        path("assessments/<int:pk>/", assessment_detail, name="assessment_detail"),
        path("assessments/<int:pk>/edit/", assessment_edit, name="assessment_edit"),
        path("assessments/<int:pk>/submit/", assessment_submit, name="assessment_submit"),
        path(
            "assessments/<int:pk>/documents/",
            assessment_document_upload,
            name="assessment_document_upload",
        ),
        path(
            "assessments/<int:pk>/documents/<int:document_id>/",
            assessment_document,
            name="assessment_document",
        ),
        path("assessments/<int:pk>/actions/", improvement_action_add, name="action_add"),
        path(
            "assessments/<int:pk>/actions/<int:action_id>/done/",
            improvement_action_done,
            name="action_done",
        ),
    ]
