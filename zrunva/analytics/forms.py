"""The analytics pages' filters."""

from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.analytics import indicators
from zrunva.analytics.aggregates import month_start, months_before
from zrunva.geo.models import Municipality, Region
from zrunva.programmes.models import Programme

MONTH = {
    "widget": forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    "input_formats": ["%Y-%m", "%Y-%m-%d"],
}


EARLIEST_MONTH = date(2000, 1, 1)


def month_range() -> tuple[date, date]:
    """The months a filter may name: from January 2000 to December of next year (no figure
    lies outside, and a month beyond would overflow the calendar's arithmetic)."""
    return EARLIEST_MONTH, date(timezone.localdate().year + 1, 12, 1)


def month_error(month: date) -> str | None:
    """Why `month` may not be chosen, or None."""
    low, high = month_range()
    if low <= month_start(month) <= high:
        return None
    return _("Choose a month from %(first)s to %(last)s.") % {
        "first": f"{low:%Y-%m}",
        "last": f"{high:%Y-%m}",
    }


def _in_range(form: forms.Form, name: str):
    month = form.cleaned_data.get(name)
    if month is not None and (error := month_error(month)):
        raise forms.ValidationError(error)
    return month


class DashboardFilterForm(forms.Form):
    """A range of months (at most MOST_MONTHS), a region of the reader's area, a programme,
    and the map's indicator."""

    MOST_MONTHS = 36
    DEFAULT_MONTHS = 12

    first = forms.DateField(label=gettext_lazy("From month"), **MONTH)
    last = forms.DateField(label=gettext_lazy("To month"), **MONTH)
    region = forms.TypedChoiceField(
        label=gettext_lazy("Region"), required=False, coerce=int, empty_value=None
    )
    programme = forms.TypedChoiceField(
        label=gettext_lazy("Programme"), required=False, coerce=int, empty_value=None
    )
    map = forms.ChoiceField(label=gettext_lazy("Map shows"), required=False)

    def __init__(self, *args, scope=None, latest=None, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(municipalities__isnull=False)
        if scope is not None:
            regions = regions.filter(municipalities__in=scope)
        self.fields["region"].choices = [
            ("", _("All regions")),
            *[
                (r.pk, r.name)
                for r in regions.only("pk", "name_ka", "name_en").distinct().order_by("name_en")
            ],
        ]
        self.fields["programme"].choices = [
            ("", _("All programmes")),
            *[
                (p.pk, p.name)
                for p in Programme.objects.only("pk", "name_ka", "name_en").order_by("code")
            ],
        ]
        self.fields["map"].choices = [
            (key, label) for key, (label, _table, _field) in indicators.MAP_INDICATORS.items()
        ]
        self.latest = latest

    def clean_first(self):
        return _in_range(self, "first")

    def clean_last(self):
        return _in_range(self, "last")

    @classmethod
    def defaults(cls, latest) -> dict:
        last = month_start(latest)
        first = months_before(last, cls.DEFAULT_MONTHS - 1)
        return {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}", "map": "people_per_100"}

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first and last:
            if first > last:
                raise forms.ValidationError(_("The first month comes after the last one."))
            if (last.year - first.year) * 12 + last.month - first.month >= self.MOST_MONTHS:
                raise forms.ValidationError(
                    _("Choose at most %(months)d months.") % {"months": self.MOST_MONTHS}
                )
        if not data.get("map"):
            data["map"] = "people_per_100"
        return data

    def filters(self) -> indicators.Filters:
        data = self.cleaned_data
        return indicators.Filters(
            first=month_start(data["first"]),
            last=month_start(data["last"]),
            region=data.get("region"),
            programme=data.get("programme"),
        )


class ReportForm(forms.Form):
    """The monthly report to download: a month, and a municipality of the reader's area (none:
    the whole area)."""

    month = forms.DateField(label=gettext_lazy("Month"), **MONTH)
    municipality = forms.ChoiceField(label=gettext_lazy("Municipality"), required=False)

    def __init__(self, *args, scope=None, **kwargs):
        super().__init__(*args, **kwargs)
        municipalities = Municipality.objects.order_by("name_en")
        if scope is not None:
            municipalities = municipalities.filter(pk__in=scope)
        everything = _("The whole country") if scope is None else _("All of your area")
        self.fields["municipality"].choices = [
            ("", everything),
            *[(m.code, m.name) for m in municipalities],
        ]

    def clean_month(self):
        return _in_range(self, "month")


class TargetingForm(forms.Form):
    """The welfare measure, the day (a month's first day) and a programme."""

    measure = forms.ChoiceField(label=gettext_lazy("Welfare measure"))
    month = forms.DateField(label=gettext_lazy("Month"), **MONTH)
    programme = forms.TypedChoiceField(
        label=gettext_lazy("Programme"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, **kwargs):
        from zrunva.analytics.targeting import MEASURES

        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = list(MEASURES.items())
        self.fields["programme"].choices = [
            ("", _("Any programme")),
            *[
                (p.pk, p.name)
                for p in Programme.objects.only("pk", "name_ka", "name_en").order_by("code")
            ],
        ]

    def clean_month(self):
        return _in_range(self, "month")
