"""The outbox for administrators: what was sent, what waits, and what failed, to send again."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zrunva.accounts import permissions
from zrunva.accounts.decorators import staff_view
from zrunva.core.pagination import paginate
from zrunva.core.trail import search_log
from zrunva.notifications import selectors, services
from zrunva.notifications.forms import OutboxFilterForm
from zrunva.notifications.models import Message, MessageStatus


@staff_view(permissions.NOTIFICATIONS_MANAGE)
def outbox(request):
    form = OutboxFilterForm(request.GET or {"status": MessageStatus.FAILED})
    status = form.cleaned_data["status"] if form.is_valid() else ""
    qs = selectors.message_list(actor=request.user, status=status)
    page = paginate(qs, number=request.GET.get("page"), size=settings.REGISTRY_PAGE_SIZE)
    search_log(actor=request.user, model=Message, terms={"status": status}, shown=len(page.items))
    return render(request, "notifications/outbox.html", {"form": form, "page": page})


@staff_view(permissions.NOTIFICATIONS_MANAGE)
@require_POST
def retry(request, pk: int):
    message = get_object_or_404(selectors.message_list(actor=request.user), pk=pk)
    try:
        services.message_retry(actor=request.user, message=message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The message is queued to be sent again."))
    return redirect(request.POST.get("next") or "notifications:outbox")
