from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zrunva.accounts.choices import Role
from zrunva.core import hours
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality, Settlement
from zrunva.services import selectors
from zrunva.services.choices import Language
from zrunva.services.models import (
    Provider,
    Service,
    ServiceType,
    StandardVersion,
    TargetGroup,
    score_check,
    visit_date_check,
)
from zrunva.services.services import evidence_field, score_field


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


# -- Service standards and assessments ---------------------------------------------------------


class AssessmentStartForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    version = forms.ModelChoiceField(
        label=_("Standard"), queryset=StandardVersion.objects.none(), empty_label=None
    )
    visit_date = forms.DateField(
        label=_("Date of the visit"), widget=DateInput(), validators=[visit_date_check]
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = selectors.assessable_services(actor=actor)
        self.fields["service"].label_from_instance = lambda s: (
            f"{s.name} ({s.provider.name}, {s.municipality.name})"
        )
        self.fields["version"].queryset = selectors.published_versions()


def _score_validator(maximum: int):
    def validate(value):
        score_check(value, maximum)

    return validate


class AssessmentScoreForm(forms.Form):
    """A draft's visit date and, per criterion of its standard's version, a score (0 to the
    criterion's highest, `score_check`) and the evidence for it. `areas` groups the fields."""

    visit_date = forms.DateField(
        label=_("Date of the visit"), widget=DateInput(), validators=[visit_date_check]
    )

    def __init__(self, *args, assessment, **kwargs):
        rows = {s.criterion_id: s for s in assessment.scores.all()}
        initial = {"visit_date": assessment.visit_date}
        for criterion_id, row in rows.items():
            initial[score_field(criterion_id)] = row.score
            initial[evidence_field(criterion_id)] = row.evidence
        super().__init__(*args, initial=initial, **kwargs)
        self.areas = []
        for area in selectors.version_checklist(assessment.version):
            fields = []
            for criterion in area.criteria.all():
                score, evidence = score_field(criterion.pk), evidence_field(criterion.pk)
                self.fields[score] = forms.IntegerField(
                    label=_("Score %(number)s (0 to %(max)s)")
                    % {"number": f"{area.order}.{criterion.order}", "max": criterion.max_score},
                    required=False,
                    widget=forms.NumberInput(attrs={"min": 0, "max": criterion.max_score}),
                    validators=[_score_validator(criterion.max_score)],
                )
                self.fields[evidence] = forms.CharField(
                    label=_("Evidence %(number)s") % {"number": f"{area.order}.{criterion.order}"},
                    required=False,
                    max_length=4000,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                fields.append((criterion, self[score], self[evidence]))
            self.areas.append((area, fields))

    def scores(self) -> dict[int, tuple[int | None, str]]:
        """The cleaned scores and evidence by criterion id, for `assessment_score`."""
        data = self.cleaned_data
        return {
            criterion.pk: (data.get(score.name), data.get(evidence.name) or "")
            for _area, fields in self.areas
            for criterion, score, evidence in fields
        }


class ImprovementActionForm(forms.Form):
    text = forms.CharField(
        label=pgettext_lazy("of an improvement plan", "Action"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    responsible = forms.CharField(label=_("Responsible"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())


class ActionDoneForm(forms.Form):
    done_on = forms.DateField(label=_("Done on"), widget=DateInput())
    note = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TrendsForm(forms.Form):
    provider = forms.ModelChoiceField(
        label=_("Provider"),
        queryset=Provider.objects.none(),
        required=False,
        empty_label=_("(every provider)"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.filter(
            pk__in=selectors.assessable_services(actor=actor).values("provider")
        ).by_name()
        self.fields["provider"].label_from_instance = lambda p: p.name
