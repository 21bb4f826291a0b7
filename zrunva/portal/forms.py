import re
import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zrunva.applications.forms import PERSONAL_NUMBER, ApplicationForm
from zrunva.applications.models import Application
from zrunva.core.casework import normalised_number
from zrunva.core.forms import DateInput
from zrunva.core.validators import birth_date_validator, contact_required

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
