from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.integration.merges import REASON_MAX


class MergeFindForm(forms.Form):
    """The other record to merge with this one, and which of the two stays."""

    other = forms.CharField(
        label=_("The other record: personal number or record number"),
        max_length=11,
        help_text=_("An 11-digit personal number, or the number shown on the record's page."),
    )
    keep = forms.ChoiceField(
        label=_("Which record stays"),
        choices=[
            ("this", _("This record stays; the other is merged into it")),
            ("other", _("The other record stays; this one is merged into it")),
        ],
        initial="this",
        widget=forms.RadioSelect,
    )

    def clean_other(self):
        value = self.cleaned_data["other"].strip().lstrip("№")
        if not value.isdigit():
            raise forms.ValidationError(_("Write digits only."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=REASON_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
