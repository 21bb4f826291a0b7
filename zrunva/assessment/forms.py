from django import forms
from django.forms.models import fields_for_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.assessment.services import DWELLING_FIELDS
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality
from zrunva.registry.models import Household


class AssessmentForm(forms.Form):
    """A home visit: what the social agent found, prefilled from the household's record."""

    visit_date = forms.DateField(label=_("Home visit date"), widget=DateInput)

    def __init__(self, *args, household: Household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visit_date"].initial = timezone.localdate()
        for name, field in fields_for_model(Household, fields=DWELLING_FIELDS).items():
            field.initial = getattr(household, name)
            self.fields[name] = field
        self.fields["declared_income"] = forms.DecimalField(
            label=_("Declared monthly household income, GEL"),
            required=False,
            min_value=0,
            max_digits=12,
            decimal_places=2,
            help_text=_(
                "Leave empty to take the members' income sources and pensions from the registry."
            ),
        )
        self.fields["notes"] = forms.CharField(
            label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
        )

    def declaration(self) -> dict:
        return {name: self.cleaned_data[name] for name in DWELLING_FIELDS}


class DueFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none(), required=False
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = municipalities
