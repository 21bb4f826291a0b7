from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from zrunva.accounts.choices import Role
from zrunva.core import hours
from zrunva.geo.models import Municipality, Settlement
from zrunva.services import selectors
from zrunva.services.choices import Language
from zrunva.services.models import Provider, Service, ServiceType, TargetGroup


class HoursField(forms.CharField):
    """Opening hours typed as lines (`core.hours`), kept as the stored list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        return hours.text(value) if isinstance(value, list) else value

    def to_python(self, value):
        return hours.parse(super().to_python(value))

    def display(self, values: list[str]) -> str:
        """Submitted lines as people read them, for a version's page."""
        try:
            return "; ".join(hours.readable(hours.parse(values[-1] if values else "")))
        except ValidationError:
            return values[-1]


class ProviderForm(forms.ModelForm):
    class Meta:
        model = Provider
        fields = [
            "kind",
            "name_ka",
            "name_en",
            "identification_code",
            "municipality",
            "address_ka",
            "address_en",
            "phone",
            "email",
            "website",
            "organisation",
        ]

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.by_name()
        self.fields["municipality"].label_from_instance = lambda m: m.name
        if actor is not None and actor.role != Role.ADMIN:
            # Who edits a provider and who approves it follow from its organisation and kind:
            # an administrator's to set, never its own staff's or its approvers'.
            del self.fields["organisation"]
            del self.fields["kind"]


class ServiceForm(forms.ModelForm):
    opening_hours = HoursField(label=_("Opening hours"), required=False, help_text=hours.HELP)
    languages = forms.MultipleChoiceField(
        label=_("Languages"),
        choices=Language.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Service
        fields = [
            "provider",
            "service_type",
            "name_ka",
            "name_en",
            "target_groups",
            "description_ka",
            "description_en",
            "eligibility_ka",
            "eligibility_en",
            "how_to_apply_ka",
            "how_to_apply_en",
            "referral_required",
            "cost",
            "cost_note_ka",
            "cost_note_en",
            "capacity",
            "admitted",
            "waiting",
            "opening_hours",
            "languages",
            "step_free",
            "accessible_toilet",
            "sign_language",
            "easy_read",
            "accessible_parking",
            "municipality",
            "settlement",
            "address_ka",
            "address_en",
            "latitude",
            "longitude",
            "phone",
            "email",
        ]
        widgets = {
            "target_groups": forms.CheckboxSelectMultiple,
            "description_ka": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "eligibility_ka": forms.Textarea(attrs={"rows": 2}),
            "eligibility_en": forms.Textarea(attrs={"rows": 2}),
            "how_to_apply_ka": forms.Textarea(attrs={"rows": 2}),
            "how_to_apply_en": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if actor is not None:
            # Only the providers the actor edits: a provider's staff, their own.
            self.fields["provider"].queryset = selectors.editable_providers(actor=actor)
        self.fields["service_type"].queryset = ServiceType.objects.by_name()
        self.fields["target_groups"].queryset = TargetGroup.objects.by_name()
        self.fields["municipality"].queryset = Municipality.objects.by_name()
        settlements = Settlement.objects.filter(is_synthetic=False).select_related("municipality")
        self.fields["settlement"].queryset = settlements
        for name in ("service_type", "target_groups", "municipality", "provider"):
            self.fields[name].label_from_instance = lambda o: o.name
