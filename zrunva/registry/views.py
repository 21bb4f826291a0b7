"""Thin views: each reads through a selector or calls one service, and audits what staff open."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.audit.selectors import subject_access_requests_of
from zrunva.core import extensions
from zrunva.core.exports import Column, export, export_format
from zrunva.core.forms import add_service_errors
from zrunva.core.htmx import fragment_or_page
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log, search_log
from zrunva.core.validators import personal_number_validator
from zrunva.registry import forms, selectors, services
from zrunva.registry.models import Household, Person


@staff_view(permissions.REGISTRY_VIEW)
def settlement_options(request):
    """The <option>s of a municipality's settlements, for the settlement select under a
    municipality select (htmx swaps them in when the municipality changes). The select's name
    carries the form's prefix (`hh-municipality`), so any parameter ending in `municipality`
    is read."""
    value = next(
        (v for k, v in request.GET.items() if k == "municipality" or k.endswith("-municipality")),
        "",
    )
    settlements = (
        selectors.settlement_options(actor=request.user, municipality_id=int(value))
        if value.isdigit()
        else []
    )
    return render(request, "registry/_settlement_options.html", {"settlements": settlements})


@staff_view(permissions.REGISTRY_VIEW)
def person_list(request):
    form = forms.PersonSearchForm(request.GET or None)
    page = None
    if form.is_valid() and any(form.cleaned_data.values()):
        data = form.cleaned_data
        municipality = data["municipality"]
        qs = selectors.person_list(
            actor=request.user,
            q=data["q"],
            municipality_id=municipality.pk if municipality else None,
            sex=data["sex"],
        ).prefetch_related("memberships")
        page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
        search_log(
            actor=request.user,
            model=Person,
            terms={
                "q": data["q"],
                "municipality": municipality.pk if municipality else None,
                "sex": data["sex"],
                "page": page.number,
            },
            shown=len(page.items),
        )
    return fragment_or_page(
        request,
        "registry/_person_results.html",
        "registry/person_list.html",
        {"form": form, "page": page},
    )


@staff_view(permissions.REGISTRY_VIEW)
def person_detail(request, pk: int):
    person = selectors.person_get(actor=request.user, pk=pk)
    current = next((m for m in person.memberships.all() if m.end_date is None), None)
    return render(
        request,
        "registry/person_detail.html",
        {
            "person": person,
            "current": current,
            "history": selectors.person_history(actor=request.user, person=person),
            "move_form": forms.MoveForm(),
            "today": timezone.localdate(),  # which representations may still be ended
            "panels": extensions.panels("person_panels", request.user, person.pk),
        },
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request, pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.PersonForm(request.POST or None, instance=person, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.person_update(actor=request.user, person=person, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, "registry/person_form.html", {"form": form, "person": person})


def _household_in_scope(actor, pk: int) -> Household:
    try:
        return selectors.household_get(actor=actor, pk=pk, purpose="move")
    except Http404:
        raise ValidationError(
            {"household_id": _("There is no household with this number in your area.")}
        ) from None


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["POST"])
def person_move(request, pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.MoveForm(request.POST)
    if form.is_valid():
        try:
            target = _household_in_scope(request.user, form.cleaned_data["household_id"])
            services.member_move(
                actor=request.user,
                person=person,
                to_household=target,
                relationship=form.cleaned_data["relationship"],
                on=form.cleaned_data["on"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(person)s moved to %(household)s.") % {"person": person, "household": target},
            )
            return redirect("registry:household_detail", pk=target.pk)
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("registry:person_detail", pk=person.pk)


def _sub_form(request, form, person, template, service, success, context=None):
    if request.method == "POST" and form.is_valid():
        try:
            service(form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect("registry:person_detail", pk=person.pk)
    return render(request, template, {"form": form, "person": person, **(context or {})})


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def income_add(request, pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    return _sub_form(
        request,
        forms.IncomeForm(request.POST or None),
        person,
        "registry/income_form.html",
        lambda data: services.income_add(actor=request.user, person=person, data=data),
        _("The income source is added."),
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def income_edit(request, pk: int, income_pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    income = selectors.income_of(person, income_pk)
    return _sub_form(
        request,
        forms.IncomeForm(request.POST or None, instance=income),
        person,
        "registry/income_form.html",
        lambda data: services.income_update(actor=request.user, income=income, data=data),
        _("The income source is changed."),
        {"income": income},
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def income_end(request, pk: int, income_pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    income = selectors.income_of(person, income_pk)
    return _sub_form(
        request,
        forms.IncomeEndForm(request.POST or None),
        person,
        "registry/income_end.html",
        lambda data: services.income_end(actor=request.user, income=income, on=data["on"]),
        _("The income source is ended."),
        {"income": income},
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def representative_end(request, pk: int, representative_pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")
    link = selectors.representation_of(person, representative_pk)
    return _sub_form(
        request,
        forms.RepresentativeEndForm(request.POST or None),
        person,
        "registry/representative_end.html",
        lambda data: services.representative_end(
            actor=request.user, representative=link, on=data["on"]
        ),
        _("The representation is ended."),
        {"link": link},
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def representative_add(request, pk: int):
    person = selectors.person_get(actor=request.user, pk=pk, purpose="edit")

    def save(data):
        data = dict(data)
        data["representative"] = data.pop("representative_personal_number")
        services.representative_add(actor=request.user, person=person, data=data)

    return _sub_form(
        request,
        forms.RepresentativeForm(request.POST or None, actor=request.user),
        person,
        "registry/representative_form.html",
        save,
        _("The representative is recorded."),
    )


def _head(household) -> str:
    head = next((m for m in household.current_members if m.relationship == "head"), None)
    return str(head.person) if head else ""


HOUSEHOLD_COLUMNS = [
    Column(_lazy("Number"), lambda h: str(h), 12),
    Column(_lazy("Municipality"), lambda h: h.municipality.name),
    Column(_lazy("Settlement"), lambda h: h.settlement.name if h.settlement else ""),
    Column(_lazy("Address"), lambda h: h.address, 30),
    Column(_lazy("Head of household"), _head, 26),
    Column(_lazy("Members"), lambda h: len(h.current_members), 10),
    Column(_lazy("Active"), lambda h: h.is_active, 8),
]


@staff_view(permissions.REGISTRY_VIEW)
def household_list(request):
    """The households in the user's area, filtered; the same as CSV or XLSX (`?format=`)."""
    params = request.GET.copy()
    params.setdefault("active", "1")  # active households unless the filter says otherwise
    form = forms.HouseholdFilterForm(params)
    form.is_valid()
    data = form.cleaned_data
    municipality = data.get("municipality")
    active = {"1": True, "0": False}.get(data.get("active") or "")
    qs = selectors.household_list(
        actor=request.user, municipality_id=municipality.pk if municipality else None, active=active
    ).prefetch_related(selectors.current_members_prefetch())
    terms = {
        "municipality": municipality.pk if municipality else None,
        "active": data.get("active"),
    }
    if fmt := export_format(request):  # the same rows as a file; the download is audited
        return export(
            request,
            qs=qs.select_related("municipality", "settlement"),
            columns=HOUSEHOLD_COLUMNS,
            name="households",
            title=_("Households"),
            audit=lambda n: search_log(
                actor=request.user, model=Household, terms=terms | {"export": fmt}, shown=n
            ),
        )
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Household,
        terms=terms | {"page": page.number},
        shown=len(page.items),
    )
    return render(request, "registry/household_list.html", {"form": form, "page": page})


