"""Eligibility screens: one household explained, and runs over the registry with their progress
and what they changed."""

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core import charts, numbers
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import fragment_or_page, is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import scoped_get, search_log
from zrunva.programmes import eligibility, runs, selectors, sentences
from zrunva.programmes.forms_eligibility import ChangeFilterForm, ExplainForm, RunStartForm
from zrunva.programmes.models import DecisionChange, Programme
from zrunva.registry import selectors as registry


def _visible_results(user, results):
    """Rules that read special-category (health) data are shown only to roles that may see it."""
    if permissions.sees_health(user):
        return results, 0
    shown = [r for r in results if not eligibility.reads_health(r.compiled)]
    return shown, len({r.compiled.code for r in results}) - len({r.compiled.code for r in shown})


def _by_programme(run) -> list[dict]:
    """The run's totals per programme, with the programme's name."""
    rows = run.summary.get("programmes", [])
    names = {
        p.id: p.name for p in Programme.objects.filter(id__in=[r["programme_id"] for r in rows])
    }
    # Amounts are exact text (older runs stored numbers).
    return [
        {**r, "name": names.get(r["programme_id"], r["code"]), "amount": Decimal(str(r["amount"]))}
        for r in rows
    ]


def _summary(groups) -> str:
    """One paragraph before the detail: each programme's decision (each member's, for a
    programme that pays a person) with the conditions that made it, in plain sentences."""
    parts = []
    for group in groups:
        for person, result in group.results:
            name = group.compiled.programme.name
            if person is not None:
                name = f"{name} ({person})"
            statements = sentences.facts(result) if result.criteria is not None else None
            parts.append(
                sentences.summary(
                    programme=name,
                    status=result.status,
                    statements=statements,
                    amount=result.amount,
                )
            )
    return " ".join(parts)


@staff_view(permissions.REGISTRY_VIEW)
def household(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="eligibility")
    form = ExplainForm(request.GET or None, initial={"on": timezone.localdate()})
    on = form.cleaned_data["on"] if form.is_valid() else timezone.localdate()
    results, error = [], None
    try:
        results = eligibility.household_explanation(household=household, on=on)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    results, hidden = _visible_results(request.user, results)
    members = {m.person_id: m.person for m in household.current_members}
    groups = eligibility.group_results(results, members)
    return render(
        request,
        "programmes/eligibility_household.html",
        {
            "household": household,
            "form": form,
            "on": on,
            "groups": groups,
            "summary": _summary(groups),
            "hidden": hidden,
            "error": error,
        },
    )


