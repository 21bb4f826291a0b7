import uuid

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zrunva.applications.forms import PERSONAL_NUMBER, ApplicationForm
from zrunva.core.casework import normalised_number
from zrunva.core.validators import contact_required


class ApplyForm(ApplicationForm):
    """The citizen's own application. `submission_key` is this form's one-time key: sent twice,
    it finds the application it already made."""

    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("submission_key", uuid.uuid4())
        kwargs["initial"].setdefault("language", get_language() or "ka")
        super().__init__(*args, **kwargs)
        self.fields["personal_number"].help_text = _("The 11 digits on your ID card.")
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
        self.fields["programme"].label_from_instance = lambda p: (
            f"{p.name} ({p.municipality.name})" if p.municipality_id else p.name
        )
        self.fields["programme"].queryset = self.programmes.select_related("municipality")

    def clean(self):
        data = super().clean()
        # The service's rule, checked here too so that it shows with the form's other errors.
        try:
            contact_required(data.get("phone", ""), data.get("email", ""))
        except ValidationError as error:
            self.add_error(None, error)
        return data


class StatusForm(forms.Form):
    number = forms.RegexField(
        label=_("Application number"),
        regex=r"^\s*[Zz][Rr]-?[0-9A-Za-z]{5}-?[0-9A-Za-z]{5}\s*$",
        help_text=_("As on your confirmation, e.g. ZR-7K2QD-M4XPA."),
        error_messages={"invalid": _("An application number looks like ZR-7K2QD-M4XPA.")},
    )
    personal_number = forms.CharField(label=_("Personal number"), **PERSONAL_NUMBER)

    def clean_number(self) -> str:
        return normalised_number(self.cleaned_data["number"], "ZR")
