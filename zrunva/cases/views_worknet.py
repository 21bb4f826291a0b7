"""Staff pages of the employment link (Worknet): the referrals of one's area with the counts
per municipality; for SSA officers, supervisors and administrators the bulk referral, the
export of referrals not yet sent and the import of Worknet's answer (its bad rows listed)."""

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.cases import forms_worknet as forms
from zrunva.cases import selectors, services
from zrunva.cases.choices import JobSeekerStatus
from zrunva.cases.models import JobSeekerReferral
from zrunva.core.forms import form_step
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log

PAGE_SIZE = 50


def _page(request, *, bulk_form=None, import_form=None, status=400):
    user = request.user
    wanted = request.GET.get("status", "")
    wanted = wanted if wanted in JobSeekerStatus.values else ""
    manages = permissions.has_perm(user, permissions.EMPLOYMENT)
    page = paginate(
        selectors.referral_list(actor=user, status=wanted),
        number=request.GET.get("page"),
        size=PAGE_SIZE,
    )
    # The list shows people's names and personal numbers: its reads are audited.
    search_log(actor=user, model=JobSeekerReferral, terms={"status": wanted}, shown=len(page.items))
    context = {
        "counts": selectors.employment_counts(actor=user),
        "page": page,
        "statuses": JobSeekerStatus.choices,
        "wanted": wanted,
        "manages": manages,
        "bulk_form": bulk_form or (forms.WorknetBulkForm(user=user) if manages else None),
        "import_form": import_form or (forms.WorknetImportForm() if manages else None),
    }
    return render(request, "cases/worknet.html", context, status=status)


@never_cache
@login_required
def worknet_list(request):
    """The referrals of the user's area (social workers, supervisors, SSA officers)."""
    return _page(request, status=200)


@staff_view(permissions.EMPLOYMENT)
@require_POST
def worknet_bulk(request):
    form = forms.WorknetBulkForm(request.POST, user=request.user)
    if form_step(
        request,
        form,
        lambda data: services.jobseeker_refer_bulk(
            actor=request.user, municipality=data["municipality"], programme=data["programme"]
        ),
        lambda count: _("Referred: %(count)d.") % {"count": count},
    ):
        return redirect("cases:worknet_list")
    return _page(request, bulk_form=form)


@staff_view(permissions.EMPLOYMENT)
@require_POST
def worknet_export(request):
    """The exchange file of the referrals not yet sent; they are marked sent in it."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it once sent)
    try:
        batch, _count = services.worknet_export(actor=request.user, out=out)
    except ValidationError as error:
        out.close()
        messages.error(request, " ".join(error.messages))
        return redirect("cases:worknet_list")
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return FileResponse(out, as_attachment=True, filename=f"{batch}.csv", content_type="text/csv")


@staff_view(permissions.EMPLOYMENT)
@require_POST
def worknet_import(request):
    """Apply Worknet's answer; a refused file's bad rows are listed one by one."""
    form = forms.WorknetImportForm(request.POST, request.FILES)
    if form_step(
        request,
        form,
        lambda data: services.worknet_import(actor=request.user, data=data["file"].read()),
        lambda counts: (
            _(
                "Applied: %(registered)d registered, %(training)d in training, %(placed)d placed, "
                "%(not_reached)d not reached."
            )
            % counts
        ),
    ):
        return redirect("cases:worknet_list")
    return _page(request, import_form=form)
