"""The back office: each office's queue of applications, one application, and its next step."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.applications import selectors, services
from zrunva.applications.choices import BatchStatus, Channel, Status
from zrunva.applications.documents import served_as
from zrunva.applications.forms import (
    MEMBER_ERROR,
    AssignForm,
    DeclaredMemberForm,
    DocumentForm,
    EnrolmentEndForm,
    EnrolmentFilterForm,
    IntakeForm,
    IntakeMemberFormSet,
    LossConfirmForm,
    QueueFilterForm,
    TransitionForm,
    WorkflowForm,
    declared_person,
)
from zrunva.applications.letters import decision_letter
from zrunva.applications.models import Application, Enrolment, Workflow
from zrunva.core import charts, extensions, numbers
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import add_service_errors, form_step, formset_errors
from zrunva.core.htmx import fragment_or_page, is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log, scoped_get, search_log
from zrunva.geo.models import Municipality
from zrunva.programmes import runs
from zrunva.programmes.models import DecisionChange, Programme
from zrunva.programmes.selectors import programme_list
from zrunva.programmes.services import can_define
from zrunva.registry import selectors as registry
from zrunva.registry.forms import HouseholdForm, PersonForm

QUEUE_COLUMNS = [
    Column(_lazy("Application number"), lambda a: a.number),
    Column(_lazy("Programme"), lambda a: a.programme.name, 30),
    Column(_lazy("Personal number"), lambda a: a.personal_number, 14),
    Column(_lazy("First name"), lambda a: a.first_name),
    Column(_lazy("Last name"), lambda a: a.last_name),
    Column(_lazy("Municipality"), lambda a: a.municipality.name),
    Column(_lazy("Status"), lambda a: a.get_status_display(), 24),
    Column(_lazy("Channel"), lambda a: a.get_channel_display()),
    Column(_lazy("Submitted"), lambda a: a.submitted_at),
    Column(_lazy("Next stage due"), lambda a: a.due_date),
    Column(
        _lazy("Assigned to"),
        lambda a: (
            (a.assigned_to.get_full_name() or a.assigned_to.username) if a.assigned_to else ""
        ),
    ),
]


@staff_view(permissions.APPLICATIONS_PROCESS)
def queue(request):
    form = QueueFilterForm(request.GET or None, actor=request.user)
    data = (
        form.cleaned_data
        if form.is_valid()
        else {"status": "", "overdue": False, "duplicates": False}
    )
    municipality = data.get("municipality")
    qs = selectors.application_queue(
        actor=request.user,
        status=data["status"],
        overdue=data["overdue"],
        duplicates=data["duplicates"],
        assigned=data.get("assigned", ""),
        municipality_id=municipality.pk if municipality else None,
    )
    terms = {
        "status": data["status"],
        "overdue": data["overdue"] or None,
        "duplicates": data["duplicates"] or None,
        "assigned": data.get("assigned") or None,
        "municipality": municipality.code if municipality else None,
    }
    if fmt := export_format(request):  # the same rows as a file; the download is audited
        return export(
            request,
            qs=qs.select_related("programme", "municipality", "assigned_to"),
            columns=QUEUE_COLUMNS,
            name="applications",
            title=_("Applications"),
            audit=lambda n: search_log(
                actor=request.user, model=Application, terms=terms | {"export": fmt}, shown=n
            ),
        )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(actor=request.user, model=Application, terms=terms, shown=len(page.items))
    return render(
        request,
        "applications/queue.html",
        {"form": form, "page": page, "today": timezone.localdate()},
    )


def _detail(request, application, form=None, assign_form=None, document_form=None, end_form=None):
    if form is None:
        form = _transition_form(request, application)
    if application.is_open:
        assign_form = assign_form or AssignForm(application=application, actor=request.user)
        document_form = document_form or DocumentForm()
    enrolment = Enrolment.objects.filter(application=application).select_related("ended_by").first()
    if enrolment is not None and enrolment.ends is None:
        end_form = end_form or EnrolmentEndForm(initial={"on": timezone.localdate()})
    registering = form is not None and Status.REGISTERED in dict(form.fields["to"].choices)
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            # The register step's proposals: only when the officer may take that step.
            "proposals": (
                selectors.registration_proposals(actor=request.user, application=application)
                if registering
                else None
            ),
            "duplicate": selectors.duplicate_flag(actor=request.user, application=application),
            "form": form,
            "assign_form": assign_form,
            "document_form": document_form,
            "enrolment": enrolment,
            "end_form": end_form,
            "today": timezone.localdate(),
        },
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def detail(request, pk: int):
    return _detail(request, selectors.application_get(actor=request.user, pk=pk))


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_POST
def assign(request, pk: int):
    application = selectors.application_get(actor=request.user, pk=pk)
    form = AssignForm(request.POST, application=application, actor=request.user)

    def assign_to(data):
        return services.application_assign(
            actor=request.user, application=application, to=data["assigned_to"]
        )

    if form_step(request, form, assign_to, _("The assignment is recorded.")):
        return redirect("applications:detail", pk=application.pk)
    return _detail(request, application, assign_form=form)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_POST
def document_upload(request, pk: int):
    application = selectors.application_get(actor=request.user, pk=pk)
    form = DocumentForm(request.POST, request.FILES)

    def add(data):
        return services.document_add(
            actor=request.user, application=application, upload=data["file"]
        )

    if form_step(request, form, add, _("The document is added.")):
        return redirect("applications:detail", pk=application.pk)
    return _detail(request, application, document_form=form)


@staff_view(permissions.APPLICATIONS_PROCESS)
def enrolments(request):
    """Enrolments in the programmes the officer's office processes, in their area: those made
    through an application and those made in bulk from a run."""
    programmes = programme_list(actor=request.user)
    form = EnrolmentFilterForm(
        request.GET or None, programmes=programmes, initial={"state": "open"}
    )
    data = form.cleaned_data if form.is_valid() else {"state": "open"}
    programme, household = data.get("programme"), data.get("household")
    qs = selectors.enrolment_list(
        actor=request.user,
        programme_id=programme.pk if programme else None,
        household_id=household,
        state=data.get("state", "open") if request.GET else "open",
    )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Enrolment,
        terms={
            "programme": programme.code if programme else None,
            "household": household,
            "state": data.get("state") or None,
        },
        shown=len(page.items),
    )
    return render(request, "applications/enrolments.html", {"form": form, "page": page})


def _end_step(request, enrolment, form) -> bool:
    """End the enrolment from the officer's form (`services.enrolment_end` checks who): True,
    with the date paid until said, once it is ended; False with the errors on the form."""

    def end(data):
        return services.enrolment_end(
            enrolment=enrolment, on=data["on"], reason=data["reason"], actor=request.user
        )

    def ended(result):
        return _("The enrolment ends: paid until %(date)s.") % {
            "date": formats.date_format(result.ends, "j E Y")
        }

    return form_step(request, form, end, ended)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_http_methods(["GET", "POST"])
def enrolment_detail(request, pk: int):
    """One enrolment: its origin, what it pays this month and the next two (the entitlement
    payroll reads), and ending it (`services.enrolment_end` checks who)."""
    enrolment = selectors.enrolment_get(actor=request.user, pk=pk)
    form = None
    if enrolment.ends is None:
        form = EnrolmentEndForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST" and form is not None and _end_step(request, enrolment, form):
        return redirect("applications:enrolment_detail", pk=enrolment.pk)
    return render(
        request,
        "applications/enrolment_detail.html",
        {
            "enrolment": enrolment,
            "end_form": form,
            "months": selectors.enrolment_months(enrolment, first=timezone.localdate()),
            "panels": extensions.panels("enrolment_panels", request.user, enrolment.pk),
        },
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_POST
def enrolment_end(request, pk: int):
    """End the enrolment of an enrolled application (`services.enrolment_end` checks who)."""
    application = selectors.application_get(actor=request.user, pk=pk)
    enrolment = Enrolment.objects.filter(application=application).first()
    if enrolment is None:
        raise Http404
    form = EnrolmentEndForm(request.POST)
    if _end_step(request, enrolment, form):
        return redirect("applications:detail", pk=application.pk)
    return _detail(request, application, end_form=form)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_http_methods(["GET", "POST"])
def run_losses(request, run_id: int):
    """A finished run's losses that belong to enrolled beneficiaries, for an officer to confirm
    one by one; confirming ends the enrolment (`services.enrolment_end_on_loss` checks who and
    what). The run's page links here: eligibility runs sit below applications."""
    run = scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=run_id)
    if request.method == "POST":
        form = LossConfirmForm(request.POST)
        if not form.is_valid():
            raise Http404
        lost = runs.run_changes(actor=request.user, run=run, kind="lost")
        change = scoped_get(lost, actor=request.user, pk=form.cleaned_data["change"])
        try:
            ended = services.enrolment_end_on_loss(change=change, actor=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("The enrolment ends: paid until %(date)s.")
                % {"date": formats.date_format(ended.ends, "j E Y")},
            )
        return redirect("applications:run_losses", run_id=run.pk)
    losses = list(selectors.enrolled_losses(actor=request.user, run=run))
    enrolments = Enrolment.objects.select_related("application").in_bulk(
        [change.enrolment_id for change in losses]
    )
    for change in losses:
        change.enrolment = enrolments[change.enrolment_id]
    # The list names households and people: audited as a search, like the run's changes.
    search_log(
        actor=request.user,
        model=DecisionChange,
        terms={"run": run.pk, "kind": "enrolled_losses"},
        shown=len(losses),
    )
    return render(request, "applications/run_losses.html", {"run": run, "losses": losses})