@staff_view(permissions.REGISTRY_VIEW)
def household_detail(request, pk: int):
    household = selectors.household_get(actor=request.user, pk=pk)
    return render(
        request,
        "registry/household_detail.html",
        {
            "household": household,
            "members": selectors.household_members(household),
            "history": selectors.household_history(actor=request.user, household=household),
            "panels": extensions.panels("household_panels", request.user, household.pk),
        },
    )


def _person_errors(exc: ValidationError, person_form, other_form) -> None:
    """A service's errors about a person's fields go next to them, the rest to the other form."""
    about_person = set(getattr(exc, "error_dict", {})) & set(person_form.fields)
    add_service_errors(person_form if about_person else other_form, exc)


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def household_create(request):
    household_form = forms.HouseholdForm(request.POST or None, actor=request.user, prefix="hh")
    head_form = forms.PersonForm(request.POST or None, actor=request.user, prefix="head")
    if request.method == "POST" and household_form.is_valid() and head_form.is_valid():
        try:
            household = services.household_register(
                actor=request.user,
                household=household_form.cleaned_data,
                head=head_form.service_data(),
            )
        except ValidationError as exc:
            _person_errors(exc, head_form, household_form)
        else:
            messages.success(request, _("%(household)s is registered.") % {"household": household})
            return redirect("registry:household_detail", pk=household.pk)
    return render(
        request,
        "registry/household_create.html",
        {"household_form": household_form, "head_form": head_form},
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def household_edit(request, pk: int):
    household = selectors.household_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.HouseholdForm(request.POST or None, instance=household, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(
                actor=request.user, household=household, data=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "household": household})


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def member_add(request, pk: int):
    household = selectors.household_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.MemberForm(request.POST or None)
    # The new-person form is only bound when no registered person's number is given.
    new_person = request.method == "POST" and not request.POST.get("existing_personal_number")
    person_form = forms.PersonForm(
        request.POST if new_person else None, actor=request.user, prefix="new"
    )
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["existing_personal_number"]
        # Looked up before the service's transaction, so the audited lookup stays on record.
        person = (
            selectors.person_by_number(
                actor=request.user, personal_number=number, purpose="member_add"
            )
            if number
            else None
        )
        if number and person is None:
            form.add_error("existing_personal_number", forms.NOT_FOUND)
        elif number or person_form.is_valid():
            try:
                services.member_add(
                    actor=request.user,
                    household=household,
                    person=person,
                    person_data=None if number else person_form.service_data(),
                    relationship=form.cleaned_data["relationship"],
                    start_date=form.cleaned_data["start_date"],
                )
            except ValidationError as exc:
                _person_errors(exc, person_form, form)
            else:
                messages.success(request, _("The member is added."))
                return redirect("registry:household_detail", pk=household.pk)
    return render(
        request,
        "registry/member_form.html",
        {"form": form, "person_form": person_form, "household": household},
    )


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def household_split(request, pk: int):
    household = selectors.household_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.SplitForm(
        request.POST or None,
        actor=request.user,
        household=household,
        initial={"municipality": household.municipality_id, "settlement": household.settlement_id},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        members, head, on = data.pop("members"), data.pop("head"), data.pop("on")
        try:
            new = services.household_split(
                actor=request.user,
                source=household,
                members=list(members),
                head=head,
                household=data,
                on=on,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(household)s is registered.") % {"household": new})
            return redirect("registry:household_detail", pk=new.pk)
    return render(request, "registry/household_split.html", {"form": form, "household": household})


@staff_view(permissions.SUBJECT_ACCESS)
def subject_access(request, pk: int):
    """Everything held about one person and every access to it, for a data subject's request."""
    person = get_object_or_404(Person, pk=pk)
    access_log(actor=request.user, instance=person, purpose="subject_access")
    return _subject_access_report(request, person, person.personal_number)


@staff_view(permissions.SUBJECT_ACCESS)
def subject_access_number(request, personal_number: str):
    """The same for someone the registry does not hold: other apps may still hold data under
    their number (a portal application never registered, a grievance, messages)."""
    try:
        personal_number_validator(personal_number)
    except ValidationError:
        raise Http404 from None
    if Person.objects.filter(personal_number=personal_number).exists():
        raise Http404
    search_log(
        actor=request.user,
        model=Person,
        terms={"personal_number": personal_number, "purpose": "subject_access"},
        shown=0,
    )
    return _subject_access_report(request, None, personal_number)


def _subject_access_report(request, person: Person | None, number: str):
    report = selectors.subject_access_report(
        actor=request.user, person=person, personal_number=number
    )
    if request.GET.get("format") == "json":
        response = JsonResponse(report, json_dumps_params={"ensure_ascii": False, "indent": 2})
        name = person.pk if person is not None else number
        response["Content-Disposition"] = f'attachment; filename="subject-access-{name}.json"'
        return response
    requests = subject_access_requests_of(actor=request.user, personal_number=number)
    return render(
        request,
        "registry/subject_access.html",
        {"person": person, "number": number, "report": report, "requests": requests},
    )


@staff_view(permissions.SUBJECT_ACCESS)
def subject_access_find(request):
    """The DPO looks a data subject up by personal number (no browsing of the registry)."""
    number = (request.GET.get("personal_number") or "").strip()
    error = None
    if number:
        person = Person.objects.filter(personal_number=number).first()
        search_log(
            actor=request.user,
            model=Person,
            terms={"personal_number": number, "purpose": "subject_access"},
            shown=int(person is not None),
        )
        if person is not None:
            return redirect("registry:subject_access", pk=person.pk)
        try:
            personal_number_validator(number)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            # Not in the registry: what the other apps hold under the number.
            return redirect("registry:subject_access_number", personal_number=number)
    return render(request, "registry/subject_access_find.html", {"number": number, "error": error})


@staff_view(permissions.REGISTRY_EDIT)
@require_http_methods(["GET", "POST"])
def head_change(request, pk: int):
    household = selectors.household_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.HeadForm(request.POST or None, household=household)
    if request.method == "POST" and form.is_valid():
        try:
            services.head_change(
                actor=request.user,
                household=household,
                new_head=form.cleaned_data["new_head"],
                old_head_relationship=form.cleaned_data["old_head_relationship"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The head of the household is changed."))
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/head_form.html", {"form": form, "household": household})
