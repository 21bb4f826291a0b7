from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from zrunva.core.casework import staff_name
from zrunva.core.forms import DateInput
from zrunva.core.text import capfirst
from zrunva.core.validators import personal_number_validator


def audited_models() -> list[tuple[str, str]]:
    """Every audited model by its name in the page's language, alphabetically: the filter offers
    whatever the apps register with auditlog, so a new audited record is never left out."""
    models = sorted(
        (capfirst(m._meta.verbose_name), m._meta.label_lower) for m in auditlog.get_models()
    )
    return [("", _("Any record")), *((label, name) for name, label in models)]


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return staff_name(obj)


class LogFilterForm(forms.Form):
    user = UserChoiceField(
        label=_("User"),
        # By name, as people know each other; users without one by their username.
        queryset=get_user_model().objects.order_by("last_name", "first_name", "username"),
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
    model = forms.ChoiceField(label=_("Record type"), choices=audited_models, required=False)
    object_pk = forms.CharField(label=_("Record number"), required=False, max_length=40)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())
    attempts = forms.BooleanField(label=_("Denied attempts only"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The end date cannot precede the start date."))
        return data


class SubjectAccessRequestForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())
    requester_name = forms.CharField(label=_("Requester"), max_length=200)
    requester_contact = forms.CharField(
        label=_("Requester's contact"),
        max_length=254,
        required=False,
        help_text=_("Address, phone or e-mail the answer goes to."),
    )
    personal_number = forms.CharField(
        label=_("Personal number of the person the data is about"),
        max_length=11,
        validators=[personal_number_validator],
    )
    person_id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea, max_length=2000, required=False)
