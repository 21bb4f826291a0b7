"""The outreach page: a municipality's lists of people likely in need but not served, the reason
each is listed, a visit's outcome recorded from it, and each list as a file."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.cases import outreach, services
from zrunva.cases.forms_outreach import OutreachFilterForm, VisitForm
from zrunva.core.exports import Column, export_format, export_rows
from zrunva.core.forms import add_service_errors
from zrunva.core.trail import search_log
from zrunva.geo.models import Municipality
from zrunva.registry.models import Person

WORK = permissions.CASES_WORK

COLUMNS = [
    Column(_lazy("Personal number"), lambda r: r.person.personal_number, 14),
    Column(_lazy("First name"), lambda r: r.person.first_name),
    Column(_lazy("Last name"), lambda r: r.person.last_name),
    Column(_lazy("Birth date"), lambda r: r.person.birth_date),
    Column(_lazy("Age"), lambda r: r.age, 8),
    Column(_lazy("Rating score"), lambda r: r.person.score, 12),
    Column(_lazy("Why listed"), lambda r: r.reason, 60),
]
# Special-category data: only in the files of those who read health data.
HEALTH_COLUMNS = [
    Column(_lazy("Disability status"), lambda r: r.person.get_disability_degree_display(), 16)
]


def _municipalities(user):
    area = permissions.municipality_scope(user)
    qs = Municipality.objects.order_by("name_ka")
    return qs if area is None else qs.filter(id__in=area)


def _page(request, *, visit_form=None, data=None, status=200):
    user = request.user
    municipalities = _municipalities(user)
    lists = outreach.lists_for(user)
    data = data or request.GET.dict()
    first = municipalities.first()
    data.setdefault("municipality", str(first.pk) if first else "")
    data.setdefault("list", lists[0])
    form = OutreachFilterForm(data, municipalities=municipalities, lists=lists)
    context = {"form": form, "health": permissions.sees_health(user), "page": None, "rows": []}
    if form.is_valid():
        municipality = form.cleaned_data["municipality"]
        kind = form.cleaned_data["list"]
        if fmt := export_format(request):  # the whole list as a file; the download is audited
            today = timezone.localdate()
            people = outreach.outreach_list(
                actor=user, kind=kind, municipality_id=municipality.pk, today=today
            )
            return export_rows(
                request,
                rows=outreach.rows(people.iterator(chunk_size=2000), kind=kind, today=today),
                columns=COLUMNS + (HEALTH_COLUMNS if context["health"] else []),
                name=f"outreach-{kind}",
                title=_("Outreach"),
                audit=lambda n: search_log(
                    actor=user,
                    model=Person,
                    terms={"outreach": kind, "municipality": municipality.pk, "export": fmt},
                    shown=n,
                ),
            )
        page, rows = outreach.outreach_page(
            actor=user,
            kind=kind,
            municipality_id=municipality.pk,
            number=request.GET.get("page"),
        )
        context |= {
            "page": page,
            "rows": rows,
            "kind": kind,
            "municipality": municipality,
            "visit_form": visit_form or VisitForm(),
            "visit_person": int(visit_form["person"].value()) if visit_form else None,
        }
    return render(request, "cases/outreach.html", context, status=status)


@staff_view(WORK)
def lists(request):
    return _page(request)


@staff_view(WORK)
@require_POST
def visit(request):
    form = VisitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            recorded = services.outreach_visit_record(
                actor=request.user,
                # The service reads the person through the registry (scoped, audited).
                person=Person(pk=data["person"]),
                list=data["list"],
                visited_on=data["visited_on"],
                outcome=data["outcome"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if recorded.case_id:
                messages.success(
                    request,
                    _("Visit recorded; case %(number)s opened.") % {"number": recorded.case.number},
                )
            else:
                messages.success(request, _("Visit recorded."))
            query = urlencode({"municipality": data["municipality"], "list": data["list"]})
            return redirect(f"{reverse('outreach:lists')}?{query}")
    filters = {
        "municipality": request.POST.get("municipality", ""),
        "list": request.POST.get("list", ""),
    }
    return _page(request, visit_form=form, data=filters, status=400)
