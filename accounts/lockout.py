"""How wrong passwords lock sign-in (docs/adr/0015-sign-in-locks-and-enrolment-links.md).

Three counts of wrong passwords within the cool-off (AXES_COOLOFF_TIME), each with its limit:
- the account from one address (AXES_FAILURE_LIMIT, 5): that pair is locked;
- one address, whatever the accounts (SIGNIN_ADDRESS_FAILURE_LIMIT, 10): that address is locked;
- one account, whatever the addresses (SIGNIN_ACCOUNT_FAILURE_LIMIT, 20): the account is locked,
  except from an address it has signed in from before (axes' access log), so that nobody can
  lock a curator out of the place they work by guessing from elsewhere.

A sign-in clears only the failures of its own account from its own address.

Why a handler and not settings alone: django-axes 8.3.1 compares the largest of its counts with
one limit, and with AXES_RESET_ON_SUCCESS it deletes, on a sign-in, every attempt matching *any*
lockout parameter: with ["username", "ip_address"] that is every failure from the address, for
every account, which let a guesser wear the lock down by signing in to an account of their own
between guesses (issue 18). So axes itself locks and resets the (account, address) pair
(AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]: the reset deletes only rows matching both),
and this handler adds the address and account counts, each with its own limit, which reading
axes' rows again costs two small aggregate queries per sign-in attempt.
"""
from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessLog
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum


def recent_failures(request, **lookup):
    """Wrong passwords within the cool-off matching `lookup` (ip_address=..., username=...)."""
    attempts = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request), **lookup)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def wider_lock(request, credentials=None):
    """'address' or 'account' when a count across accounts or across addresses has reached its
    limit for this attempt; None otherwise (the pair's own lock is axes' to decide)."""
    ip_address = request.axes_ip_address
    if recent_failures(request, ip_address=ip_address) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
        return "address"
    username = get_client_username(request, credentials)
    if (username and recent_failures(request, username=username) >= settings.SIGNIN_ACCOUNT_FAILURE_LIMIT
            and not AccessLog.objects.filter(username=username, ip_address=ip_address).exists()):
        return "account"
    return None


class SigninHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials=None):
        return super().is_locked(request, credentials) or wider_lock(request, credentials) is not None

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        # axes has recorded the failure and locked the pair if it reached its limit; the failure
        # that reaches the address or account limit must be answered with the lockout page too.
        if request is None or getattr(request, "axes_locked_out", False) or self.is_whitelisted(request, credentials):
            return
        if wider_lock(request, credentials):
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=get_client_username(request, credentials),
                                 ip_address=request.axes_ip_address)
