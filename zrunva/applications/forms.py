from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.applications.choices import FINAL, Status
from zrunva.applications.services import CONSENT_PURPOSE
from zrunva.core.forms import DateInput
from zrunva.geo.models import Municipality
from zrunva.programmes.models import Programme


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every open status"))]
        + [(s.value, s.label) for s in Status if s not in FINAL],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=Status.choices)
    household = forms.IntegerField(
        label=_("Household number in the registry"),
        required=False,
        min_value=1,
        help_text=_("Needed to register the application: the household it is for."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For a refusal: the reasons, which the applicant's decision letter gives."),
    )

    def __init__(self, *args, options, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"].choices = [(s, Status(s).label) for s in options]


class IntakeForm(forms.Form):
    """An application entered at an office for the applicant, as most are today."""

    programme = forms.ModelChoiceField(label=_("Programme"), queryset=Programme.objects.none())
    municipality = forms.ModelChoiceField(
        label=_("Municipality"), queryset=Municipality.objects.none()
    )
    personal_number = forms.RegexField(
        label=_("Personal number"),
        regex=r"^\d{11}$",
        error_messages={"invalid": _("A personal number has 11 digits.")},
    )
    first_name = forms.CharField(label=_("First name"), max_length=120)
    last_name = forms.CharField(label=_("Last name"), max_length=120)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    language = forms.ChoiceField(
        label=_("Language for letters and messages"),
        choices=[("ka", "ქართული"), ("en", "English")],
    )
    consent = forms.BooleanField(
        label=_("The applicant consents to the processing of their data for this application"),
        required=False,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        programmes = Programme.objects.filter(is_active=True).order_by("code")
        self.fields["programme"].queryset = permissions.processed(
            programmes, actor, "municipality_id"
        )
        places = Municipality.objects.order_by("name_en")
        self.fields["municipality"].queryset = permissions.scoped(places, actor, "id")
        self.fields["consent"].help_text = CONSENT_PURPOSE

    def applicant(self) -> dict:
        names = ("personal_number", "first_name", "last_name", "birth_date", "phone", "email")
        return {name: self.cleaned_data[name] for name in (*names, "language")}
