"""The case pages' forms; what a case may be is the services' and the models' to say."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from zrunva.cases.choices import (
    Category,
    EntryKind,
    Outcome,
    RecordKind,
    Risk,
    SessionKind,
    Source,
    Specialisation,
)
from zrunva.core.forms import DateInput
from zrunva.geo.models import Office
from zrunva.services.selectors import public_services

TEXTAREA = forms.Textarea(attrs={"rows": 4})


class OpenForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    specialisation = forms.ChoiceField(
        label=gettext_lazy("Specialisation"), choices=Specialisation.choices
    )
    source = forms.ChoiceField(label=gettext_lazy("Came from"), choices=Source.choices)
    risk = forms.ChoiceField(
        label=gettext_lazy("Risk"), choices=Risk.choices, widget=forms.RadioSelect
    )
    intake = forms.CharField(
        label=gettext_lazy("What was reported"), max_length=4000, widget=TEXTAREA
    )
    sensitive = forms.BooleanField(
        label=gettext_lazy("Sensitive: only the worker, the supervisors and named colleagues"),
        required=False,
        help_text=gettext_lazy("Violence and trafficking cases are always sensitive."),
    )


class EntryForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What"), choices=EntryKind.choices)
    happened_on = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    note = forms.CharField(
        label=gettext_lazy("Note"), max_length=4000, required=False, widget=TEXTAREA
    )
    file = forms.FileField(label=gettext_lazy("Document"), required=False)


class PlanForm(forms.Form):
    """The goals and the review date; the actions, one per line: what | who | YYYY-MM-DD."""

    goals = forms.CharField(label=gettext_lazy("Goals"), max_length=4000, widget=TEXTAREA)
    review_on = forms.DateField(label=gettext_lazy("Review on"), widget=DateInput())
    actions = forms.CharField(
        label=gettext_lazy("Actions"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "One per line: what | who | by when (YYYY-MM-DD), and the catalogue number of the "
            "service if a service does it, e.g. Day care three days a week | Kutaisi day "
            "centre | 2027-01-15 | 42."
        ),
    )

    def clean_actions(self):
        from datetime import date

        actions = []
        for n, line in enumerate(self.cleaned_data["actions"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            try:
                if len(parts) not in (3, 4) or not parts[0] or not parts[1]:
                    raise ValueError
                due = date.fromisoformat(parts[2])
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(n)d: write what | who | YYYY-MM-DD.") % {"n": n}
                ) from None
            action = {"text": parts[0][:500], "responsible": parts[1][:200], "due": due}
            if len(parts) == 4 and parts[3]:
                service = public_services().filter(pk=int(parts[3]) if parts[3].isdigit() else 0)
                if not service.exists():
                    raise forms.ValidationError(
                        _("Line %(n)d: no public service has the number %(number)s.")
                        % {"n": n, "number": parts[3]}
                    )
                action["service"] = service.first()
            actions.append(action)
        return actions


class MoveForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), max_length=4000, required=False)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=gettext_lazy("Outcome"), choices=Outcome.choices)
    note = forms.CharField(label=gettext_lazy("Why it closes"), max_length=4000, widget=TEXTAREA)


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)

    def clean_username(self):
        user = (
            get_user_model()
            .objects.filter(username=self.cleaned_data["username"], is_active=True)
            .first()
        )
        if user is None:
            raise forms.ValidationError(_("No active user has this user name."))
        return user


class GlassForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why you must read this case now"), max_length=1000, widget=TEXTAREA
    )


class TransferForm(forms.Form):
    to_office = forms.ModelChoiceField(
        label=gettext_lazy("To the office"), queryset=Office.objects.filter(agency="sca")
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=1000, widget=TEXTAREA)


class DecideForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=1000, required=False)


class ReferForm(forms.Form):
    service = forms.ModelChoiceField(label=gettext_lazy("Service"), queryset=None, empty_label="")
    note = forms.CharField(
        label=gettext_lazy("What the provider should know"), max_length=4000, widget=TEXTAREA
    )
    waiting_list = forms.BooleanField(
        label=gettext_lazy("Refer to the waiting list if it has no place now"), required=False
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services


class AnswerForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Reason or feedback"), max_length=4000, required=False, widget=TEXTAREA
    )


class SessionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), choices=SessionKind.choices, widget=forms.RadioSelect
    )
    held_on = forms.DateField(label=gettext_lazy("Held on"), widget=DateInput())
    workers = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Workers"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    cases = forms.CharField(
        label=gettext_lazy("Cases discussed (their numbers, one per line)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), max_length=4000, required=False, widget=TEXTAREA
    )
    agreed = forms.CharField(
        label=gettext_lazy("Actions agreed"), max_length=4000, required=False, widget=TEXTAREA
    )

    def __init__(self, *args, team, readable, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["workers"].queryset = team
        self.readable = readable

    def clean_cases(self):
        numbers = [n.strip().upper() for n in self.cleaned_data["cases"].splitlines() if n.strip()]
        found = list(self.readable.filter(number__in=numbers))
        missing = sorted(set(numbers) - {c.number for c in found})
        if missing:
            raise forms.ValidationError(
                _("No case of your area has the number %(numbers)s.")
                % {"numbers": ", ".join(missing)}
            )
        return found


class RecordForm(forms.Form):
    worker = forms.ModelChoiceField(label=gettext_lazy("Worker"), queryset=None, empty_label="")
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RecordKind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=300)
    specialisation = forms.ChoiceField(
        label=gettext_lazy("Specialisation"),
        choices=[("", "—"), *Specialisation.choices],
        required=False,
    )
    obtained_on = forms.DateField(label=gettext_lazy("Obtained on"), widget=DateInput())
    expires_on = forms.DateField(
        label=gettext_lazy("Expires on"), widget=DateInput(), required=False
    )

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker"].queryset = team


MONTH = {
    "widget": forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
    "input_formats": ["%Y-%m", "%Y-%m-%d"],
}


class IndicatorFilterForm(forms.Form):
    """The quality indicators' filters: a range of months, an office of the viewer's area, a
    specialisation."""

    MOST_MONTHS = 36

    first = forms.DateField(label=gettext_lazy("From month"), **MONTH)
    last = forms.DateField(label=gettext_lazy("To month"), **MONTH)
    office = forms.ChoiceField(label=gettext_lazy("Office"), required=False)
    specialisation = forms.ChoiceField(
        label=gettext_lazy("Specialisation"),
        required=False,
        choices=[("", gettext_lazy("All specialisations")), *Specialisation.choices],
    )

    def __init__(self, *args, offices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["office"].choices = [("", _("All offices")), *offices]

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
        return data
