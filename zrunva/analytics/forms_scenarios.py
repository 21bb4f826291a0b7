from decimal import Decimal
from types import SimpleNamespace

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.accounts.choices import Role
from zrunva.analytics import simulation
from zrunva.analytics.models import Scenario
from zrunva.core.forms import DateInput
from zrunva.programmes.forms import RULE_ATTRS


def colleagues(actor):
    """Users who may run simulations, the actor left out: those a scenario may be shared with."""
    roles = [
        role
        for role in Role.values
        if permissions.has_perm(
            SimpleNamespace(is_authenticated=True, is_active=True, role=role),
            permissions.SIMULATION_RUN,
        )
    ]
    return (
        get_user_model()
        .objects.filter(role__in=roles, is_active=True)
        .exclude(pk=actor.pk)
        .order_by("username")
    )


class ScenarioForm(forms.ModelForm):
    class Meta:
        model = Scenario
        fields = [
            "name",
            "description",
            "on",
            "poverty_share",
            "poverty_line",
            "budget_cap",
            "shared",
            "shared_with",
        ]
        widgets = {
            "on": DateInput,
            "description": forms.Textarea(attrs={"rows": 3}),
            "shared_with": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_with"].queryset = colleagues(actor)
        self.fields["shared_with"].label_from_instance = lambda u: u.get_full_name() or u.username

    def _post_clean(self):
        """Validated by `scenario_create` / `scenario_update`."""


def _plain(value) -> str:
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number == number.to_integral() else f"{number:f}"


class ChangeForm(forms.Form):
    """One programme as the scenario changes it: a field per parameter its rules read, with the
    value on the scenario's date (or the scenario's), and its two rules as text."""

    criteria = forms.CharField(
        label=_("Eligibility criteria"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=RULE_ATTRS),
        help_text=_("Add or remove conditions in the rule language; leave as it is to keep it."),
    )
    formula = forms.CharField(
        label=_("Benefit formula"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs=RULE_ATTRS),
    )

    def __init__(self, *args, compiled, change=None, units: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.compiled = compiled
        own = change.parameters if change else {}
        self.fields["criteria"].initial = (
            change.criteria if change else ""
        ) or compiled.criteria.text
        self.fields["formula"].initial = (change.formula if change else "") or compiled.formula.text
        texts = [self.fields["criteria"].initial, self.fields["formula"].initial]
        self.codes = simulation.parameters_read(*texts)
        for code in self.codes:
            current = compiled.params.get(code)
            unit = units.get(code, "")
            low, high = simulation.parameter_range(unit)
            self.fields[f"param_{code}"] = forms.CharField(
                label=f"param.{code}",
                required=False,
                initial=_plain(own.get(code, current)) if current is not None else "",
                help_text=_("Now %(value)s %(unit)s; from %(low)s to %(high)s.")
                % {
                    "value": _plain(current) if current is not None else "—",
                    "unit": unit,
                    "low": f"{low.normalize():,f}",
                    "high": f"{high.normalize():,f}",
                },
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )

    def changes(self) -> dict:
        """What differs from the programme as in force: parameters, and each rule text."""
        data = self.cleaned_data
        parameters = {}
        for code in self.codes:
            value = (data.get(f"param_{code}") or "").strip()
            current = self.compiled.params.get(code)
            if value == "":
                continue
            try:
                same = current is not None and Decimal(value.replace(",", ".")) == Decimal(
                    str(current)
                )
            except ArithmeticError:
                same = False
            if not same:
                parameters[code] = value
        rules = {}
        for name, own in (("criteria", self.compiled.criteria), ("formula", self.compiled.formula)):
            text = (data.get(name) or "").strip()
            rules[name] = "" if " ".join(text.split()) == " ".join(own.text.split()) else text
        return {"parameters": parameters, **rules}

    def add_service_errors(self, exc) -> None:
        if hasattr(exc, "error_dict"):
            for key, errors in exc.error_dict.items():
                name = f"param_{key.split('.', 1)[1]}" if key.startswith("parameters.") else key
                self.add_error(name if name in self.fields else None, errors)
        else:
            self.add_error(None, exc)


class CompareForm(forms.Form):
    scenario = forms.TypedMultipleChoiceField(
        label=_("Scenarios"), coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scenario"].choices = choices

    def clean_scenario(self):
        chosen = self.cleaned_data["scenario"]
        from zrunva.analytics.scenarios import COMPARED_AT_MOST

        if len(chosen) > COMPARED_AT_MOST:
            raise forms.ValidationError(
                _("Compare at most %(n)s scenarios at a time.") % {"n": COMPARED_AT_MOST}
            )
        return chosen


class HouseholdOpenForm(forms.Form):
    household = forms.IntegerField(label=_("Household number"), min_value=1)
