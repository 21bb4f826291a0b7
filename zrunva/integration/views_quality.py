"""Data quality: the overview of the actor's area (counts per municipality and check, and their
history), and a municipality's page listing each check's records."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core import charts, numbers
from zrunva.core.exports import Column, export, export_format, export_rows
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.geo.models import Municipality
from zrunva.integration import quality
from zrunva.integration.models import QualityCount
from zrunva.registry.models import Household, Person

# Days of history drawn per check.
HISTORY_DAYS = 30


def _history_charts(history: dict) -> list[dict]:
    shown = []
    for check in quality.checks():
        days = history.get(check.code, [])[-HISTORY_DAYS:]
        if days:
            shown.append(
                {
                    "id": f"history-{check.code}",
                    "title": check.label,
                    "bars": charts.bars(
                        (f"{day:%d.%m.%Y}", n, numbers.count(n)) for day, n in days
                    ),
                }
            )
    return shown


@staff_view(permissions.DATA_QUALITY_VIEW)
def quality_overview(request):
    counts = quality.quality_counts(actor=request.user)
    checks = quality.checks()
    places = {p for found in counts.values() for p in found}
    found = {m.pk: m for m in Municipality.objects.filter(pk__in=places)}
    names = {pk: m.name for pk, m in found.items()}
    codes = {pk: m.code for pk, m in found.items()}
    rows = [
        {
            "municipality": names.get(place, _("No municipality")),
            "code": codes.get(place),
            "counts": [counts[c.code].get(place, 0) for c in checks],
        }
        for place in sorted(places, key=lambda p: str(names.get(p, "")))
    ]
    totals = [sum(counts[c.code].values()) for c in checks]
    if export_format(request):
        columns = [Column(_lazy("Municipality"), lambda r: str(r["municipality"]), 24)] + [
            Column(c.label, lambda r, i=i: r["counts"][i], 14) for i, c in enumerate(checks)
        ]
        return export_rows(
            request,
            rows=rows,
            columns=columns,
            name="data-quality",
            title=_("Data quality"),
            audit=lambda n: search_log(
                actor=request.user,
                model=QualityCount,
                terms={"purpose": "quality_overview", "export": export_format(request)},
                shown=n,
            ),
        )
    return render(
        request,
        "integration/quality/overview.html",
        {
            "checks": checks,
            "rows": rows,
            "totals": totals,
            "duplicates_counted": quality.DUPLICATES in {c.code for c in checks},
            "history": _history_charts(quality.quality_history(actor=request.user)),
        },
    )


def _person_columns():
    return [
        Column(_lazy("Number"), lambda p: p.pk, 10),
        Column(_lazy("Personal number or document"), lambda p: p.identifier, 18),
        Column(_lazy("Name"), lambda p: f"{p.first_name} {p.last_name}", 26),
        Column(_lazy("Birth date"), lambda p: p.birth_date, 12),
        Column(_lazy("Date of death"), lambda p: p.date_of_death, 12),
        Column(_lazy("Citizenship"), lambda p: p.citizenship, 10),
    ]


def _household_columns():
    return [
        Column(_lazy("Number"), lambda h: h.pk, 10),
        Column(_lazy("Settlement"), lambda h: h.settlement.name if h.settlement else "", 20),
        Column(_lazy("Address"), lambda h: h.address, 30),
    ]


@staff_view(permissions.DATA_QUALITY_VIEW)
def quality_municipality(request, code: str):
    municipality = quality.quality_municipality(actor=request.user, code=code)
    checks = quality.checks()
    wanted = request.GET.get("check") or checks[0].code
    check = quality.check_named(wanted)
    records = quality.quality_records(actor=request.user, municipality=municipality, code=wanted)
    terms = {"municipality": municipality.pk, "check": wanted}
    if fmt := export_format(request):
        return export(
            request,
            qs=records,
            columns=_person_columns() if check.kind == "person" else _household_columns(),
            name=f"data-quality-{municipality.code}-{wanted}",
            title=str(check.label),
            audit=lambda n: search_log(
                actor=request.user,
                model=Person if check.kind == "person" else Household,
                terms=terms | {"export": fmt},
                shown=n,
            ),
        )
    counts = {
        c.code: n
        for c, n in zip(
            checks,
            quality.quality_municipality_counts(actor=request.user, municipality=municipality),
            strict=True,
        )
    }
    page = paginate(records, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(
        actor=request.user,
        model=Person if check.kind == "person" else Household,
        terms=terms | {"page": page.number},
        shown=len(page.items),
    )
    return render(
        request,
        "integration/quality/municipality.html",
        {
            "municipality": municipality,
            "checks": [(c, counts[c.code]) for c in checks],
            "check": check,
            "page": page,
            "duplicates_counted": quality.DUPLICATES in counts,
            "history": _history_charts(
                quality.quality_history(actor=request.user, municipality=municipality)
            ),
        },
    )
