import re
import uuid
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zrunva.applications.forms import PERSONAL_NUMBER, ApplicationForm
from zrunva.applications.models import Application
from zrunva.applications.services import MEMBERS_MAX
from zrunva.core import numbers
from zrunva.core.casework import normalised_number
from zrunva.core.forms import DateInput
from zrunva.core.validators import FIRST_LIFE_DAY, birth_date_validator, contact_required
from zrunva.geo.models import Municipality
from zrunva.programmes import attributes
from zrunva.registry.choices import DisabilityDegree, PensionKind, Sex

# An application number as a citizen may type it: what `normalised_number` reads as one, i.e.
# ZR and 10 letters or digits, in any case, with spaces or dashes anywhere ("ZR 7K2QD M4XPA",
# "zr-7k2qd-m4xpa"). Published as the API's pattern; `application_number` applies it.
APPLICATION_NUMBER_PATTERN = r"^[\s-]*[Zz][\s-]*[Rr](?:[\s-]*[0-9A-Za-z]){10}[\s-]*$"
APPLICATION_NUMBER_MESSAGE = _("An application number looks like ZR-7K2QD-M4XPA.")


def application_number(value: str) -> str:
    """An application number as typed, written the one way it is stored (ZR-XXXXX-XXXXX);
    ValidationError for anything that is not one. The forms and the API read numbers with it."""
    if not isinstance(value, str) or not re.fullmatch(APPLICATION_NUMBER_PATTERN, value):
        raise ValidationError(APPLICATION_NUMBER_MESSAGE, code="invalid")
    return normalised_number(value, Application.PREFIX)


class ApplicationNumberField(forms.CharField):
    """Where a citizen types their application number: cleaned to its stored form."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Application number"))
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault("help_text", _("As on your confirmation, e.g. ZR-7K2QD-M4XPA."))
        super().__init__(**kwargs)
        self.widget.attrs.update(autocapitalize="characters", spellcheck="false")

    def clean(self, value) -> str:
        return application_number(super().clean(value))


class ApplyForm(ApplicationForm):
    """The citizen's own application. `submission_key` is this form's one-time key: sent twice,
    it finds the application it already made."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, held: list[dict] | None = None, **kwargs):
        # The documents kept from this form's earlier sending (zrunva.portal.services).
        self.held = held or []
        self.held_count = len(self.held)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("submission_key", uuid.uuid4())
        kwargs["initial"].setdefault("language", get_language() or "ka")
        super().__init__(*args, **kwargs)
        self.fields["personal_number"].help_text = _("The 11 digits on your ID card.")
        self.fields["documents"].help_text = _(
            "PDF, JPEG or PNG, up to 5 files of 5 MB each: e.g. a disability status certificate "
            "or an income statement. Files accepted are kept if the page shows an error: you do "
            "not need to choose them again."
        )
        # The applicant's own details: browsers may fill them in (WCAG 2.1, 1.3.5).
        purposes = {
            "personal_number": "off",
            "first_name": "given-name",
            "last_name": "family-name",
            "birth_date": "bday",
            "phone": "tel",
            "email": "email",
        }
        for name, purpose in purposes.items():
            self.fields[name].widget.attrs["autocomplete"] = purpose
        self.fields["personal_number"].widget.attrs["inputmode"] = "numeric"
        self.fields["phone"].widget.input_type = "tel"
        self.fields["email"].widget.input_type = "email"
        self.fields["consent"].label = _(
            "I consent to the processing of my data and my household's for this application"
        )

    def clean(self):
        data = super().clean()
        # The service's rule, checked here too so that it shows with the form's other errors.
        try:
            contact_required(data.get("phone", ""), data.get("email", ""))
        except ValidationError as error:
            self.add_error(None, error)
        return data


class StatusForm(forms.Form):
    number = ApplicationNumberField()
    personal_number = forms.CharField(label=_("Personal number"), **PERSONAL_NUMBER)


class LostNumberForm(forms.Form):
    """ "I lost my number": who the applicant is. The number goes only to the contact details
    on their applications, so nothing here is about where to send it."""

    personal_number = forms.CharField(label=_("Personal number"), **PERSONAL_NUMBER)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=DateInput, validators=[birth_date_validator]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["personal_number"].help_text = _("The 11 digits on your ID card.")
        self.fields["personal_number"].widget.attrs.update(autocomplete="off", inputmode="numeric")
        self.fields["birth_date"].widget.attrs["autocomplete"] = "bday"


# -- The rights screener ---------------------------------------------------------------------
# Anonymous answers about a household, turned into the data the officers' engine reads
# (`zrunva.programmes.eligibility.data_explanation`). Bounds are the rule catalogue's, so the
# screener refuses what a registry record could not hold.

HIGHLAND_ANSWERS = {"no": False, "yes": True, "unknown": None}


def _catalogue_high(reference: str) -> int:
    return int(attributes.ATTRIBUTES[reference].bounds.high)


def oldest_age(on: date) -> int:
    """The highest age the screener takes: the catalogue's, and born on the first life day the
    registry accepts at the earliest."""
    return min(_catalogue_high("person.age"), on.year - FIRST_LIFE_DAY.year - 1)


