from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zrunva.accounts import permissions
from zrunva.core.forms import DateInput
from zrunva.core.validators import iban_validator, personal_number_validator
from zrunva.payments.choices import (
    JOB_SUSPENSION_REASONS,
    PaymentMethod,
    ReconciliationKind,
    SuspensionReason,
)
from zrunva.programmes.models import Programme


class AccountForm(forms.Form):
    """Where a beneficiary is paid from a date. The service checks the holder's mandate and the
    dates; the IBAN rule is the model's (zrunva.core.validators)."""

    method = forms.ChoiceField(
        label=_("Paid by"),
        choices=PaymentMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a bank account or cash at the post office.")},
    )
    iban = forms.CharField(
        label=_("IBAN"),
        required=False,
        max_length=40,
        validators=[iban_validator],
        help_text=_("For a bank account: 22 characters, e.g. GE29 NB00 0000 0101 9049 17."),
    )
    post_office = forms.CharField(
        label=_("Post office"),
        required=False,
        max_length=200,
        help_text=_("For cash: the branch where the beneficiary collects it, e.g. Kutaisi 4600."),
    )
    holder_personal_number = forms.CharField(
        label=_("Account holder's personal number"),
        required=False,
        max_length=11,
        validators=[personal_number_validator],
        help_text=_(
            "Leave empty if the beneficiary holds the account; otherwise their representative's "
            "(recorded in the registry)."
        ),
    )
    valid_from = forms.DateField(label=_("Paid here from"), widget=DateInput)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Why the account changes, e.g. the beneficiary's written request."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("valid_from", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["iban"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["holder_personal_number"].widget.attrs["inputmode"] = "numeric"


class PayrollStartForm(forms.Form):
    month = forms.DateField(
        label=_("Month"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The month paid, e.g. 2027-01."),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme"),
        queryset=Programme.objects.none(),
        required=False,
        empty_label=_("Every programme your office pays"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        active = Programme.objects.filter(is_active=True).order_by("code")
        self.fields["programme"].queryset = permissions.processed(active, actor, "municipality_id")


class PayrollCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for an approved payroll."),
    )


class AnswerForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Format"), choices=ReconciliationKind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("The bank's answer"),
        help_text=_("camt.054 XML, or CSV with end_to_end_id, amount, currency, status, reason."),
    )


class ReportForm(forms.Form):
    since = forms.DateField(
        label=_("From the month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
    )


class SuspendForm(forms.Form):
    """An officer suspends an enrolment's payment; money not collected and expired assessments
    are the daily job's."""

    prefix = "suspend"  # one page holds several of these forms: distinct field ids
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "—")]
        + [(r.value, r.label) for r in SuspensionReason if r not in JOB_SUSPENSION_REASONS],
        error_messages={"required": _("Choose why the payment is suspended.")},
    )
    starts = forms.DateField(
        label=_("Suspended from"),
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d"],
        help_text=_("The first month not paid: this month or a later one."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What the office was told, and by whom. Required for “Other”."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("starts", timezone.localdate())
        super().__init__(*args, **kwargs)


class ResumeForm(forms.Form):
    prefix = "resume"
    release = forms.TypedChoiceField(
        label=_("The months suspended"),
        choices=[("1", _("Pay them with the next payroll")), ("0", _("Do not pay them"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the months are not paid: why."),
    )


class RecoveryForm(forms.Form):
    prefix = "recovery"
    amount = forms.DecimalField(
        label=_("Amount overpaid, GEL"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    note = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How the overpayment was found, e.g. a declaration found false on review."),
    )


class RecoveryCancelForm(forms.Form):
    prefix = "cancel"
    reason = forms.CharField(
        label=_("Reason for cancelling"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