@staff_view(permissions.REGISTRY_VIEW)
@require_http_methods(["GET", "POST"])
def run_list(request):
    user = request.user
    can_start = permissions.has_perm(user, permissions.ELIGIBILITY_RUN)
    form = RunStartForm(request.POST or None, user=user) if can_start else None
    if request.method == "POST":
        permissions.require(user, permissions.ELIGIBILITY_RUN)
        if form.is_valid():
            try:
                run = runs.run_start(
                    actor=user,
                    on=form.cleaned_data["on"],
                    municipality=form.cleaned_data["municipality"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("The run is queued; this page follows its progress."))
                return redirect("eligibility:run_detail", pk=run.pk)
    page = paginate(
        runs.run_list(actor=user), number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE
    )
    return render(request, "programmes/run_list.html", {"form": form, "page": page})


CHANGE_COLUMNS = [
    Column(_lazy("Programme"), lambda c: c.programme.name, 30),
    Column(_lazy("Household"), lambda c: c.household_id, 10),
    Column(_lazy("Personal number"), lambda c: c.person.personal_number if c.person else "", 14),
    Column(_lazy("Person"), lambda c: str(c.person) if c.person else ""),
    Column(_lazy("Decision before"), lambda c: c.get_old_status_display() if c.old_status else ""),
    Column(_lazy("Amount before, GEL"), lambda c: c.old_amount, 12),
    Column(_lazy("Decision now"), lambda c: c.get_new_status_display()),
    Column(_lazy("Amount now, GEL"), lambda c: c.new_amount, 12),
]


@staff_view(permissions.REGISTRY_VIEW)
def run_detail(request, pk: int):
    run = scoped_get(runs.run_list(actor=request.user), actor=request.user, pk=pk)
    if is_htmx(request):
        url = reverse("eligibility:run_detail", args=[run.pk])
        response = render(request, "jobs/progress.html", {"job": run, "url": url})
        if not run.is_active:
            response["HX-Refresh"] = "true"  # finished: reload to show the results
        return response
    form = ChangeFilterForm(request.GET or None)
    kind = form.cleaned_data["kind"] if form.is_valid() else ""
    if fmt := export_format(request):  # the changes as a file; the download is audited
        return export(
            request,
            qs=runs.run_changes(actor=request.user, run=run, kind=kind),
            columns=CHANGE_COLUMNS,
            name=f"run-{run.pk}-changes",
            title=_("Changes"),
            audit=lambda n: search_log(
                actor=request.user,
                model=DecisionChange,
                terms={"run": run.pk, "kind": kind, "export": fmt},
                shown=n,
            ),
        )
    changes = paginate(
        runs.run_changes(actor=request.user, run=run, kind=kind),
        number=request.GET.get("page"),
        size=settings.REGISTRY_PAGE_SIZE,
    )
    # The list names households and people: audited as a search, like the registry's lists.
    search_log(
        actor=request.user,
        model=DecisionChange,
        terms={"run": run.pk, "kind": kind, "page": changes.number},
        shown=len(changes.items),
    )
    programmes = _by_programme(run)
    return render(
        request,
        "programmes/run_detail.html",
        {
            "run": run,
            "form": form,
            "page": changes,
            "programmes": programmes,
            "chart": charts.bars(
                (r["name"], r["amount"], numbers.money(r["amount"])) for r in programmes
            ),
            # Losses of enrolled beneficiaries are confirmed on the applications' side (an app
            # above this one): linked by URL name only, for the roles that process applications.
            "can_confirm_losses": permissions.has_perm(
                request.user, permissions.APPLICATIONS_PROCESS
            ),
            "can_enrol_in_bulk": permissions.has_perm(request.user, permissions.ENROLMENT_BULK),
        },
    )


# -- Panels on a person's and a household's pages (registered in apps.py) ---------------------


def _decisions_panel(request, *, record, decisions, household_id, back):
    context = {
        "record": record,
        "decisions": list(decisions),
        "month": timezone.localdate().replace(day=1),
        # The household's eligibility page explains today's decisions rule by rule.
        "household_id": household_id,
        # An application's page is the applications app's (above this one): linked by URL name,
        # for those who process applications.
        "can_open_application": permissions.has_perm(
            request.user, permissions.APPLICATIONS_PROCESS
        ),
        "back": back,
    }
    return fragment_or_page(
        request, "programmes/_decisions.html", "programmes/decisions.html", context
    )


@staff_view(permissions.REGISTRY_VIEW)
def person_decisions(request, pk: int):
    """The decisions in force about a person and their household: a fragment for their page
    (htmx), or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="decisions")
    household_id = next(
        (m.household_id for m in person.memberships.all() if m.end_date is None), None
    )
    return _decisions_panel(
        request,
        record=person,
        decisions=selectors.person_decisions(
            actor=request.user,
            person=person,
            household_id=household_id,
            month=timezone.localdate().replace(day=1),
        ),
        household_id=household_id,
        back=reverse("registry:person_detail", args=[person.pk]),
    )


@staff_view(permissions.REGISTRY_VIEW)
def household_decisions(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="decisions")
    return _decisions_panel(
        request,
        record=household,
        decisions=selectors.household_decisions(
            actor=request.user, household=household, month=timezone.localdate().replace(day=1)
        ),
        household_id=household.pk,
        back=reverse("registry:household_detail", args=[household.pk]),
    )