def birth_date_for_age(age: int, on: date) -> date:
    """A birth date giving `age` completed years on `on` (29 February: the 28th, the same age)."""
    try:
        return on.replace(year=on.year - age)
    except ValueError:
        return on.replace(year=on.year - age, day=28)


class ScreenerForm(forms.Form):
    """The household as a whole: where it lives, its income and its rating score."""

    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        help_text=_("Where your household lives."),
        error_messages={"required": _("Choose the municipality where your household lives.")},
    )
    is_highland = forms.ChoiceField(
        label=_("Do you live in a settlement with highland status?"),
        choices=[("no", _("No")), ("yes", _("Yes")), ("unknown", _("I don't know"))],
        initial="no",
        widget=forms.RadioSelect,
    )
    income = forms.DecimalField(
        label=_("Monthly household income, GEL"),
        min_value=0,
        decimal_places=2,
        help_text=_(
            "Wages and other income of everyone in the household together; pensions and "
            "benefits are not counted."
        ),
        error_messages={"required": _("Give the household's monthly income; 0 if there is none.")},
    )
    rating_score = forms.IntegerField(
        label=_("Your household's latest rating score"),
        required=False,
        min_value=0,
        help_text=_("As in the Social Service Agency's letter after the home visit."),
    )
    score_unknown = forms.BooleanField(
        label=_("I don't know our rating score, or we have none"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].queryset = Municipality.objects.by_name()
        income = self.fields["income"]
        income.max_value = _catalogue_high("person.monthly_income")
        income.validators.append(MaxValueValidator(income.max_value))
        score = self.fields["rating_score"]
        score.max_value = _catalogue_high("household.rating_score")
        score.validators.append(MaxValueValidator(score.max_value))
        between = {"high": numbers.count(score.max_value)}
        message = _("A rating score is a whole number from 0 to %(high)s.") % between
        score.error_messages.update(min_value=message, max_value=message, invalid=message)
        money_message = _("Give an amount from 0 to %(high)s.") % {
            "high": numbers.money(income.max_value)
        }
        income.error_messages.update(min_value=money_message, max_value=money_message)
        self.fields["rating_score"].widget.attrs["inputmode"] = "numeric"
        income.widget.attrs["inputmode"] = "decimal"

    def clean(self):
        data = super().clean()
        known = data.get("rating_score") is not None
        if "rating_score" in data and known == data.get("score_unknown", False):
            self.add_error(
                "rating_score",
                _("Give your household's latest rating score, or tick “I don't know”, not both.")
                if known
                else _("Give your household's latest rating score, or tick “I don't know”."),
            )
        return data

    def household(self) -> dict:
        """The household as the engine reads one given as data."""
        data = self.cleaned_data
        return {
            "municipality": data["municipality"].code,
            "is_highland": HIGHLAND_ANSWERS[data["is_highland"]],
        }

    def score(self) -> float | None:
        """The rating score as the engine reads it: None when not known."""
        score = self.cleaned_data["rating_score"]
        return None if self.cleaned_data["score_unknown"] else float(score)


class ScreenerMemberForm(forms.Form):
    """One member of the household: only what the programmes' rules read, no name."""

    age = forms.IntegerField(label=_("Age in years"), min_value=0)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    disability_degree = forms.ChoiceField(
        label=_("Disability status"),
        choices=DisabilityDegree.choices,
        initial=DisabilityDegree.NONE,
        help_text=_("As medical-social expertise determined it."),
    )
    pension_kind = forms.ChoiceField(
        label=_("Pension received"), choices=PensionKind.choices, initial=PensionKind.NONE
    )
    is_idp = forms.BooleanField(
        label=_("Has the status of an internally displaced person"), required=False
    )

    def __init__(self, *args, on: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.on = on
        age = self.fields["age"]
        age.max_value = oldest_age(on)
        age.validators.append(MaxValueValidator(age.max_value))
        message = _("Give the age in whole years, from 0 to %(high)s.") % {"high": age.max_value}
        age.error_messages.update(
            min_value=message, max_value=message, invalid=message, required=message
        )
        age.widget.attrs["inputmode"] = "numeric"

    def member(self, income) -> dict:
        data = self.cleaned_data
        return {
            "birth_date": birth_date_for_age(data["age"], self.on),
            "sex": data["sex"],
            "disability_degree": data["disability_degree"],
            "pension_kind": data["pension_kind"],
            "is_idp": data["is_idp"],
            "income": float(income),
        }


class BaseScreenerMemberFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if index is not None:  # a member row left empty is an error, never skipped
            kwargs["empty_permitted"] = False
        return kwargs

    def members(self, income) -> list[dict]:
        """The members as the engine reads them. The household's income is the first member's
        (the person answering), the others' none: a rule summing the members' incomes reads the
        household's, as a registry household with one earner would give it."""
        return [form.member(income if index == 0 else 0) for index, form in enumerate(self.forms)]


ScreenerMemberFormSet = forms.formset_factory(
    ScreenerMemberForm,
    formset=BaseScreenerMemberFormSet,
    extra=0,
    min_num=1,
    validate_min=True,
    max_num=MEMBERS_MAX,
    validate_max=True,
)
