"""Sign-in lockout with two limits (django-axes allows one): per user name and address pair, and
per user name from any address.

The pair limit (AXES_FAILURE_LIMIT) stops one computer guessing; the account limit
(AXES_ACCOUNT_FAILURE_LIMIT, higher, so that one person's typing cannot lock a colleague out)
stops a guesser who spreads attempts over many addresses. Both count failures within the
cool-off (AXES_COOLOFF_TIME). A successful sign-in resets only its own address's failures, so
the owner signing in does not clear a guesser's count at the account.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


class AccountLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        pair = super().get_failures(request, credentials)
        username = get_client_username(request, credentials)
        if not username:
            return pair
        attempts = AccessAttempt.objects.filter(username=username)
        if settings.AXES_COOLOFF_TIME:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        account = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
        if account >= settings.AXES_ACCOUNT_FAILURE_LIMIT:
            # The lockout page tells the owner the account, not their computer, is locked.
            request.axes_account_locked = True
            return max(pair, get_failure_limit(request, credentials))
        return pair
