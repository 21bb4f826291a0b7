"""Forms of the other agencies' pages: an agency and its scope, a key, the query log's filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.core.forms import DateInput
from zrunva.integration.agencies import MAX_KEY_DAYS
from zrunva.integration.models import Agency
from zrunva.integration.models.agencies import (
    QueryAttribute,
    QueryStatus,
    QueryType,
    ReleasableField,
)


class AgencyForm(forms.ModelForm):
    """An agency's legal basis and scope; `agencies.agency_create` / `agency_update` save it."""

    fields = forms.MultipleChoiceField(
        label=_("Fields it receives"),
        choices=ReleasableField.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Only these are answered; the others are absent from every record. Disability is "
            "health data: give it only where the legal basis names it."
        ),
    )
    query_types = forms.MultipleChoiceField(
        label=_("How it may search"),
        choices=QueryType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    predicates = forms.MultipleChoiceField(
        label=_("Conditions it may search by"),
        choices=QueryAttribute.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Agency
        fields = [
            "name",
            "sender_id",
            "legal_basis",
            "contact",
            "active",
            "fields",
            "query_types",
            "predicates",
            "rate_limit",
            "max_results",
        ]
        widgets = {"legal_basis": forms.Textarea(attrs={"rows": 3})}

    def validate_unique(self):
        """The service checks (and names) what is already taken."""


class KeyIssueForm(forms.Form):
    name = forms.CharField(
        label=_("System the key is for"),
        max_length=100,
        help_text=_("e.g. the agency's benefits system"),
    )
    days = forms.IntegerField(
        label=_("Valid for (days)"),
        min_value=1,
        max_value=MAX_KEY_DAYS,
        required=False,
        help_text=_("A year when left empty."),
    )


class QueryFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.order_by("name"), required=False
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any"))] + QueryStatus.choices, required=False
    )
    since = forms.DateField(label=_("From"), widget=DateInput(), required=False)
    until = forms.DateField(label=_("To"), widget=DateInput(), required=False)
