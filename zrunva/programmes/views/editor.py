"""Programmes and parameters as data: read by staff, defined by administrators (the state's)
and municipal officers (their own municipality's, with its budget)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.forms import add_service_errors
from zrunva.core.trail import scoped_get
from zrunva.programmes import attributes, expressions, selectors, services
from zrunva.programmes.forms import ParameterForm, ParameterValueForm, ProgrammeForm, RuleCheckForm
from zrunva.programmes.selectors import parameter_versions


@staff_view(permissions.PROGRAMMES_VIEW)
def programme_list(request):
    user = request.user
    return render(
        request,
        "programmes/programme_list.html",
        {
            "programmes": selectors.programme_list(actor=user),
            "can_define": permissions.has_perm(user, permissions.PROGRAMMES_DEFINE),
        },
    )


def _programme(request, code: str):
    return scoped_get(selectors.programme_list(actor=request.user), actor=request.user, code=code)


@staff_view(permissions.PROGRAMMES_VIEW)
def programme_detail(request, code: str):
    programme = _programme(request, code)
    today = timezone.localdate()
    versions = parameter_versions(on=today)
    own = dict(versions[None]) | dict(versions.get(programme.municipality_id, {}))
    used = set()
    for text in (programme.criteria, programme.formula):
        try:
            used |= expressions.dependencies(text)
        except expressions.ExpressionError:
            continue
    return render(
        request,
        "programmes/programme_detail.html",
        {
            "programme": programme,
            "parameters": [(code, own.get(code)) for code in sorted(used)],
            "can_edit": services.can_define(request.user, programme.municipality_id),
            "today": today,
        },
    )


def _editor(request, programme=None):
    user = request.user
    form = ProgrammeForm(request.POST or None, instance=programme, actor=user)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        if programme:
            data.pop("code")  # fixed once created: decisions refer to it
        try:
            saved = services.programme_save(actor=user, programme=programme, data=data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The programme is saved."))
            return redirect("programmes:detail", code=saved.code)
    municipality_id = programme.municipality_id if programme else user.municipality_id
    return render(
        request,
        "programmes/programme_form.html",
        {
            "form": form,
            "programme": programme,
            "attributes": attributes.ATTRIBUTES.values(),
            "parameters": selectors.parameter_list(actor=user).filter(
                Q(municipality__isnull=True) | Q(municipality_id=municipality_id)
            ),
        },
    )


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_http_methods(["GET", "POST"])
def programme_create(request):
    return _editor(request)


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_http_methods(["GET", "POST"])
def programme_edit(request, code: str):
    programme = _programme(request, code)
    if not services.can_define(request.user, programme.municipality_id):
        raise PermissionDenied(_("Only administrators define the state's programmes."))
    return _editor(request, programme)


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_POST
def rule_check(request):
    """One rule checked as the officer types (htmx), with the save's own messages."""
    form = RuleCheckForm(request.POST)
    field = request.headers.get("HX-Trigger-Name") or request.POST.get("field", "criteria")
    if field not in services.PROGRAMME_RULES or not form.is_valid():
        message = _("Cannot check this.")
        if "level" in form.errors:
            message = _("Choose the beneficiary first: the rule is checked for it.")
        return render(request, "programmes/_rule_check.html", {"error": message})
    data = form.cleaned_data
    municipality = data["municipality"]
    if municipality is not None and not permissions.in_scope(request.user, municipality.pk):
        raise PermissionDenied(_("This municipality is outside your area of work."))
    error = None
    if data[field].strip():
        error = services.rule_check(
            data[field],
            level=data["level"],
            field=field,
            municipality_id=municipality.pk if municipality else None,
            on=data["valid_from"],
        )
    return render(
        request,
        "programmes/_rule_check.html",
        {"error": error, "empty": not data[field].strip()},
    )


@staff_view(permissions.PROGRAMMES_VIEW)
def parameter_list(request):
    user = request.user
    versions = parameter_versions(on=timezone.localdate())
    rows = [
        (p, versions.get(p.municipality_id, {}).get(p.code))
        for p in selectors.parameter_list(actor=user)
    ]
    return render(
        request,
        "programmes/parameter_list.html",
        {"rows": rows, "can_define": permissions.has_perm(user, permissions.PROGRAMMES_DEFINE)},
    )


def _parameter(request, code: str):
    return scoped_get(selectors.parameter_list(actor=request.user), actor=request.user, code=code)


@staff_view(permissions.PROGRAMMES_VIEW)
def parameter_detail(request, code: str):
    parameter = _parameter(request, code)
    return render(
        request,
        "programmes/parameter_detail.html",
        {
            "parameter": parameter,
            "values": selectors.parameter_history(code=code),
            "can_edit": services.can_define(request.user, parameter.municipality_id),
        },
    )


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_http_methods(["GET", "POST"])
def parameter_create(request):
    form = ParameterForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            parameter = services.parameter_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The parameter is created: now give it a value."))
            return redirect("programmes:parameter_value_add", code=parameter.code)
    return render(request, "programmes/parameter_form.html", {"form": form})


@staff_view(permissions.PROGRAMMES_DEFINE)
@require_http_methods(["GET", "POST"])
def parameter_value_add(request, code: str):
    parameter = _parameter(request, code)
    form = ParameterValueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.parameter_value_set(
                actor=request.user, parameter=parameter, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The new value is saved."))
            return redirect("programmes:parameter_detail", code=parameter.code)
    return render(
        request, "programmes/parameter_value_form.html", {"form": form, "parameter": parameter}
    )
