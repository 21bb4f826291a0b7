"""The citizen portal: the programmes, applying with documents, and following an application.
Public: no sign-in. An applicant proves an application is theirs with its number and their
personal number; the pair is kept in their session while they look at it."""

import csv

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import translate_url
from django.utils import timezone
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.applications import selectors, services
from zrunva.applications.choices import Channel, EventKind, Status
from zrunva.applications.forms import MEMBER_ERROR, MemberFormSet
from zrunva.applications.letters import decision_letter
from zrunva.core import hours
from zrunva.core.forms import add_service_errors, formset_errors
from zrunva.core.pagination import paginate
from zrunva.core.text import capfirst
from zrunva.core.throttle import (
    throttle,
    throttle_address,
    throttle_person,
    throttled_lookup,
    throttled_page,
)
from zrunva.payments.selectors import application_payments
from zrunva.portal.forms import (
    ApplyForm,
    LostNumberForm,
    ScreenerForm,
    ScreenerMemberFormSet,
    StatusForm,
)
from zrunva.portal.selectors import (
    held_documents,
    held_files,
    programme_sentences,
    public_programme,
    public_programmes,
    screener_results,
    screener_services,
    screener_target_groups,
    ssa_offices,
)
from zrunva.portal.services import document_unhold, documents_hold, documents_release
from zrunva.programmes.models import Programme
from zrunva.services.api import ServiceOut
from zrunva.services.filters import PublicServiceFilter
from zrunva.services.models import Service
from zrunva.services.selectors import (
    distance_km,
    located_exactly,
    public_assessment_summary,
    public_provider,
    public_services,
)

SUBMITTED = "portal_submitted"
LOST_NUMBER_SENT = "portal_lost_number_sent"
VERIFIED = "portal_application"


throttled = throttled_page(back="portal:home", back_label=gettext_lazy("Back to the programmes"))


def home(request):
    programmes = (
        Programme.objects.filter(is_active=True)
        .select_related("municipality", "workflow")
        .order_by("municipality__name_en", "code")
    )
    return render(request, "portal/home.html", {"programmes": programmes})


def _programme_pk(code: str | None) -> int | None:
    """The programme a "how to apply" link names by its code, to preselect it."""
    if not code:
        return None
    return Programme.objects.filter(code=code, is_active=True).values_list("pk", flat=True).first()


def _member_rows(data, remove: int | None = None, add: bool = False) -> list[dict]:
    """The member rows as the applicant filled them in, one removed or one added."""
    fields = ("first_name", "last_name", "birth_date", "personal_number", "relationship")
    try:
        count = min(int(data.get("members-TOTAL_FORMS", 0)), 15)
    except ValueError:
        count = 0
    rows = [
        {name: data.get(f"members-{i}-{name}", "") for name in fields}
        for i in range(count)
        if i != remove
    ]
    return rows + [{}] if add and len(rows) < 15 else rows


def _hold_uploads(request, form: ApplyForm) -> list[tuple[str, str]]:
    """Keep the files chosen on a form that is only redrawn (a member added or removed, a kept
    document removed), once checked: their errors, for the summary, as (anchor, message)."""
    uploads = request.FILES.getlist("documents")
    checked, refused = services.documents_check(uploads, held=form.held_count)
    form.held = documents_hold(
        request.session, submission_key=request.POST.get("submission_key"), uploads=checked
    )
    return [("#id_documents", f"{form['documents'].label}: {message}") for message in refused]


@never_cache
@require_http_methods(["GET", "POST"])
@throttled
def apply(request):
    data = request.POST
    key = data.get("submission_key")
    redraw = "add_member" in data or "remove_member" in data or "remove_document" in data
    if request.method == "GET" or redraw:
        # Adding or removing a member row or a kept document redraws the form as filled in,
        # without checking it.
        if "remove_document" in data:
            document_unhold(
                request.session, submission_key=key, document_id=data["remove_document"]
            )
        remove = data.get("remove_member")
        rows = _member_rows(
            data,
            remove=int(remove) if remove and remove.isdigit() else None,
            add="add_member" in data,
        )
        initial = (
            data.dict() if data else {"programme": _programme_pk(request.GET.get("programme"))}
        )
        form = ApplyForm(
            initial={k: v for k, v in initial.items() if v},
            held=held_documents(request.session, submission_key=key),
        )
        extra_errors = _hold_uploads(request, form) if data else []
        members = MemberFormSet(prefix="members", initial=rows)
        if "add_member" in data and rows:
            members.forms[-1].fields["first_name"].widget.attrs["autofocus"] = True
        context = {"form": form, "members": members, "extra_errors": extra_errors}
        return render(request, "portal/apply.html", context)
    form = ApplyForm(data, request.FILES, held=held_documents(request.session, submission_key=key))
    members = MemberFormSet(data, prefix="members")
    throttle_address(request, "apply")
    # Both checked, whatever the first says: every error shows in one pass.
    valid = [form.is_valid(), members.is_valid()]
    try:
        if all(valid):
            cleaned = form.cleaned_data
            throttle_person(
                "apply",
                personal_number=cleaned["personal_number"],
                phone=cleaned.get("phone", ""),
                email=cleaned.get("email", ""),
            )
            with held_files(request.session, submission_key=key) as kept:
                application = services.application_submit(
                    channel=Channel.PORTAL,
                    programme=cleaned["programme"],
                    municipality=cleaned["municipality"],
                    applicant=form.applicant(),
                    members=members.members(),
                    documents=kept + cleaned["documents"],
                    consent=cleaned["consent"],
                    submission_key=cleaned["submission_key"],
                )
            documents_release(request.session, submission_key=key)
            request.session[SUBMITTED] = application.number
            return redirect("portal:submitted")
    except ValidationError as error:
        add_service_errors(form, error)
    # Refused: the files that passed their checks are kept for the next sending.
    form.held = documents_hold(request.session, submission_key=key, uploads=form.accepted_documents)
    return render(
        request,
        "portal/apply.html",
        {"form": form, "members": members, "extra_errors": formset_errors(members, MEMBER_ERROR)},
    )


