"""The monitoring indicators over the API (issue 18, item 7): the dashboard's tables with the
screens' scope and suppression (`/analytics/indicators`), and the public's open data
(`/open/indicators`, no sign-in, every cell under ten people suppressed). A suppressed cell is
null, and named in its row's `suppressed`."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from zrunva.accounts import permissions
from zrunva.analytics import indicators
from zrunva.analytics.aggregates import month_start, months_before
from zrunva.analytics.forms import DashboardFilterForm, month_error
from zrunva.core.api import Id, responses
from zrunva.core.db import replica_reads
from zrunva.core.trail import search_log
from zrunva.geo.models import Municipality

router = Router(tags=["analytics: indicators"])
open_router = Router(tags=["open data"], auth=None)


class FiltersIn(Schema):
    first: str | None = None
    last: str | None = None
    region: Id | None = None
    municipality: str | None = None
    programme: Id | None = None


class ColumnOut(Schema):
    field: str
    label: str
    kind: str


class IndicatorTableOut(Schema):
    key: str
    title: str
    note: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]]


class IndicatorsOut(Schema):
    first: str
    last: str
    suppressed: bool
    refreshed: datetime | None
    tables: list[IndicatorTableOut]


def _month(value: str | None, name: str, default: date) -> date:
    if not value:
        return default
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise ValidationError({name: [_("Write the month as YYYY-MM, e.g. 2026-11.")]}) from None
    if error := month_error(month):
        raise ValidationError({name: [error]})
    return month


def _filters(given: FiltersIn) -> indicators.Filters:
    last = _month(given.last, "last", month_start(timezone.localdate()))
    first = _month(
        given.first, "first", months_before(last, DashboardFilterForm.DEFAULT_MONTHS - 1)
    )
    if first > last:
        raise ValidationError({"first": [_("The first month comes after the last one.")]})
    if (last.year - first.year) * 12 + last.month - first.month >= DashboardFilterForm.MOST_MONTHS:
        raise ValidationError(
            {
                "first": [
                    _("Choose at most %(months)d months.")
                    % {"months": DashboardFilterForm.MOST_MONTHS}
                ]
            }
        )
    return indicators.Filters(
        first=first, last=last, region=given.region, programme=given.programme
    )


def _area(given: FiltersIn, scope: frozenset[int] | None) -> frozenset[int] | None:
    """The municipalities to read: `scope`, or the one named by `municipality` (its code),
    which must be in it."""
    if not given.municipality:
        return scope
    found = Municipality.objects.filter(code=given.municipality).values_list("pk", flat=True)
    if not found:
        raise ValidationError({"municipality": [_("No municipality has this code.")]})
    if scope is not None and found[0] not in scope:
        raise PermissionDenied(_("This municipality is outside your area of work."))
    return frozenset(found)


def _value(value):
    return str(value) if isinstance(value, Decimal) else value


def _out(result: indicators.Dashboard) -> dict:
    tables = []
    for table in result.tables.values():
        rows = []
        for row in table.rows:
            out = {
                c.field: (None if c.field in row["hidden"] else _value(row.get(c.field)))
                for c in table.columns
            }
            out |= {
                "level": row["level"],
                "code": row.get("code", ""),
                "suppressed": sorted(row["hidden"]),
            }
            rows.append(out)
        tables.append(
            {
                "key": table.key,
                "title": str(table.title),
                "note": str(table.note),
                "columns": [
                    {"field": c.field, "label": str(c.label), "kind": c.kind} for c in table.columns
                ],
                "rows": rows,
            }
        )
    return {
        "first": f"{result.filters.first:%Y-%m}",
        "last": f"{result.filters.last:%Y-%m}",
        "suppressed": result.suppressed,
        "refreshed": result.refreshed.finished_at if result.refreshed else None,
        "tables": tables,
    }


@router.get(
    "/analytics/indicators",
    response=responses({200: IndicatorsOut}, 400, 401, 403, 422),
    summary="Monitoring indicators of your area",
)
@replica_reads
def indicators_read(request, filters: Query[FiltersIn]):
    """The dashboard's tables for the months, region, municipality (its code) and programme
    given (default: the last twelve months, everything): your area, and small cells suppressed
    as on your screens.
    Amounts are strings with two decimals (GEL)."""
    permissions.require(request.user, permissions.ANALYTICS_VIEW)
    chosen = _filters(filters)
    result = indicators.dashboard(
        scope=_area(filters, permissions.analytics_scope(request.user)),
        suppress=not permissions.small_cells_shown(request.user),
        filters=chosen,
    )
    from zrunva.analytics.models import BenefitMonth

    search_log(
        actor=request.user,
        model=BenefitMonth,
        terms={"api": "indicators", "indicators": f"{chosen.first:%Y-%m}/{chosen.last:%Y-%m}"},
        shown=0,
    )
    return _out(result)


@open_router.get(
    "/open/indicators",
    response=responses({200: IndicatorsOut}, 400, 422),
    summary="Open data: the country's indicators",
)
@replica_reads
def open_indicators(request, filters: Query[FiltersIn]):
    """The public indicators (as /open/): the whole country, every cell under ten people
    suppressed (null) and any cell a total would give back."""
    return _out(
        indicators.dashboard(scope=_area(filters, None), suppress=True, filters=_filters(filters))
    )
