from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality
from zrunva.registry.choices import Relationship, Sex
from zrunva.registry.models import Household, IncomeSource, Person, Representative
from zrunva.registry.selectors import person_by_number, settlement_options
from zrunva.registry.services import HEALTH_FIELDS, HOUSEHOLD_FIELDS, PERSON_FIELDS


def _limit_places(form: forms.ModelForm, actor) -> None:
    """Offer only the municipalities (and their settlements) in the actor's area, and among the
    settlements only the chosen municipality's. The municipality select asks for its
    settlements' options when it changes (htmx, `views.settlement_options`); without
    JavaScript the list is the whole area's until the form comes back, and the model's `clean`
    refuses a settlement of another municipality either way."""
    scope = permissions.municipality_scope(actor)
    municipalities = Municipality.objects.by_name()
    if scope is not None:
        municipalities = municipalities.filter(id__in=scope)
    form.fields["municipality"].queryset = municipalities
    field = form.fields["settlement"]
    # Validation takes any settlement in the area, so a mismatch gets the model's message.
    field.queryset = settlement_options(actor=actor)
    chosen = _chosen_municipality(form, scope)
    if chosen is None:
        field.label_from_instance = lambda s: f"{s.name} ({s.municipality.name})"
    else:
        field.widget.choices = [("", field.empty_label or "---------")] + [
            (s.pk, s.name) for s in settlement_options(actor=actor, municipality_id=chosen)
        ]
    form.fields["municipality"].widget.attrs.update(
        {
            "hx-get": reverse("registry:settlement_options"),
            "hx-trigger": "change",
            "hx-target": f"#{form['settlement'].auto_id}",
            "hx-swap": "innerHTML",
        }
    )


def _chosen_municipality(form: forms.ModelForm, scope) -> int | None:
    """The municipality the form holds: sent, given as initial, the record's, or the only one
    in the actor's area."""
    if form.is_bound:
        value = form.data.get(form.add_prefix("municipality"), "")
    else:
        value = form.initial.get("municipality") or getattr(form.instance, "municipality_id", None)
        if not value and scope is not None and len(scope) == 1:
            value = next(iter(scope))
            form.initial["municipality"] = value
    value = getattr(value, "pk", value)
    return int(value) if str(value or "").isdigit() else None


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = [f.name for f in Household._meta.concrete_fields if f.name in HOUSEHOLD_FIELDS]

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_places(self, actor)


class PersonForm(forms.ModelForm):
    class Meta:
        model = Person
        fields = [f.name for f in Person._meta.concrete_fields if f.name in PERSON_FIELDS]
        widgets = {"birth_date": DateInput(), "date_of_death": DateInput()}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        if not permissions.sees_health(actor):
            for name in HEALTH_FIELDS:
                del self.fields[name]

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["personal_number"] = data.get("personal_number") or None
        return data


class MemberForm(forms.Form):
    relationship = forms.ChoiceField(
        label=_("Relationship to the head"),
        choices=[("", _("Choose…"))]
        + [c for c in Relationship.choices if c[0] != Relationship.HEAD],
    )
    existing_personal_number = forms.CharField(
        label=_("Personal number of a person already registered"),
        max_length=11,
        required=False,
        help_text=_("Leave empty to register a new person below."),
    )
    start_date = forms.DateField(label=_("Member from"), widget=DateInput(), required=False)


class MoveForm(forms.Form):
    household_id = forms.IntegerField(label=_("Household number to move to"), min_value=1)
    relationship = forms.ChoiceField(
        label=_("Relationship to that household's head"),
        choices=[("", _("Choose…"))]
        + [c for c in Relationship.choices if c[0] != Relationship.HEAD],
    )
    on = forms.DateField(label=_("From"), widget=DateInput(), required=False)