@staff_view(permissions.ENROLMENT_BULK)
@require_http_methods(["GET", "POST"])
def run_bulk(request, run_id: int):
    """A finished run's gains in the programmes decided in bulk: one officer asks to enrol
    them, another confirms or turns the request down (`services.bulk_enrolment_*` check who,
    which run and which programme). Counts only: no person is listed."""
    run = scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=run_id)
    if request.method == "POST":
        action, target = request.POST.get("action"), request.POST.get("id", "")
        try:
            if action == "request" and target.isdigit():
                programme = get_object_or_404(Programme, pk=int(target))
                services.bulk_enrolment_request(actor=request.user, run=run, programme=programme)
                messages.success(request, _("Asked: another officer confirms the enrolment."))
            elif action in ("confirm", "cancel") and target.isdigit():
                batch = scoped_get(
                    selectors.bulk_enrolments(actor=request.user, run=run),
                    actor=request.user,
                    pk=int(target),
                )
                if action == "confirm":
                    batch = services.bulk_enrolment_confirm(actor=request.user, batch=batch)
                    messages.success(
                        request,
                        _("%(count)s beneficiaries enrolled, paid from %(date)s.")
                        % {
                            "count": batch.enrolled,
                            "date": formats.date_format(batch.starts, "j E Y"),
                        },
                    )
                else:
                    services.bulk_enrolment_cancel(actor=request.user, batch=batch)
                    messages.success(request, _("The request is cancelled."))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        # A refusal (a role, an area, confirming one's own request) is a 403, audited.
        return redirect("applications:run_bulk", run_id=run.pk)
    batches = list(selectors.bulk_enrolments(actor=request.user, run=run))
    # A programme asked for or enrolled from this run is not offered again.
    taken = {b.programme_id for b in batches if b.status != BatchStatus.CANCELLED}
    programmes = [
        (workflow.programme, services.gained_count(run, workflow.programme))
        for workflow in Workflow.objects.filter(enrols_in_bulk=True).select_related("programme")
    ]
    return render(
        request,
        "applications/run_bulk.html",
        {"run": run, "programmes": programmes, "taken": taken, "batches": batches},
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def document(request, pk: int, document_id: int):
    """A supporting document, to staff who process the application; the read is audited. Sent as
    an attachment with its checked type, never rendered in the page."""
    application = selectors.application_get(actor=request.user, pk=pk)
    found = scoped_get(application.documents.all(), actor=request.user, pk=document_id)
    access_log(actor=request.user, instance=found, purpose="view document")
    filename, content_type = served_as(found)
    response = FileResponse(
        found.file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    # A browser never guesses another type (a PDF that is also an HTML page), and should it
    # ever display the file in place, it runs nothing from it.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@staff_view(permissions.APPLICATIONS_PROCESS)
def letter(request, pk: int):
    application = selectors.application_get(actor=request.user, pk=pk)
    if application.decided_on is None:
        raise Http404
    response = HttpResponse(decision_letter(application), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.number}.pdf"'
    return response


def _transition_form(request, application, data=None) -> TransitionForm | None:
    """The next step's form (on the page: none once the application is closed)."""
    options = services.next_statuses(application, actor=request.user)
    if not options and data is None:
        return None
    assessments = selectors.visit_assessments(application)
    return TransitionForm(data, options=options, assessments=assessments)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_POST
def move(request, pk: int):
    """The next step. Granting, enrolling and withdrawing first show what they will do
    (`services.step_preview`), and are taken once the officer confirms (`confirm` posted from
    that page)."""
    application = selectors.application_get(actor=request.user, pk=pk)
    form = _transition_form(request, application, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        household = None
        try:
            if data["to"] in services.CONFIRMED_STEPS and request.POST.get("confirm") != "yes":
                preview = services.step_preview(
                    actor=request.user, application=application, to=data["to"], note=data["note"]
                )
                return render(
                    request,
                    "applications/confirm_step.html",
                    {"application": application, "form": form, "preview": preview},
                )
            if data["household"]:
                household = registry.household_get(
                    actor=request.user, pk=data["household"], purpose="register application"
                )
            services.application_transition(
                actor=request.user,
                application=application,
                to=data["to"],
                note=data["note"],
                household=household,
                visit_date=data.get("visit_date"),
                assessment=data.get("assessment"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except Http404:
            form.add_error("household", _("No household with this number in your area."))
        else:
            messages.success(
                request,
                _("The application is now: %(status)s.") % {"status": Status(data["to"]).label},
            )
            return redirect("applications:detail", pk=application.pk)
    return _detail(request, application, form)


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_http_methods(["GET", "POST"])
def household_register(request, pk: int):
    """The register step for an applicant the registry does not hold: the household-create
    forms, filled in from the application (the applicant as head, the declared members, the
    municipality), for the officer to confirm and complete; registering it registers the
    application (`services.application_household_register`)."""
    application = selectors.application_get(actor=request.user, pk=pk)
    if application.household_id is not None or Status.REGISTERED not in services.next_statuses(
        application, actor=request.user
    ):
        raise Http404
    data = request.POST or None
    household_form = HouseholdForm(
        data, actor=request.user, prefix="hh", initial={"municipality": application.municipality_id}
    )
    head_form = PersonForm(
        data,
        actor=request.user,
        prefix="head",
        initial=declared_person(
            {
                "personal_number": application.personal_number,
                "first_name": application.first_name,
                "last_name": application.last_name,
                "birth_date": application.birth_date,
            }
        ),
    )
    member_forms = [
        DeclaredMemberForm(
            data, actor=request.user, prefix=f"member-{n}", initial=declared_person(declared)
        )
        for n, declared in enumerate(application.members or [])
    ]
    # Each form checked, whatever the first says: every error shows in one pass.
    valid = [f.is_valid() for f in (household_form, head_form, *member_forms)]
    if request.method == "POST" and all(valid):
        try:
            services.application_household_register(
                actor=request.user,
                application=application,
                household=household_form.cleaned_data,
                head=head_form.service_data(),
                members=[
                    f.service_data() | {"relationship": f.cleaned_data["relationship"]}
                    for f in member_forms
                ],
            )
        except ValidationError as exc:
            about_head = set(getattr(exc, "error_dict", {})) & set(head_form.fields)
            add_service_errors(head_form if about_head else household_form, exc)
        else:
            messages.success(
                request,
                _("The household is registered, and the application with it."),
            )
            return redirect("applications:detail", pk=application.pk)
    return render(
        request,
        "applications/household_register.html",
        {
            "application": application,
            "household_form": household_form,
            "head_form": head_form,
            "member_forms": member_forms,
        },
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
@require_http_methods(["GET", "POST"])
def intake(request):
    form = IntakeForm(request.POST or None, request.FILES or None, actor=request.user)
    members = IntakeMemberFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid() and members.is_valid():
        data = form.cleaned_data
        try:
            application = services.application_submit(
                actor=request.user,
                channel=Channel.WALK_IN,
                programme=data["programme"],
                municipality=data["municipality"],
                applicant=form.applicant(),
                members=members.members(),
                documents=data["documents"],
                consent=data["consent"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Application %(number)s is submitted; give its number to the applicant.")
                % {"number": application.number},
            )
            return redirect("applications:detail", pk=application.pk)
    context = {
        "form": form,
        "members": members,
        "extra_errors": formset_errors(members, MEMBER_ERROR) if members.is_bound else [],
    }
    return render(request, "applications/intake.html", context)


@staff_view(permissions.DELAYS_VIEW)
def delays(request):
    rows = selectors.delay_indicators(actor=request.user).to_dicts()
    programmes = {p.code: p.name for p in Programme.objects.all()}
    places = {m.code: m.name for m in Municipality.objects.all()}
    for row in rows:
        row["programme_name"] = programmes.get(row["programme"], row["programme"])
        row["municipality_name"] = places.get(row["municipality"], row["municipality"])
    chart = charts.bars(
        (
            f"{r['month']} · {r['programme_name']} · {r['municipality_name']}",
            r["decision_median"],
            # 1.5 days is plural: the singular is for exactly one.
            ngettext("%(days)s day", "%(days)s days", 1 if r["decision_median"] == 1 else 2)
            % {"days": numbers.figure(r["decision_median"])},
        )
        for r in rows
        if r["decision_median"] is not None
    )
    return render(request, "applications/delays.html", {"rows": rows, "chart": chart})


@staff_view(permissions.PROGRAMMES_VIEW)
def workflows(request):
    """Each programme's stages and deadlines; those who define a programme change its own."""
    rows = []
    for programme in programme_list(actor=request.user):
        workflow = selectors.workflow_of(programme)
        stages = [(Status(s).label, workflow.deadline(s)) for s in workflow.stages[1:]]
        editable = can_define(request.user, programme.municipality_id)
        rows.append((programme, workflow, stages, editable))
    return render(request, "applications/workflows.html", {"rows": rows})


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_http_methods(["GET", "POST"])
def workflow_edit(request, code: str):
    programme = scoped_get(programme_list(actor=request.user), actor=request.user, code=code)
    workflow = selectors.workflow_of(programme)
    initial = {
        "home_visit": workflow.home_visit,
        "source": workflow.source if workflow.pk else "",
        "illustrative": workflow.illustrative,
    } | {f"deadline_{stage}": workflow.deadline(stage) for stage in workflow.stages_all}
    form = WorkflowForm(request.POST or None, initial=initial)

    def save(data):
        return services.workflow_save(
            actor=request.user,
            programme=programme,
            home_visit=data["home_visit"],
            deadlines=form.deadlines(),
            source=data["source"],
            illustrative=data["illustrative"],
        )

    if request.method == "POST" and form_step(request, form, save, _("The workflow is saved.")):
        return redirect("applications:workflows")
    return render(
        request, "applications/workflow_form.html", {"form": form, "programme": programme}
    )


# -- Panels on a person's and a household's pages (registered in apps.py) ---------------------

# Rows a panel shows on the record's page; its own page pages through the rest.
PANEL_SHOWN = 20


def _panel(request, *, record, back: str, title: str, fragment: str, rows, **context):
    """A panel: `fragment` for htmx (the first rows, and a link to the panel's own page when
    there are more), or a page of its own paging through them all."""
    whole = not is_htmx(request)
    page = paginate(rows, number=request.GET.get("page") if whole else 1, size=PANEL_SHOWN)
    context |= {
        "record": record,
        "back": back,
        "title": title,
        "fragment": fragment,
        "page": page,
        "whole": whole,
        "url": request.path,
        "today": timezone.localdate(),
    }
    return fragment_or_page(request, fragment, "applications/panel.html", context)


@staff_view(permissions.APPLICATIONS_PROCESS)
def person_applications(request, pk: int):
    """The applications a person made or that were decided for them (in the actor's
    processing scope): a fragment for their page, or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="applications")
    return _panel(
        request,
        record=person,
        back=reverse("registry:person_detail", args=[person.pk]),
        title=_("Applications"),
        fragment="applications/_applications_panel.html",
        rows=selectors.person_applications(actor=request.user, person=person),
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def household_applications(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="applications")
    return _panel(
        request,
        record=household,
        back=reverse("registry:household_detail", args=[household.pk]),
        title=_("Applications"),
        fragment="applications/_applications_panel.html",
        rows=selectors.household_applications(actor=request.user, household=household),
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def person_enrolments(request, pk: int):
    """The person's enrolments, and their household's (in the actor's processing scope)."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="enrolments")
    return _panel(
        request,
        record=person,
        back=reverse("registry:person_detail", args=[person.pk]),
        title=_("Enrolments"),
        fragment="applications/_enrolments_panel.html",
        rows=selectors.person_enrolments(actor=request.user, person=person),
        household_id=None,
    )


@staff_view(permissions.APPLICATIONS_PROCESS)
def household_enrolments(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="enrolments")
    return _panel(
        request,
        record=household,
        back=reverse("registry:household_detail", args=[household.pk]),
        title=_("Enrolments"),
        fragment="applications/_enrolments_panel.html",
        rows=selectors.household_enrolments(actor=request.user, household=household),
        # The enrolments list filters by household: all of them there, ended ones too.
        household_id=household.pk,
    )
