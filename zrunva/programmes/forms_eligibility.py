from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality


class ExplainForm(forms.Form):
    on = forms.DateField(label=_("As of"), widget=DateInput)


class RunStartForm(forms.Form):
    on = forms.DateField(
        label=_("As of"),
        widget=DateInput,
        help_text=_("Decisions are for the month of this date, with the rules in force on it."),
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        required=False,
        empty_label=_("The whole country"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()
        field = self.fields["municipality"]
        field.queryset = permissions.scoped(Municipality.objects.by_name(), user, "id")
        if permissions.municipality_scope(user) is not None:
            # Only national staff run the whole country.
            field.required = True
            field.empty_label = None


class ChangeFilterForm(forms.Form):
    KINDS = [
        ("", _("All changes")),
        ("gained", _("Gained a benefit")),
        ("lost", _("Lost a benefit")),
        ("increased", _("Amount increased")),
        ("decreased", _("Amount decreased")),
    ]
    kind = forms.ChoiceField(label=_("Show"), choices=KINDS, required=False)
