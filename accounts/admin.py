"""Unlocking sign-in in the admin: IMHSG editors as well as superusers (docs/adr/0014).

axes registers "Access attempts" for those with its model permissions, which no role group has,
so only superusers could unlock. Here the same list is re-registered so that an IMHSG editor can
read it and unlock (delete the attempts); viewers and organisation editors still cannot. The
access logs and failure logs stay superusers' to read. The list says which lock each row
belongs to, since a row alone (one account, address and browser) no longer decides a lock.
"""
from axes.admin import AccessAttemptAdmin
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from directory.curation.roles import is_imhsg_editor


def _recent_total(threshold, *fields):
    """Wrong passwords within the cool-off sharing this row's `fields` (one subquery)."""
    matching = (AccessAttempt.objects.filter(attempt_time__gte=threshold, **{f: OuterRef(f) for f in fields})
                .order_by().values(*fields).annotate(total=Sum("failures_since_start")).values("total")[:1])
    return Coalesce(Subquery(matching, output_field=IntegerField()), 0)


class SigninLockAdmin(AccessAttemptAdmin):
    # Who and what lock first: on a phone the columns after them scroll out of sight.
    list_display = ["username", "ip_address", "lock", "failures_since_start", "attempt_time"]
    list_display_links = ["username"]
    list_filter = ["attempt_time"]
    actions = ["unlock"]

    def _may_unlock(self, request):
        return request.user.is_active and request.user.is_staff and is_imhsg_editor(request.user)

    def has_module_permission(self, request):
        return self._may_unlock(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_unlock(request) or super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_unlock(request) or super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        threshold = timezone.now() - get_cool_off(request)
        return super().get_queryset(request).annotate(
            pair_failures=_recent_total(threshold, "username", "ip_address"),
            address_failures=_recent_total(threshold, "ip_address"),
            account_failures=_recent_total(threshold, "username"),
        )

    @admin.display(description="Lock")
    def lock(self, obj):
        if obj.attempt_time < timezone.now() - get_cool_off(None):
            return "Expired: no longer counted"
        locks = []
        if obj.pair_failures >= settings.AXES_FAILURE_LIMIT:
            locks.append("this account from this address")
        if obj.address_failures >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
            locks.append("every account from this address")
        if obj.account_failures >= settings.SIGNIN_ACCOUNT_FAILURE_LIMIT:
            locks.append("this account from addresses it never signed in from")
        if not locks:
            return f"Not locked ({obj.pair_failures} of {settings.AXES_FAILURE_LIMIT} wrong passwords)"
        return "Locked: " + "; ".join(locks)

    @admin.action(description="Unlock: forget the selected wrong passwords", permissions=["delete"])
    def unlock(self, request, queryset):
        unlocked = sorted({f"{a.username or '(no name)'} from {a.ip_address}" for a in queryset})
        count, _ = queryset.delete()
        self.message_user(request, f"Unlocked {len(unlocked)}: {', '.join(unlocked)}." if count
                          else "Nothing to unlock.", messages.SUCCESS)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, SigninLockAdmin)
