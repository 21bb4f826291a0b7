from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme


class WorknetBulkForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none()
    )
    programme = forms.ModelChoiceField(
        label=_("Benefit programme"), queryset=Programme.objects.none()
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = permissions.scoped(
            Municipality.objects.all(), user, field="pk"
        )
        self.fields["programme"].queryset = Programme.objects.filter(is_active=True).order_by(
            "code"
        )


class WorknetImportForm(forms.Form):
    file = forms.FileField(
        label=_("Worknet's answer"),
        help_text=_("The exchange file (CSV) with the status and outcome date of each referral."),
    )