@never_cache
def submitted(request):
    number = request.session.get(SUBMITTED)
    if not number:
        return redirect("portal:apply")
    return render(request, "portal/submitted.html", {"number": number})


@never_cache
@require_http_methods(["GET", "POST"])
@throttled
def status(request):
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number, personal_number = form.cleaned_data["number"], form.cleaned_data["personal_number"]
        found = throttled_lookup(
            request,
            number=number,
            find=lambda: selectors.application_of_applicant(
                number=number, personal_number=personal_number
            ),
        )
        if found:
            request.session[VERIFIED] = [number, personal_number]
            return redirect("portal:application")
        form.add_error(None, _("No application has this number and personal number."))
    return render(request, "portal/status.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
@throttled
def lost_number(request):
    """ "I lost my number": the numbers go to the contact details on the applications, and the
    page answers the same whether any is found (zrunva.applications.services
    .application_number_resend)."""
    form = LostNumberForm(request.POST or None)
    if request.method == "POST":
        # Counted as the status checks are, per address; and per personal number, since each
        # request sends messages to the person's phone: a flood of them is held after the
        # limit. Settings have no limit of its own yet: the per-person limit on applying.
        throttle_address(request, "status")
        if form.is_valid():
            personal_number = form.cleaned_data["personal_number"]
            throttle("apply_person", f"lost-number|{personal_number}")
            services.application_number_resend(
                personal_number=personal_number, birth_date=form.cleaned_data["birth_date"]
            )
            request.session[LOST_NUMBER_SENT] = True
            return redirect("portal:lost_number_sent")
    return render(request, "portal/lost_number.html", {"form": form})


@never_cache
def lost_number_sent(request):
    if not request.session.get(LOST_NUMBER_SENT):
        return redirect("portal:lost_number")
    return render(request, "portal/lost_number_sent.html")


def _verified(request):
    pair = request.session.get(VERIFIED)
    application = pair and selectors.application_of_applicant(
        number=pair[0], personal_number=pair[1]
    )
    if not application:
        raise Http404
    return application


@never_cache
def application(request):
    try:
        found = _verified(request)
    except Http404:
        return redirect("portal:status")
    steps = [e for e in found.events.all() if e.kind == EventKind.STATUS]
    return render(
        request,
        "portal/application.html",
        {
            "application": found,
            "steps": steps,
            "can_withdraw": Status.WITHDRAWN in services.next_statuses(found),
            "has_letter": found.decided_on is not None,
            "payments": application_payments(application=found),
        },
    )


@require_POST
def withdraw(request):
    found = _verified(request)
    try:
        services.application_withdraw(number=found.number, personal_number=found.personal_number)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("portal:application")


@never_cache
def letter(request):
    found = _verified(request)
    if found.decided_on is None:
        raise Http404
    response = HttpResponse(decision_letter(found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{found.number}.pdf"'
    return response


def programme_list(request):
    return render(
        request,
        "portal/programme_list.html",
        {"programmes": public_programmes(on=timezone.localdate())},
    )


def programme_detail(request, code: str):
    today = timezone.localdate()
    programme, compiled = public_programme(code=code, on=today)
    context = {
        "today": today,
        "programme": programme,
        "rules": programme_sentences(compiled),
        "offices": ssa_offices(municipality=programme.municipality)
        if programme.municipality_id
        else None,
        "workflow": getattr(programme, "workflow", None),
    }
    return render(request, "portal/programme_detail.html", context)


SCREENER_MEMBER_FIELDS = ("age", "sex", "disability_degree", "pension_kind", "is_idp")


def _screener_rows(data, remove: int | None = None, add: bool = False) -> list[dict]:
    """The member rows as answered, one removed or one added (at least one row stays)."""
    try:
        count = min(int(data.get("members-TOTAL_FORMS", 0)), ScreenerMemberFormSet.max_num)
    except ValueError:
        count = 0
    rows = [
        {name: data.get(f"members-{i}-{name}") for name in SCREENER_MEMBER_FIELDS}
        for i in range(count)
        if i != remove
    ]
    rows = [{k: v for k, v in row.items() if v} for row in rows]
    if add and len(rows) < ScreenerMemberFormSet.max_num:
        rows.append({})
    return rows or [{}]


@never_cache
@require_http_methods(["GET", "POST"])
def screener(request):
    """The rights screener: anonymous answers about a household, decided by the officers'
    engine. Nothing is stored or logged: the answers are sent by POST (never in a URL), read,
    and shown back; no session, model or audit row keeps them."""
    on = timezone.localdate()
    data = request.POST
    redraw = any(key in data for key in ("add_member", "remove_member", "change"))
    if request.method == "GET" or redraw:
        remove = data.get("remove_member")
        rows = _screener_rows(
            data,
            remove=int(remove) if remove and remove.isdigit() else None,
            add="add_member" in data,
        )
        initial = {k: v for k, v in data.items() if v and not k.startswith("members-")}
        form = ScreenerForm(initial=initial or None)
        members = ScreenerMemberFormSet(prefix="members", initial=rows, form_kwargs={"on": on})
        if "add_member" in data:
            members.forms[-1].fields["age"].widget.attrs["autofocus"] = True
        return render(request, "portal/screener.html", {"form": form, "members": members})
    form = ScreenerForm(data)
    members = ScreenerMemberFormSet(data, prefix="members", form_kwargs={"on": on})
    valid = [form.is_valid(), members.is_valid()]  # both checked: every error in one pass
    if not all(valid):
        return render(
            request,
            "portal/screener.html",
            {
                "form": form,
                "members": members,
                "extra_errors": formset_errors(members, MEMBER_ERROR),
            },
        )
    income = form.cleaned_data["income"]
    programmes = screener_results(
        household=form.household(),
        members=members.members(income),
        on=on,
        rating_score=form.score(),
    )
    municipality = form.cleaned_data["municipality"]
    # The answers, sent back only inside this page's forms (to change them, or to read the
    # results in another language): never stored.
    answers = [
        (key, value)
        for key, values in data.lists()
        if key != "csrfmiddlewaretoken"
        for value in values
    ]
    languages = [
        (code, get_language_info(code)["name_local"], translate_url(request.path, code))
        for code, _name in settings.LANGUAGES
        if code != request.LANGUAGE_CODE
    ]
    context = {
        "programmes": programmes,
        "applies": [p for p in programmes if p.eligible],
        "possible": [p for p in programmes if not p.eligible and p.possible],
        "others": [p for p in programmes if not p.eligible and not p.possible],
        "municipality": municipality,
        "offices": ssa_offices(municipality=municipality),
        "services": screener_services(
            codes=screener_target_groups([f.cleaned_data for f in members.forms]),
            municipality=municipality,
        ),
        "answers": answers,
        "other_languages": languages,
    }
    return render(request, "portal/screener_result.html", context)


# -- The catalogue of social services ------------------------------------------------------


def _access(service) -> list[str]:
    """The service's access features, as people read them."""
    names = ("step_free", "accessible_toilet", "sign_language", "easy_read", "accessible_parking")
    return [
        capfirst(Service._meta.get_field(name).verbose_name)
        for name in names
        if getattr(service, name)
    ]


def service_list(request):
    """Services near you: search in either script, filters, approved entries only."""
    found = PublicServiceFilter(request.GET or None, queryset=public_services())
    page = paginate(found.qs, number=request.GET.get("page"), size=20)
    for service in page.items:
        service.distance_km = distance_km(service)
        service.located_exactly = located_exactly(service)
    return render(request, "portal/services.html", {"form": found.form, "page": page})


def service_detail(request, pk: int):
    service = get_object_or_404(public_services(), pk=pk)
    context = {
        "service": service,
        "hours": hours.readable(service.opening_hours),
        "spoken": service.language_names,
        "access": _access(service),
        # Its latest submitted assessment's results: no assessor, no evidence.
        "assessment": public_assessment_summary(service),
    }
    return render(request, "portal/service.html", context)


def provider_detail(request, pk: int):
    provider = public_provider(pk=pk)
    services = public_services().filter(provider=provider)
    return render(request, "portal/provider.html", {"provider": provider, "services": services})


def catalogue_download(request, fmt: str):
    """The approved catalogue as open data, in the API's schema (`services.api.ServiceOut`):
    JSON as the API writes it, CSV a row per service (lists joined with "; ")."""
    rows = [ServiceOut.from_orm(s).model_dump(mode="json") for s in public_services()]
    if fmt == "json":
        response = JsonResponse({"services": rows}, json_dumps_params={"ensure_ascii": False})
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # a BOM, so that spreadsheets read the Georgian as UTF-8
        writer = csv.DictWriter(response, fieldnames=list(ServiceOut.model_fields))
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    k: "; ".join(
                        " ".join(map(str, v)) if isinstance(v, list) else str(v) for v in value
                    )
                    if isinstance(value, list)
                    else value
                    for k, value in row.items()
                }
            )
    response["Content-Disposition"] = f'attachment; filename="zrunva-services.{fmt}"'
    return response
