"""Pages of record linkage: the search for duplicates and the review of the pairs it found."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log, scoped_get, search_log
from zrunva.geo.models import Municipality
from zrunva.integration import linkage
from zrunva.integration.choices import PairStatus
from zrunva.integration.models import LinkageRun, MatchPair
from zrunva.registry.models import Membership

PAGE = 50
COMPARED = [
    ("personal_number", gettext_lazy("Personal number")),
    ("identifier", gettext_lazy("Identifier")),
    ("first_name", gettext_lazy("First name")),
    ("last_name", gettext_lazy("Last name")),
    ("birth_date", gettext_lazy("Birth date")),
    ("sex", gettext_lazy("Sex")),
    ("municipality", gettext_lazy("Municipality")),
    ("address", gettext_lazy("Address")),
]


class RunForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=gettext_lazy("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        empty_label=gettext_lazy("The whole registry"),
    )
    train = forms.BooleanField(
        label=gettext_lazy("Train a new model first (with the decisions made so far)"),
        required=False,
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Are they the same person?"),
        choices=[
            (PairStatus.MATCH, gettext_lazy("Yes, the same person")),
            (PairStatus.NOT_MATCH, gettext_lazy("No, two people")),
            (PairStatus.UNSURE, gettext_lazy("Unsure: ask someone else")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=500)


class StatusFilter(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Undecided"))] + list(PairStatus.choices),
    )


def _runs(user):
    qs = LinkageRun.objects.select_related("municipality", "started_by", "linkage_model")
    return permissions.scoped(qs, user).order_by("-pk")


@staff_view(permissions.LINKAGE_REVIEW)
def pair_list(request):
    user = request.user
    runs_allowed = permissions.has_perm(user, permissions.LINKAGE_RUN)
    form = RunForm(request.POST or None) if runs_allowed else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            run = linkage.linkage_start(
                actor=user,
                municipality=form.cleaned_data["municipality"],
                train=form.cleaned_data["train"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The search for duplicates has started."))
            return redirect("integration:linkage_run", pk=run.pk)
    filters = StatusFilter(request.GET or None)
    status = filters.cleaned_data["status"] if filters.is_valid() else ""
    qs = linkage.pair_list(actor=user, status=status)
    if not status:
        qs = qs.filter(status__in=[PairStatus.AUTO, PairStatus.REVIEW, PairStatus.UNSURE])
    page = paginate(qs, number=request.GET.get("page"), size=PAGE)
    if page.items:
        search_log(actor=user, model=MatchPair, terms={"status": status}, shown=len(page.items))
    return render(
        request,
        "integration/pair_list.html",
        {"form": form, "filters": filters, "page": page, "runs": _runs(user)[:5]},
    )


@staff_view(permissions.LINKAGE_REVIEW)
def linkage_run(request, pk: int):
    run = scoped_get(_runs(request.user), actor=request.user, pk=pk)
    url = reverse("integration:linkage_run", args=[run.pk])
    if is_htmx(request):
        response = render(request, "jobs/progress.html", {"job": run, "url": url})
        if not run.is_active:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "integration/linkage_run.html", {"run": run, "url": url})


def _side(person) -> dict:
    membership = (
        Membership.objects.filter(person=person, end_date__isnull=True)
        .select_related("household")
        .first()
    )
    return {
        "person": person,
        "personal_number": person.personal_number or "—",
        "identifier": person.identifier,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": person.birth_date,
        "sex": person.get_sex_display(),
        "municipality": person.municipality or "—",
        "address": membership.household.address if membership else "—",
    }


# The model's comparisons (matching.settings) as the page names them.
COMPARISONS = {
    "prior": gettext_lazy("Before comparing (how rare a match is)"),
    "personal_number": gettext_lazy("Personal number"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "birth_date": gettext_lazy("Birth date"),
    "sex": gettext_lazy("Sex"),
    "place": gettext_lazy("Municipality and settlement"),
}


# The levels' labels as Splink writes them (matching.settings), in the page's words: the column
# compared first, then what was found of it.
COLUMNS = {
    "first_key": gettext_lazy("the name romanised"),
    "last_key": gettext_lazy("the name romanised"),
    "first_phonetic": gettext_lazy("the name's sound"),
    "last_phonetic": gettext_lazy("the name's sound"),
    "personal_number": gettext_lazy("the personal number"),
    "birth_date": gettext_lazy("the birth date"),
    "sex": gettext_lazy("the sex"),
    "place": gettext_lazy("the municipality and settlement"),
    "municipality": gettext_lazy("the municipality"),
}
LEVELS = [
    (re.compile(r"^Starting match weight"), gettext_lazy("Starting weight")),
    (re.compile(r"^(\w+) is NULL$"), gettext_lazy("Missing on one side")),
    (re.compile(r"^Exact match on (\w+)$"), gettext_lazy("The same: %(column)s")),
    (re.compile(r"^Term freq adjustment on (\w+)$"), gettext_lazy("How common: %(column)s")),
    (re.compile(r"^Jaro-Winkler distance of (\w+) "), gettext_lazy("Nearly the same: %(column)s")),
    (
        re.compile(r"^Damerau-Levenshtein distance of (\w+) <= 1$"),
        gettext_lazy("One character apart: %(column)s"),
    ),
    (
        re.compile(r"^Damerau-Levenshtein distance of (\w+) "),
        gettext_lazy("One or two letters apart: %(column)s"),
    ),
    (re.compile(r"^All other comparisons$"), gettext_lazy("Different")),
    (re.compile(r"^Day and month swapped$"), gettext_lazy("Day and month swapped")),
    (
        re.compile(r"^Same day and month, a year typo$"),
        gettext_lazy("Same day and month, a year typo"),
    ),
    (re.compile(r"^Same day and month$"), gettext_lazy("Same day and month")),
    (
        re.compile(r"^Same year and month, another day$"),
        gettext_lazy("Same year and month, another day"),
    ),
]


def _level(label: str) -> str:
    for pattern, text in LEVELS:
        found = pattern.match(label or "")
        if found:
            column = found.group(1) if found.groups() else ""
            return str(text) % {"column": COLUMNS.get(column, column)} if column else str(text)
    return label


def _comparison(name: str) -> str:
    if name.startswith("tf_"):
        field = COMPARISONS.get(name[3:], name[3:])
        return _("%(field)s: how common the value is") % {"field": field}
    return str(COMPARISONS.get(name, name))


def _bars(pair: MatchPair) -> list[dict]:
    """The waterfall as bars: each step's log2 weight, scaled to the largest one."""
    steps = pair.waterfall or []
    widest = max((abs(s["log2_weight"] or 0) for s in steps), default=1) or 1
    return [
        {
            **s,
            "name": _comparison(s["comparison"]),
            "level": _level(s["label"]),
            "width": round(100 * abs(s["log2_weight"] or 0) / widest),
            "against": (s["log2_weight"] or 0) < 0,
        }
        for s in steps
    ]


@staff_view(permissions.LINKAGE_REVIEW)
def pair_detail(request, pk: int):
    pair = linkage.pair_get(actor=request.user, pk=pk)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            linkage.pair_decide(
                actor=request.user,
                pair=pair,
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The decision is recorded."))
            return redirect("integration:pair_detail", pk=pair.pk)
    for person in (pair.left, pair.right):
        access_log(actor=request.user, instance=person, purpose="duplicate review")
    left, right = _side(pair.left), _side(pair.right)
    rows = [(label, left[key], right[key], left[key] == right[key]) for key, label in COMPARED]
    return render(
        request,
        "integration/pair_detail.html",
        {
            "pair": pair,
            "rows": rows,
            "bars": _bars(pair),
            "form": form,
            "undecided": pair.status in (PairStatus.AUTO, PairStatus.REVIEW, PairStatus.UNSURE),
            "may_merge": pair.status == PairStatus.MATCH
            and permissions.has_perm(request.user, permissions.RECORDS_MERGE),
        },
    )
