"""The forms check only that what is required was given; the rules (formats, appeals, scope)
are the services', so the pages and the API give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.geo.models import Municipality
from zrunva.grievances.choices import Category, Language, Status
from zrunva.grievances.models import Grievance


def _required(name: str) -> dict:
    """The model's own message for a missing value, so a form and the service say the same."""
    return {"required": Grievance._meta.get_field(name).error_messages["blank"]}


class GrievanceForm(forms.Form):
    """A grievance, as the complainant gives it: on the portal, or to staff at an office."""

    personal_number = forms.CharField(
        label=_("Personal number"),
        max_length=11,
        error_messages=_required("personal_number"),
        help_text=_("11 digits, as on the ID card."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label=_("First name"),
        max_length=120,
        error_messages=_required("first_name"),
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=120,
        error_messages=_required("last_name"),
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "email"}),
    )
    language = forms.ChoiceField(
        label=_("Language for the answer"),
        choices=Language.choices,
        error_messages={"invalid_choice": _("Choose Georgian or English.")},
    )
    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[("", _("Choose…")), *Category.choices],
        error_messages={
            **_required("category"),
            "invalid_choice": _("Choose what the grievance is about."),
        },
    )
    application = forms.CharField(
        label=_("Application number"),
        max_length=20,
        required=False,
        help_text=_(
            "Needed for an appeal against a decision: the number of the application decided, "
            "e.g. ZR-4K7PQ-M2XA9."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.none(),
        required=False,
        help_text=_("Where you live. Not needed with an application number: its office answers."),
        error_messages={"invalid_choice": _("Choose the municipality.")},
    )
    reference = forms.CharField(
        label=_("Other record"),
        max_length=60,
        required=False,
        help_text=Grievance._meta.get_field("reference").help_text,
    )
    text = forms.CharField(
        label=_("Your grievance"),
        max_length=4000,
        error_messages=_required("text"),
        help_text=_("What happened, and what you ask for. At most 4000 characters."),
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        places = Municipality.objects.by_name()
        if actor is not None:
            places = permissions.scoped(places, actor, "id")
            self.fields["text"].label = _("The grievance")
            self.fields["language"].label = _("Language for letters and messages")
        self.fields["municipality"].queryset = places

    def filing(self) -> dict:
        """The keyword arguments of `grievance_file` this form gives."""
        data = self.cleaned_data
        names = ("personal_number", "first_name", "last_name", "phone", "email", "language")
        return {
            "complainant": {name: data[name] for name in names},
            "category": data["category"],
            "text": data["text"],
            "municipality": data["municipality"],
            "application_number": data["application"],
            "reference": data["reference"],
        }


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every unresolved status")), *Status.choices],
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)


class AssignForm(forms.Form):
    assigned_to = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=None,
        empty_label=_("Choose…"),
        error_messages={
            "required": _("Choose who handles the grievance."),
            "invalid_choice": _("Choose someone from the list."),
        },
    )

    def __init__(self, *args, assignees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = assignees
        self.fields["assigned_to"].label_from_instance = lambda u: u.get_full_name() or u.username


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Answer to the complainant"),
        max_length=4000,
        error_messages={"required": _("Write the answer to the complainant.")},
        help_text=_("Sent to the complainant by SMS or e-mail, and shown on the portal."),
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class StatusForm(forms.Form):
    number = forms.CharField(
        label=_("Grievance number"),
        max_length=20,
        error_messages={"required": _("Enter the grievance number.")},
        help_text=_("As in the message we sent, e.g. GR-4K7PQ-M2XA9."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    personal_number = forms.CharField(
        label=_("Personal number"),
        max_length=11,
        error_messages={"required": _("Enter your personal number.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
