from django import forms
from django.utils.translation import gettext_lazy as _

from zrunva.notifications.models import MessageStatus


class OutboxFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status"))] + list(MessageStatus.choices),
    )
