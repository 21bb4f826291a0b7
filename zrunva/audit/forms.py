from auditlog.models import LogEntry
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from zrunva.core.forms import DateInput

MODELS = [
    ("", _("Any record")),
    ("registry.person", _("Person")),
    ("registry.household", _("Household")),
    ("registry.membership", _("Household membership")),
    ("registry.incomesource", _("Income source")),
    ("registry.representative", _("Representative")),
    ("accounts.user", _("User")),
]


class LogFilterForm(forms.Form):
    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("Any"),
    )
    action = forms.TypedChoiceField(
        label=_("Action"),
        choices=[("", _("Any")), *LogEntry.Action.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    model = forms.ChoiceField(label=_("Record type"), choices=MODELS, required=False)
    object_pk = forms.CharField(label=_("Record number"), required=False, max_length=40)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date cannot precede the start date."))
        return data
