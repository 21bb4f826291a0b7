"""Forms of the outreach page: which list of which municipality, and a visit's outcome."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.cases.choices import OutreachList, VisitOutcome
from zrunva.cases.models import TEXT_MAX
from zrunva.core.forms import DateInput


class OutreachFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=None, empty_label=None, required=True
    )
    list = forms.ChoiceField(label=_("List"), choices=())

    def __init__(self, *args, municipalities, lists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
        self.fields["list"].choices = [(k, OutreachList(k).label) for k in lists]


class VisitForm(forms.Form):
    person = forms.IntegerField(widget=forms.HiddenInput)
    list = forms.ChoiceField(choices=OutreachList.choices, widget=forms.HiddenInput)
    municipality = forms.IntegerField(widget=forms.HiddenInput)
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=VisitOutcome.choices)
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=TEXT_MAX,
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("visited_on", timezone.localdate())
        super().__init__(*args, **kwargs)