class SplitForm(forms.ModelForm):
    members = forms.ModelMultipleChoiceField(
        label=_("Members who leave"),
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    head = forms.ModelChoiceField(
        label=_("Head of the new household"), queryset=Person.objects.none()
    )
    on = forms.DateField(label=_("From"), widget=DateInput(), required=False)

    class Meta(HouseholdForm.Meta):
        fields = ["municipality", "settlement", "address", "dwelling_type", "dwelling_tenure"]

    def __init__(self, *args, actor, household, **kwargs):
        super().__init__(*args, **kwargs)
        _limit_places(self, actor)
        # Current members but the head, who stays (services.household_split).
        people = Person.objects.filter(
            memberships__in=household.memberships.filter(end_date__isnull=True).exclude(
                relationship=Relationship.HEAD
            )
        )
        self.fields["members"].queryset = people
        self.fields["head"].queryset = people


NOT_FOUND = _("No person with this personal number is registered in your area.")


class IncomeForm(forms.ModelForm):
    class Meta:
        model = IncomeSource
        fields = ["kind", "monthly_amount", "since"]
        widgets = {"since": DateInput()}


class IncomeEndForm(forms.Form):
    on = forms.DateField(
        label=_("Ends on"),
        widget=DateInput(),
        help_text=_(
            "The first day the income is no longer received: the means test does not count it "
            "from this day."
        ),
    )


class RepresentativeEndForm(forms.Form):
    on = forms.DateField(
        label=_("Last day of the mandate"),
        widget=DateInput(),
        help_text=_("The representative may no longer act for the person after this day."),
    )


class RepresentativeForm(forms.ModelForm):
    representative_personal_number = forms.CharField(
        label=_("Representative's personal number"), max_length=11
    )

    class Meta:
        model = Representative
        fields = ["kind", "basis", "valid_from", "valid_until"]
        widgets = {"valid_from": DateInput(), "valid_until": DateInput()}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor

    def clean_representative_personal_number(self):
        number = self.cleaned_data["representative_personal_number"]
        person = person_by_number(
            actor=self.actor, personal_number=number, purpose="representative_add"
        )
        if person is None:
            raise forms.ValidationError(NOT_FOUND)
        return person


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or personal number"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        empty_label=_("Any"),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("Any")), *Sex.choices], required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # In the page's alphabet (the class's queryset is built once, in no language).
        self.fields["municipality"].queryset = Municipality.objects.by_name()


class HouseholdFilterForm(forms.Form):
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        empty_label=_("Any"),
    )
    active = forms.ChoiceField(
        label=_("Status"),
        choices=[("1", _("Active")), ("0", _("Closed")), ("", _("Any"))],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.by_name()


class HeadForm(forms.Form):
    new_head = forms.ModelChoiceField(
        label=_("New head of household"), queryset=Person.objects.none()
    )
    old_head_relationship = forms.ChoiceField(
        label=_("The former head's relationship to the new head"),
        choices=[("", _("Choose…"))]
        + [c for c in Relationship.choices if c[0] != Relationship.HEAD],
    )

    def __init__(self, *args, household, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head"].queryset = Person.objects.filter(
            memberships__in=household.memberships.filter(end_date__isnull=True).exclude(
                relationship=Relationship.HEAD
            )
        )


# How household, person and membership fields are grouped on forms and record pages (display
# only), registered in the `field_groups` slot by `RegistryConfig.ready()`.
FIELD_GROUPS = {
    "household": [
        (_("Address"), ["municipality", "settlement", "address"]),
        (
            _("Dwelling"),
            ["dwelling_type", "dwelling_tenure", "dwelling_condition", "rooms", "floor_area_m2"],
        ),
        (
            _("Utilities"),
            ["has_gas", "has_piped_water", "has_sewerage", "monthly_utility_spending"],
        ),
        (
            _("Assets"),
            ["extra_dwellings", "agricultural_land_ha", "cattle", "small_livestock", "cars"],
        ),
    ],
    "split": [
        (_("Who leaves"), ["members", "head", "on"]),
        (_("Address of the new household"), ["municipality", "settlement", "address"]),
        (_("Dwelling"), ["dwelling_type", "dwelling_tenure"]),
    ],
    "member": [
        (_("Membership"), ["relationship", "start_date"]),
        (_("A person already in the registry"), ["existing_personal_number"]),
    ],
    "person": [
        (_("Name"), ["first_name", "last_name"]),
        (_("Identity"), ["personal_number", "alt_id_kind", "alt_id_number"]),
        (
            _("Personal details"),
            ["birth_date", "sex", "citizenship", "date_of_death"],
        ),
        (_("Health and disability"), ["disability_degree", "chronic_illness"]),
        (
            _("Work, pension and status"),
            ["employment_status", "pension_kind", "pension_amount", "is_idp"],
        ),
    ],
}
