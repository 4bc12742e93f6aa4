from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import enrolment


class Command(BaseCommand):
    help = ("Print a one-time link that lets USERNAME set up two-factor sign-in (after signing in with their "
            "password), for the operator on the server: the first superuser's way in, and the way back for a "
            "superuser who lost their phone (--replace-lost-device). The link works once, for "
            "ENROLMENT_LINK_HOURS hours, and starts with SITE_URL.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace-lost-device", action="store_true",
                            help="Remove the account's confirmed authenticator first (a lost or replaced phone).")

    def handle(self, *args, username, replace_lost_device, **options):
        try:
            user = get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No account is called {username!r}.")
        if not (user.is_active and user.is_staff):
            raise CommandError(f"{username} is not an active member of staff, so cannot sign in to the admin.")
        if enrolment.has_device(user):
            if not replace_lost_device:
                raise CommandError(f"{username} has already set up two-factor sign-in. For a lost phone, run again "
                                   "with --replace-lost-device.")
            removed, _ = TOTPDevice.objects.filter(user=user).delete()
            self.stdout.write(f"Removed {removed} authenticator(s) of {username}.")
        self.stdout.write(f"{settings.SITE_URL}{enrolment.link_path(user)}")
        self.stdout.write(f"Give it only to {username}: it works once, after they sign in with their password, "
                          f"for {settings.ENROLMENT_LINK_HOURS} hours.")
