from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Parameter, ParameterValue, Programme
from zrunva.programmes.validators import validate_parameter_value

RULE_ATTRS = {"rows": 4, "spellcheck": "false", "autocomplete": "off", "class": "input--code"}


def _places(field, actor):
    """Municipalities the actor may define for; a municipal officer's own one, fixed."""
    field.queryset = permissions.scoped(Municipality.objects.by_name(), actor, "id")
    if permissions.municipality_scope(actor) is not None:
        field.required = True
        field.empty_label = None
        field.help_text = _("The municipality you work for.")
    else:
        field.empty_label = _("None: a state programme")


class ProgrammeForm(forms.ModelForm):
    class Meta:
        model = Programme
        fields = [
            "code",
            "name_ka",
            "name_en",
            "level",
            "municipality",
            "criteria",
            "formula",
            "legal_basis",
            "legal_basis_ka",
            "legal_basis_en",
            "budget",
            "valid_from",
            "valid_until",
            "is_active",
            "illustrative",
        ]
        widgets = {
            "criteria": forms.Textarea(attrs=RULE_ATTRS),
            "formula": forms.Textarea(attrs=RULE_ATTRS),
            "legal_basis": forms.Textarea(attrs={"rows": 3}),
            "legal_basis_ka": forms.Textarea(attrs={"rows": 2}),
            "legal_basis_en": forms.Textarea(attrs={"rows": 2}),
            "valid_from": DateInput,
            "valid_until": DateInput,
        }
        labels = {"name_ka": _("Name in Georgian"), "name_en": _("Name in English")}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        _places(self.fields["municipality"], actor)
        if self.instance.pk:
            self.fields["code"].disabled = True  # decisions and runs refer to it
        for name in ("criteria", "formula"):
            # Checked as the officer types, with the whole form for the level, place and date.
            self.fields[name].widget.attrs.update(
                {
                    "hx-post": reverse("programmes:check"),
                    "hx-trigger": "input changed delay:500ms",
                    "hx-target": f"#{name}-check",
                    "hx-include": "#programme-form",
                }
            )

    def _post_clean(self):
        """Validation is the service's (`programme_save`), so that the API and the screen give
        the same messages; the form only converts the fields."""


class ParameterForm(forms.ModelForm):
    class Meta:
        model = Parameter
        fields = ["code", "name_ka", "name_en", "unit", "municipality", "description"]
        labels = {"name_ka": _("Name in Georgian"), "name_en": _("Name in English")}
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        _places(self.fields["municipality"], actor)
        if permissions.municipality_scope(actor) is None:
            self.fields["municipality"].empty_label = _("None: a state parameter")

    def _post_clean(self):
        """Validated by `parameter_create`."""


class ParameterValueForm(forms.ModelForm):
    class Meta:
        model = ParameterValue
        fields = ["valid_from", "value", "formula", "source", "source_ka", "illustrative"]
        widgets = {
            "valid_from": DateInput,
            "formula": forms.Textarea(attrs={**RULE_ATTRS, "rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The model's bound, reported by the form before the service is asked.
        self.fields["value"].validators.append(validate_parameter_value)

    def _post_clean(self):
        """Validated by `parameter_value_set`."""


class RuleCheckForm(forms.Form):
    level = forms.ChoiceField(choices=Programme._meta.get_field("level").choices)
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.all(), required=False)
    valid_from = forms.DateField(required=False)
    criteria = forms.CharField(required=False, strip=False)
    formula = forms.CharField(required=False, strip=False)
