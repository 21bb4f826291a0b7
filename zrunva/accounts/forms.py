from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.geo.models import Municipality


class CodeForm(forms.Form):
    """The six-digit code an authenticator app shows."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        help_text=_("Six digits, for example 123456. A new code appears every 30 seconds."),
        max_length=9,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "input--code",
                "autofocus": True,
            }
        ),
    )


LANGUAGES = [("ka", "ქართული"), ("en", "English")]


class InvitationForm(forms.Form):
    """Whom to invite: their names and e-mail address, the language of the e-mail, and (for an
    administrator) the role."""

    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("E-mail"))
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=LANGUAGES)
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
        if len(roles) == 1:
            self.fields["role"].initial = roles[0][0]
            self.fields["role"].widget = forms.HiddenInput()


class OrganisationForm(InvitationForm):
    """A new organisation and its first user's invitation."""

    name_ka = forms.CharField(label=_("Name (Georgian)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    municipalities = forms.ModelMultipleChoiceField(
        label=_("Municipalities served"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    field_order = ["name_ka", "name_en", "municipalities"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipalities"].queryset = Municipality.objects.by_name()
        self.fields["municipalities"].label_from_instance = lambda m: m.name
        for name in ("first_name", "last_name", "email"):
            self.fields[name].label = {
                "first_name": _("First user: first name"),
                "last_name": _("First user: last name"),
                "email": _("First user: e-mail"),
            }[name]


class AcceptForm(forms.Form):
    """The invited person's user name and password."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") != data["password1"]:
            self.add_error("password2", _("The two passwords differ."))
        return data
