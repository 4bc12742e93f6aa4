"""Issue 20, item 7e: every link the app e-mails starts with the site's public address
(settings.SITE_URL), whatever host the request that caused it came in on.

The app sends e-mail in two places: the review reminders (`send_review_reminders`) and the
two-factor set-up links (accounts/views.py). "Suggest a change" sends none: curators read the
suggestions in the admin's queue.
"""
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from directory.models import Service

pytestmark = pytest.mark.django_db

PUBLIC = "https://directory.example.org"


def links(body):
    return re.findall(r"https?://\S+", body)


def test_review_reminders_link_to_the_public_address(settings, imhsg_editor, mailoutbox):
    settings.SITE_URL = PUBLIC
    Service.objects.filter(slug="acacia").update(owner=imhsg_editor,
                                                 next_review_due=timezone.localdate() - timedelta(days=1))
    call_command("send_review_reminders", stdout=StringIO())
    (message,) = mailoutbox
    found = links(message.body)
    assert found and all(link.startswith(PUBLIC + "/admin/") for link in found), found


def test_set_up_links_by_e_mail_use_the_public_address_not_the_requests_host(settings, client, imhsg_editor, viewer,
                                                                             mailoutbox):
    settings.SITE_URL = PUBLIC
    client.force_login(imhsg_editor)
    client.post("/admin/enrolment-links/", {"member": viewer.pk, "by_email": "on"}, HTTP_HOST="internal-name")
    (message,) = mailoutbox
    found = links(message.body)
    assert found and all(link.startswith(PUBLIC + "/admin/2fa/enrol/") for link in found), found
    assert "internal-name" not in message.body


def test_no_code_builds_an_e_mailed_link_from_the_request_or_a_fixed_host():
    """A guard for new e-mails: the modules that send mail name SITE_URL and never build_absolute_uri."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    senders = [path for folder in ("accounts", "directory", "mapping", "config") for path in (root / folder).rglob("*.py")
               if "send_mail" in path.read_text() or "EmailMessage" in path.read_text()]
    assert {p.relative_to(root).as_posix() for p in senders} >= {
        "accounts/views.py", "directory/management/commands/send_review_reminders.py"}
    for path in senders:
        text = path.read_text()
        assert "SITE_URL" in text and "build_absolute_uri" not in text and "127.0.0.1" not in text, path
