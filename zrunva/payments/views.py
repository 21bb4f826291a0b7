"""A beneficiary's payment accounts (the panel on their page, recording a change) and payrolls
(preparing one, following it, checking, approving and cancelling it)."""

import io
import tempfile
from datetime import datetime, time

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.applications import selectors as enrolments
from zrunva.core import charts, numbers
from zrunva.core.forms import form_step
from zrunva.core.htmx import fragment_or_page, is_htmx
from zrunva.core.pagination import paginate
from zrunva.core.trail import access_log, scoped_get, search_log
from zrunva.geo.models import Municipality
from zrunva.payments import cashlists, forms, selectors, services
from zrunva.payments.choices import (
    SENT,
    HoldReason,
    PaymentStatus,
    PayrollStep,
    RecoveryStatus,
)
from zrunva.payments.models import Payment, Recovery, Suspension
from zrunva.payments.payroll import budget_overruns
from zrunva.programmes.models import Programme
from zrunva.registry import selectors as registry

# Held lines and account changes shown on a payroll's page (the rest: the export, next).
HELD_SHOWN = 200
# Months of payments on a person's or household's page.
PANEL_SHOWN = 36


@staff_view(permissions.PAYMENTS_VIEW)
def person_accounts(request, pk: int):
    """The beneficiary's accounts: a fragment for their page (htmx), or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="payments")
    today = timezone.localdate()
    accounts = list(selectors.payment_accounts(actor=request.user, person=person))
    window = settings.PAYMENT_ACCOUNT_REVIEW_DAYS
    recent = timezone.now() - timezone.timedelta(days=window)
    context = {
        "person": person,
        "accounts": accounts,
        "current": next((a for a in accounts if a.valid_until is None), None),
        "recent": [a for a in accounts if a.recorded_at >= recent],
        "review_days": window,
        "today": today,
        "can_edit": permissions.has_perm(request.user, permissions.PAYMENT_ACCOUNTS_EDIT),
    }
    return fragment_or_page(request, "payments/_accounts.html", "payments/accounts.html", context)


@staff_view(permissions.PAYMENT_ACCOUNTS_EDIT)
@require_http_methods(["GET", "POST"])
def account_set(request, pk: int):
    person = registry.person_get(actor=request.user, pk=pk, purpose="edit")
    form = forms.AccountForm(request.POST or None)

    def save(data):
        return services.payment_account_set(
            actor=request.user,
            person=person,
            method=data["method"],
            iban=data["iban"],
            post_office=data["post_office"],
            holder_personal_number=data["holder_personal_number"],
            valid_from=data["valid_from"],
            note=data["note"],
        )

    if request.method == "POST" and form_step(
        request, form, save, _("The payment account is recorded.")
    ):
        return redirect("payments:person_accounts", pk=person.pk)
    return render(request, "payments/account_form.html", {"form": form, "person": person})


# -- Payrolls ------------------------------------------------------------------------------------


@staff_view(permissions.PAYROLL_MANAGE)
@require_http_methods(["GET", "POST"])
def payroll_list(request):
    form = forms.PayrollStartForm(request.POST or None, actor=request.user)

    def start(data):
        return services.payroll_start(
            actor=request.user, month=data["month"].replace(day=1), programme=data["programme"]
        )

    if request.method == "POST":
        started = []
        if form_step(
            request,
            form,
            lambda data: started.append(start(data)),
            _("The payroll is being prepared; this page follows its progress."),
        ):
            return redirect("payments:payroll_detail", pk=started[0].pk)
    page = paginate(
        selectors.payroll_list(actor=request.user),
        number=request.GET.get("page"),
        size=settings.REGISTRY_PAGE_SIZE,
    )
    waiting = None
    if permissions.has_perm(request.user, permissions.RECOVERIES_MANAGE):
        # Capped: a link, not a statistic.
        waiting = len(selectors.recoveries_waiting(actor=request.user)[:100])
    return render(
        request,
        "payments/payroll_list.html",
        {"form": form, "page": page, "recoveries_waiting": waiting},
    )


@staff_view(permissions.PAYROLL_MANAGE)
def payroll_detail(request, pk: int):
    payroll = selectors.payroll_get(actor=request.user, pk=pk)
    if is_htmx(request):
        url = reverse("payments:payroll_detail", args=[payroll.pk])
        response = render(request, "jobs/progress.html", {"job": payroll, "url": url})
        if not payroll.is_active:
            response["HX-Refresh"] = "true"  # prepared: reload to show the lines
        return response
    return _detail(request, payroll)


def _detail(request, payroll, *, answer_form=None):
    url = reverse("payments:payroll_detail", args=[payroll.pk])
    held = list(selectors.payroll_held(actor=request.user, payroll=payroll)[:HELD_SHOWN])
    changed = list(selectors.payroll_recent_account_changes(payroll=payroll)[:HELD_SHOWN])
    if held or changed:  # the lists name beneficiaries: audited as a search
        search_log(
            actor=request.user,
            model=Payment,
            terms={"payroll": payroll.pk, "held": True},
            shown=len(held) + len(changed),
        )
    user = request.user
    names = {p.code: p.name for p in Programme.objects.all()}
    # The held lines by reason, as the preparation counted them (held lines stay held); the
    # rest of the counts are read now, as they change when the banks answer.
    held_groups = [
        g
        | {
            "programme": names.get(g["programme"], g["programme"]),
            "hold_reason": HoldReason(g["hold_reason"]).label,
        }
        for g in payroll.summary.get("groups", [])
        if g["status"] == PaymentStatus.HELD
    ]
    counted = payroll.step in selectors.COUNTED
    listed = payroll.step in selectors.CASH_LISTED
    context = {
        "payroll": payroll,
        "held_groups": held_groups,
        "totals": selectors.payroll_totals(payroll=payroll) if counted else None,
        "settled": payroll.step in (PayrollStep.EXPORTED, PayrollStep.RECONCILED),
        "cash_offices": selectors.payroll_cash_offices(actor=user, payroll=payroll)
        if listed
        else None,
        "progress_url": url,
        "held": held,
        "changed": changed,
        "review_days": settings.PAYMENT_ACCOUNT_REVIEW_DAYS,
        # A municipal programme's payments past its budget stop the payroll before approval.
        "overruns": budget_overruns(payroll.pk)
        if payroll.step in (PayrollStep.PREPARED, PayrollStep.CHECKED)
        else [],
        "can_check": payroll.step == PayrollStep.PREPARED,
        "can_approve": payroll.step == PayrollStep.CHECKED and payroll.prepared_by_id != user.pk,
        "can_export": payroll.step == PayrollStep.APPROVED,
        "answer_form": (answer_form or forms.AnswerForm())
        if payroll.step in (PayrollStep.EXPORTED, PayrollStep.RECONCILED)
        else None,
        "answers": list(payroll.reconciliations.select_related("uploaded_by")),
        "files": list(payroll.files.all()),
        "cancel_form": forms.PayrollCancelForm()
        if payroll.step not in (PayrollStep.CANCELLED, PayrollStep.PREPARING, *SENT)
        else None,
    }
    return render(request, "payments/payroll_detail.html", context)


def _payroll_step(request, pk: int, action, success):
    payroll = selectors.payroll_get(actor=request.user, pk=pk)
    try:
        action(payroll)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)
    return redirect("payments:payroll_detail", pk=payroll.pk)


@staff_view(permissions.PAYROLL_MANAGE)
@require_POST
def payroll_check(request, pk: int):
    return _payroll_step(
        request,
        pk,
        lambda p: services.payroll_check(actor=request.user, payroll=p),
        _("The payroll is checked; another officer approves it."),
    )


@staff_view(permissions.PAYROLL_MANAGE)
@require_POST
def payroll_approve(request, pk: int):
    return _payroll_step(
        request,
        pk,
        lambda p: services.payroll_approve(actor=request.user, payroll=p),
        _("The payroll is approved."),
    )


@staff_view(permissions.PAYROLL_MANAGE)
@require_POST
def payroll_cancel(request, pk: int):
    form = forms.PayrollCancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _payroll_step(
        request,
        pk,
        lambda p: services.payroll_cancel(actor=request.user, payroll=p, reason=reason),
        _("The payroll is cancelled; its beneficiaries may be paid by another."),
    )


@staff_view(permissions.PAYROLL_MANAGE)
@require_POST
def payroll_export(request, pk: int):
    return _payroll_step(
        request,
        pk,
        lambda p: services.payroll_export(actor=request.user, payroll=p),
        _("The bank files are ready: download each and send it to its bank."),
    )


@staff_view(permissions.PAYROLL_MANAGE)
def payroll_file(request, pk: int, file_pk: int):
    """One bank file of a payroll, served only to those who manage its payrolls; audited."""
    payroll = selectors.payroll_get(actor=request.user, pk=pk)
    record = scoped_get(payroll.files.all(), actor=request.user, pk=file_pk)
    access_log(actor=request.user, instance=record, purpose="download")
    name = record.file.name.rsplit("/", 1)[-1]
    return FileResponse(record.file.open("rb"), as_attachment=True, filename=name)


@staff_view(permissions.PAYROLL_MANAGE)
@require_POST
def payroll_answer(request, pk: int):
    """Apply a bank's answer; a refused file's reasons, line by line, are shown on the page."""
    payroll = selectors.payroll_get(actor=request.user, pk=pk)
    form = forms.AnswerForm(request.POST, request.FILES)
    if form_step(
        request,
        form,
        lambda data: services.reconciliation_apply(
            actor=request.user, payroll=payroll, upload=data["file"], kind=data["kind"]
        ),
        lambda record: (
            _("Applied: %(paid)d paid, %(returned)d returned.")
            % {"paid": record.paid, "returned": record.returned}
        ),
    ):
        return redirect("payments:payroll_detail", pk=payroll.pk)
    return _detail(request, payroll, answer_form=form)


def _cash_download(request, pk: int, write, *, post_office: str | None, suffix: str):
    """A cash list file of a payroll, to those who manage its payrolls, from approval on (the
    refusal shown on the payroll's page); the download audited, with what it held."""
    payroll = selectors.payroll_get(actor=request.user, pk=pk)
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    try:
        figures = write(payroll, out)
    except ValidationError as error:
        out.close()
        messages.error(request, " ".join(error.messages))
        return redirect("payments:payroll_detail", pk=payroll.pk)
    except BaseException:
        out.close()
        raise
    access_log(
        actor=request.user,
        instance=payroll,
        purpose="download",
        detail={"cash_list": post_office or "all", "format": suffix, "lines": figures.count},
    )
    out.seek(0)
    name = cashlists.file_name(payroll, post_office, suffix)
    return FileResponse(out, as_attachment=True, filename=name)


@staff_view(permissions.PAYROLL_MANAGE)
def payroll_cash_pdf(request, pk: int):
    """One post office's cash list (`?post_office=`: its name as recorded), as a PDF."""
    office = request.GET.get("post_office", "")

    def write(payroll, out):
        selectors.payroll_cash_office(actor=request.user, payroll=payroll, post_office=office)
        lines = selectors.payroll_cash_lines(
            actor=request.user, payroll=payroll, post_office=office
        )
        return cashlists.cash_list_pdf(payroll, office, lines, out)

    return _cash_download(request, pk, write, post_office=office, suffix="pdf")


@staff_view(permissions.PAYROLL_MANAGE)
def payroll_cash_xlsx(request, pk: int):
    """Every post office's cash list in one XLSX workbook."""

    def write(payroll, out):
        if not selectors.payroll_cash_offices(actor=request.user, payroll=payroll):
            raise Http404
        lines = selectors.payroll_cash_lines(actor=request.user, payroll=payroll)
        return cashlists.cash_lists_xlsx(payroll, lines, out)

    return _cash_download(request, pk, write, post_office=None, suffix="xlsx")


def _payments_panel(request, *, record, payments, back):
    context = {"record": record, "payments": payments[:PANEL_SHOWN], "back": back}
    return fragment_or_page(request, "payments/_history.html", "payments/history.html", context)


@staff_view(permissions.PAYMENTS_VIEW)
def person_payments(request, pk: int):
    """A person's payments: a fragment for their page (htmx), or a page of its own."""
    person = registry.person_get(actor=request.user, pk=pk, purpose="payments")
    return _payments_panel(
        request,
        record=person,
        payments=selectors.person_payments(actor=request.user, person=person),
        back=reverse("registry:person_detail", args=[person.pk]),
    )


@staff_view(permissions.PAYMENTS_VIEW)
def household_payments(request, pk: int):
    household = registry.household_get(actor=request.user, pk=pk, purpose="payments")
    return _payments_panel(
        request,
        record=household,
        payments=selectors.household_payments(actor=request.user, household=household),
        back=reverse("registry:household_detail", args=[household.pk]),
    )


REPORT_COLUMNS = ("month", "programme", "municipality", "status", "count", "total")


@staff_view(permissions.PAYMENTS_VIEW)
def report(request):
    """Payments by month, programme, municipality and status: a table, a chart of the money
    paid or sent each month, and the same as an XLSX file (`?format=xlsx`)."""
    form = forms.ReportForm(request.GET or None)
    since = form.cleaned_data["since"] if form.is_valid() else None
    rows = selectors.payment_totals(actor=request.user, since=since)
    labels = dict(PaymentStatus.choices)
    programmes = {p.code: p.name for p in Programme.objects.all()}
    places = {m.code: m.name for m in Municipality.objects.all()}
    for row in rows:
        row["programme"] = programmes.get(row["programme"], row["programme"])
        row["municipality"] = places.get(row["municipality"], row["municipality"])
    if request.GET.get("format") == "xlsx":
        return _report_xlsx(rows, labels)
    by_month: dict = {}
    for row in rows:
        if row["status"] in (PaymentStatus.PAID, PaymentStatus.DUE):
            by_month[row["month"]] = by_month.get(row["month"], 0) + row["total"]
    chart = charts.bars(
        (formats.date_format(month, "F Y"), total, numbers.money(total))
        for month, total in sorted(by_month.items())
    )
    for row in rows:
        row["status_label"] = labels.get(row["status"], row["status"])
    return render(
        request,
        "payments/report.html",
        {"form": form, "rows": rows, "chart": chart, "query": request.GET.urlencode()},
    )


def _report_xlsx(rows, labels) -> HttpResponse:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(str(_("Payments"))[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    month = book.add_format({"num_format": "yyyy-mm"})
    headings = [
        _("Month"),
        _("Programme"),
        _("Municipality"),
        _("Status"),
        _("Payments"),
        _("Total, GEL"),
    ]
    for col, heading in enumerate(headings):
        sheet.write(0, col, str(heading), bold)
    for line, row in enumerate(rows, start=1):
        sheet.write_datetime(line, 0, datetime.combine(row["month"], time()), month)
        sheet.write(line, 1, row["programme"])
        sheet.write(line, 2, row["municipality"])
        sheet.write(line, 3, str(labels.get(row["status"], row["status"])))
        sheet.write_number(line, 4, row["count"])
        # The sum is exact in the database; a spreadsheet number has 15 significant digits,
        # which hold any payroll's total to the tetri.
        sheet.write_number(line, 5, float(row["total"]), money)
    sheet.set_column(0, 3, 18)
    sheet.set_column(4, 5, 14)
    book.close()
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="payments.xlsx"'
    return response


# -- An enrolment's payments, suspensions and recoveries ------------------------------------------


def _posted_id(request, name: str) -> int:
    value = request.POST.get(name, "")
    if not value.isascii() or not value.isdigit():
        raise Http404
    return int(value)


def _enrolment_page(request, enrolment, *, status=200, **bound):
    """The enrolment's payments panel: a fragment for its page (htmx), or a page of its own
    (also where a refused form is shown again, with its errors)."""
    user = request.user
    data = selectors.enrolment_payments(actor=user, enrolment=enrolment)
    in_force = next((s for s in data["suspensions"] if s.outcome == ""), None)
    may_suspend = permissions.has_perm(user, permissions.PAYMENT_SUSPEND)
    may_recover = permissions.has_perm(user, permissions.RECOVERIES_MANAGE)
    context = {
        **data,
        "record": enrolment,
        "enrolment": enrolment,
        "payments": data["payments"][:PANEL_SHOWN],
        "in_force": in_force,
        "suspend_form": bound.get("suspend_form")
        or (forms.SuspendForm() if may_suspend and not in_force and not enrolment.ends else None),
        "resume_form": bound.get("resume_form")
        or (forms.ResumeForm() if may_suspend and in_force else None),
        "recovery_form": bound.get("recovery_form")
        or (forms.RecoveryForm() if may_recover else None),
        "back": reverse("applications:enrolment_detail", args=[enrolment.pk]),
        "cap": int(settings.PAYMENT_DEDUCTION_CAP * 100),
    }
    refused = bound.get("cancel_form")
    for recovery in data["recoveries"]:
        if may_recover and recovery.status != RecoveryStatus.CANCELLED:
            # One form per recovery: its own field ids; the one refused keeps its errors.
            mine = refused is not None and refused.recovery_id == recovery.pk
            recovery.cancel_form = (
                refused if mine else forms.RecoveryCancelForm(auto_id=f"id_cancel{recovery.pk}_%s")
            )
    response = fragment_or_page(
        request, "payments/_enrolment.html", "payments/enrolment.html", context
    )
    response.status_code = status
    return response


def _enrolment_step(request, pk: int, form_class, name: str, action, success):
    """A posted form about an enrolment: back to the enrolment's page when done, else the
    panel's own page with the form's errors."""
    enrolment = enrolments.enrolment_get(actor=request.user, pk=pk)
    form = form_class(request.POST)
    if form_step(request, form, lambda data: action(enrolment, data), success):
        url = reverse("applications:enrolment_detail", args=[enrolment.pk])
        return redirect(f"{url}#enrolment-payments")
    return _enrolment_page(request, enrolment, status=400, **{name: form})


@staff_view(permissions.PAYMENTS_VIEW)
def enrolment_payments(request, pk: int):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=pk)
    return _enrolment_page(request, enrolment)


@staff_view(permissions.PAYMENT_SUSPEND)
@require_POST
def suspension_start(request, pk: int):
    return _enrolment_step(
        request,
        pk,
        forms.SuspendForm,
        "suspend_form",
        lambda enrolment, data: services.suspension_start(
            actor=request.user, enrolment=enrolment, **data
        ),
        _("The payment is suspended."),
    )


@staff_view(permissions.PAYMENT_SUSPEND)
@require_POST
def suspension_resume(request, pk: int):
    def resume(enrolment, data):
        suspension = scoped_get(
            Suspension.objects.filter(enrolment=enrolment, outcome=""),
            actor=request.user,
            pk=_posted_id(request, "suspension"),
        )
        return services.suspension_resume(actor=request.user, suspension=suspension, **data)

    return _enrolment_step(
        request, pk, forms.ResumeForm, "resume_form", resume, _("The payment is resumed.")
    )


@staff_view(permissions.RECOVERIES_MANAGE)
@require_POST
def recovery_record(request, pk: int):
    return _enrolment_step(
        request,
        pk,
        forms.RecoveryForm,
        "recovery_form",
        lambda enrolment, data: services.recovery_record(
            actor=request.user, enrolment=enrolment, **data
        ),
        _("The recovery is recorded: another officer approves it."),
    )


def _recovery_of(request, enrolment) -> Recovery:
    return scoped_get(
        Recovery.objects.filter(enrolment=enrolment),
        actor=request.user,
        pk=_posted_id(request, "recovery"),
    )


@staff_view(permissions.RECOVERIES_MANAGE)
@require_POST
def recovery_approve(request, pk: int):
    enrolment = enrolments.enrolment_get(actor=request.user, pk=pk)
    recovery = _recovery_of(request, enrolment)
    try:
        services.recovery_approve(actor=request.user, recovery=recovery)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The recovery is approved: the next payrolls deduct it."))
    url = reverse("applications:enrolment_detail", args=[enrolment.pk])
    return redirect(f"{url}#enrolment-payments")


@staff_view(permissions.RECOVERIES_MANAGE)
@require_POST
def recovery_cancel(request, pk: int):
    def cancel(enrolment, data):
        recovery = _recovery_of(request, enrolment)
        return services.recovery_cancel(actor=request.user, recovery=recovery, **data)

    class Form(forms.RecoveryCancelForm):
        recovery_id = _posted_id(request, "recovery")

    return _enrolment_step(
        request,
        pk,
        Form,
        "cancel_form",
        cancel,
        _("The recovery is cancelled."),
    )


@staff_view(permissions.RECOVERIES_MANAGE)
def recoveries(request):
    """Recoveries waiting for a second officer's approval (four eyes), the oldest first."""
    page = paginate(
        selectors.recoveries_waiting(actor=request.user), number=request.GET.get("page"), size=50
    )
    return render(request, "payments/recoveries.html", {"page": page})


@staff_view(permissions.PAYROLL_MANAGE)
def review(request):
    """Enrolments whose latest payment is held because the rules no longer pay it."""
    page = paginate(
        selectors.enrolments_to_review(actor=request.user),
        number=request.GET.get("page"),
        size=settings.REGISTRY_PAGE_SIZE,
    )
    for enrolment in page.items:
        enrolment.held_reason_label = HoldReason(enrolment.held_reason).label
    if page.items:  # the list names beneficiaries: audited as a search
        search_log(actor=request.user, model=Payment, terms={"review": True}, shown=len(page.items))
    return render(request, "payments/review.html", {"page": page})
