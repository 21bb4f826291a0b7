from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.applications.choices import FINAL, Status


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
