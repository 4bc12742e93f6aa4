"""Issue 20, item 2: invitations by e-mail, the invite_providers command, the service list's
action, reminders (never more than once a week) and the invitations' admin list.

Time travels through the `now` argument every write takes; nothing sleeps."""
import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from directory.checkins import invitations, tokens
from directory.checkins.invitations import CannotInvite, invite, remind_due
from directory.models import CheckInContact, CheckInInvitation, Service, Status
from tests.directory.curation.admin_forms import admin_url, as_user

pytestmark = pytest.mark.django_db

SITE = "https://directory.example.org"
LINK = re.compile(re.escape(SITE) + r"/check/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "imhsg-directory@example.org"
    settings.CHECKIN_LINK_DAYS = 30
    settings.CHECKIN_REMINDER_DAYS = 10


def service(slug="acacia"):
    return Service.objects.get(slug=slug)


@pytest.fixture
def acacia_contact():
    return CheckInContact.objects.create(service=service(), name="Priya Contact", email="priya@example.org")


def token_in(message):
    """The token of the link in an e-mail's text, checked to be the same in its HTML part."""
    (token,) = LINK.findall(message.body)
    (html, kind), = message.alternatives
    assert kind == "text/html" and f"{SITE}/check/{token}/" in html
    return token


def test_an_invitation_sends_one_warm_email_with_a_personal_link_whose_token_is_stored_only_as_a_hash(
        acacia_contact, imhsg_editor):
    invitation, sent = invite(service=service(), sent_by=imhsg_editor)
    assert sent is True
    (message,) = mail.outbox
    assert message.to == ["priya@example.org"] and message.from_email == "imhsg-directory@example.org"
    assert "Acacia" in message.subject and "check" in message.subject.lower()
    token = token_in(message)
    assert tokens.invitation_for(token) == invitation
    # What the brief asks the e-mail to say, in plain words.
    body = message.body
    assert "Dear Priya Contact" in body
    assert "babies, from pregnancy to age two" in body  # what the directory is
    assert "you know your service best" in body  # why we ask
    assert "how to refer" in body and "still right" in body  # what they will check
    assert "about 15 minutes" in body  # how long it takes
    assert f"until {timezone.localtime(invitation.expires_at):%-d %B %Y}" in body  # when it expires
    assert "imhsg-directory@example.org" in body  # who to ask
    assert "for you only" in body and "do not forward" in body  # the link is personal
    assert "127.0.0.1" not in body and "localhost" not in body
    # The invitation: to the contact, by the editor, expiring in 30 days; the token nowhere in the row.
    row = CheckInInvitation.objects.values().get(pk=invitation.pk)
    assert (row["name"], row["email"], row["created_by_id"]) == ("Priya Contact", "priya@example.org", imhsg_editor.pk)
    assert row["expires_at"] - row["created_at"] == timedelta(days=30)
    assert row["token_hash"] == tokens.token_hash(token) and token not in str(row)


def test_the_link_path_is_built_in_one_place():
    assert invitations.link("A" * 43) == f"{SITE}/check/{'A' * 43}/"


def test_a_new_invitation_revokes_the_services_earlier_link_one_live_link_per_service(acacia_contact, imhsg_editor):
    first, _ = invite(service=service(), sent_by=imhsg_editor)
    first_token = token_in(mail.outbox[0])
    other = CheckInContact.objects.create(service=service("new-baby-network"), name="Nell", email="nell@example.org")
    elsewhere, _ = invite(service=other.service, sent_by=imhsg_editor)
    second, _ = invite(service=service(), sent_by=imhsg_editor)
    assert tokens.invitation_for(first_token) is None
    assert tokens.invitation_for(token_in(mail.outbox[2])) == second
    first.refresh_from_db()
    assert first.revoked_at is not None and first.revoked_by == imhsg_editor
    assert CheckInInvitation.objects.usable().filter(service=service()).get() == second
    elsewhere.refresh_from_db()
    assert elsewhere.revoked_at is None  # another service's link is untouched


def test_a_service_without_a_contact_or_not_published_is_skipped_with_a_reason(acacia_contact, imhsg_editor):
    with pytest.raises(CannotInvite, match="no check-in contact"):
        invite(service=service("new-baby-network"), sent_by=imhsg_editor)
    Service.objects.filter(slug="acacia").update(status=Status.DRAFT)
    with pytest.raises(CannotInvite, match="not published"):
        invite(service=service(), sent_by=imhsg_editor)
    assert not CheckInInvitation.objects.exists() and not mail.outbox


def test_when_the_email_cannot_be_sent_nothing_changes(acacia_contact, imhsg_editor, monkeypatch):
    earlier, _ = invite(service=service(), sent_by=imhsg_editor)

    def refuse(self, fail_silently=False):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    with pytest.raises(ConnectionRefusedError):
        invite(service=service(), sent_by=imhsg_editor)
    earlier.refresh_from_db()
    assert earlier.revoked_at is None and CheckInInvitation.objects.count() == 1


# --- manage.py invite_providers -------------------------------------------------------------------

def run(*args):
    out = StringIO()
    call_command("invite_providers", *args, stdout=out)
    return out.getvalue()


def test_without_options_the_command_says_what_to_pass_and_sends_nothing(acacia_contact):
    with pytest.raises(CommandError, match="--service SLUG.*--due.*--remind"):
        run()
    assert not mail.outbox and not CheckInInvitation.objects.exists()


def test_an_unknown_slug_is_a_clear_error_and_nothing_is_sent(acacia_contact):
    with pytest.raises(CommandError, match="'no-such-service'.*nothing was sent"):
        run("--service", "acacia", "--service", "no-such-service")
    assert not mail.outbox and not CheckInInvitation.objects.exists()


def test_the_command_invites_each_named_service_and_says_which_it_skipped(acacia_contact):
    out = run("--service", "acacia", "--service", "new-baby-network", "--service", "acacia")
    assert "Sent Priya Contact <priya@example.org> an invitation to check Acacia" in out
    assert "Skipped New Baby Network (new-baby-network): no check-in contact." in out
    assert "1 invitation sent." in out
    (message,) = mail.outbox  # a slug named twice is invited once
    token = token_in(message)
    assert message.body.count(SITE + "/check/") == 1 and tokens.invitation_for(token).service == service()
    assert CheckInInvitation.objects.get().created_by is None  # sent by the command, not a person


def test_a_dry_run_says_who_would_be_sent_what_and_sends_and_writes_nothing(acacia_contact, imhsg_editor):
    earlier, _ = invite(service=service(), sent_by=imhsg_editor)
    mail.outbox.clear()
    before = list(CheckInInvitation.objects.values())
    out = run("--service", "acacia", "--service", "new-baby-network", "--dry-run")
    assert "Would send Priya Contact <priya@example.org> an invitation to check Acacia" in out
    assert "Would skip New Baby Network (new-baby-network): no check-in contact." in out
    assert "1 invitation would be sent; nothing was sent or written" in out
    # Reminders too, once one is due.
    out = run("--remind", "--dry-run")
    assert "0 reminders would be sent" in out
    CheckInInvitation.objects.filter(pk=earlier.pk).update(created_at=timezone.now() - timedelta(days=11))
    before = list(CheckInInvitation.objects.values())
    out = run("--remind", "--dry-run")
    assert "Would remind Priya Contact <priya@example.org> to check Acacia" in out and "1 reminder would" in out
    assert list(CheckInInvitation.objects.values()) == before and not mail.outbox


def test_due_picks_published_services_due_or_overdue_for_review_without_a_live_link(imhsg_editor):
    today = timezone.localdate()
    Service.objects.update(next_review_due=today + timedelta(days=200))
    due = {"acacia": -5, "new-baby-network": 30, "anawim-birmingham-centre-for-women": 31,  # 31: not due
           "breaking-the-cycle": 0, "community-perinatal-mental-health-team": 3}
    for slug, days in due.items():
        Service.objects.filter(slug=slug).update(next_review_due=today + timedelta(days=days))
        CheckInContact.objects.create(service=service(slug), name=f"Contact of {slug}", email=f"{slug}@example.org")
    Service.objects.filter(slug="community-perinatal-mental-health-team").update(status=Status.DRAFT)
    invite(service=service("breaking-the-cycle"), sent_by=imhsg_editor)  # already has a live link
    mail.outbox.clear()
    out = run("--due")
    assert {message.to[0] for message in mail.outbox} == {"acacia@example.org", "new-baby-network@example.org"}
    assert "2 invitations sent." in out
    # Run again the next day: nobody gets a second link (and nobody's link is revoked).
    mail.outbox.clear()
    assert "No services to invite." in run("--due") and not mail.outbox
    assert not CheckInInvitation.objects.filter(revoked_at__isnull=False).exists()


# --- Reminders ----------------------------------------------------------------------------------

@pytest.fixture
def sent_20_days_ago(acacia_contact, imhsg_editor):
    """An invitation made 20 days ago (so it expires in 10 days), and its token."""
    start = timezone.now() - timedelta(days=20)
    invitation, _ = invite(service=service(), sent_by=imhsg_editor, now=start)
    token = token_in(mail.outbox[0])
    mail.outbox.clear()
    return invitation, token, start


def test_a_reminder_goes_after_the_configured_days_with_a_fresh_link_and_the_old_one_stops(sent_20_days_ago):
    invitation, old_token, start = sent_20_days_ago
    expires = invitation.expires_at
    assert remind_due(start + timedelta(days=9, hours=23)) == []
    assert [i.pk for i in remind_due(start + timedelta(days=10))] == [invitation.pk]
    (message,) = mail.outbox
    assert message.to == ["priya@example.org"] and message.subject.startswith("Reminder:")
    assert "replaces the one in our earlier e-mail" in message.body
    new_token = token_in(message)
    assert new_token != old_token
    assert tokens.invitation_for(new_token) == invitation
    assert tokens.invitation_for(old_token) is None
    invitation.refresh_from_db()
    assert invitation.expires_at == expires  # same expiry: a reminder does not extend the link
    assert invitation.reminders_sent == 1 and invitation.last_reminded_at == start + timedelta(days=10)
    assert f"until {timezone.localtime(expires):%-d %B %Y}" in message.body


def test_reminders_are_idempotent_in_a_day_and_never_more_than_once_a_week(sent_20_days_ago, settings):
    invitation, _, start = sent_20_days_ago
    settings.CHECKIN_REMINDER_DAYS = 1  # asks for daily reminders; a week is the floor
    assert remind_due(start + timedelta(days=6, hours=23)) == []
    assert len(remind_due(start + timedelta(days=7))) == 1
    assert remind_due(start + timedelta(days=7, hours=8)) == []  # the same day, run again
    assert remind_due(start + timedelta(days=13, hours=23)) == []
    assert len(remind_due(start + timedelta(days=14))) == 1
    assert len(mail.outbox) == 2
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 2


def test_the_command_reminds_once_a_day_at_most(sent_20_days_ago):
    invitation, _, start = sent_20_days_ago
    assert "1 reminder sent." in run("--remind")  # 20 days since the invitation
    assert "0 reminders sent." in run("--remind")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("change", ["answered", "revoked", "expired", "archived"])
def test_no_reminder_once_answered_revoked_expired_or_archived(sent_20_days_ago, change):
    invitation, _, start = sent_20_days_ago
    now = start + timedelta(days=12)
    if change == "answered":
        CheckInInvitation.objects.filter(pk=invitation.pk).update(answered_at=start + timedelta(days=2))
    elif change == "revoked":
        tokens.revoke(invitations=CheckInInvitation.objects.all(), revoked_by=None, now=start + timedelta(days=1))
    elif change == "expired":
        now = start + timedelta(days=30)
    else:
        Service.objects.filter(slug="acacia").update(status=Status.ARCHIVED)
    assert remind_due(now) == [] and not mail.outbox


def test_two_runs_racing_send_one_reminder(sent_20_days_ago):
    invitation, _, start = sent_20_days_ago
    stale = CheckInInvitation.objects.get(pk=invitation.pk)  # read by a second run before the first writes
    assert len(remind_due(start + timedelta(days=10))) == 1
    assert invitations.remind(invitation=stale, now=start + timedelta(days=10)) is False
    assert len(mail.outbox) == 1


# --- The service list's action -------------------------------------------------------------------

ACTION = "send_checkin_invitations"


def post_action(client, *slugs):
    ids = [str(service(slug).pk) for slug in slugs]
    return client.post(admin_url("directory_service_changelist"),
                       {"action": ACTION, "_selected_action": ids, "select_across": "0", "index": "0"}, follow=True)


def test_an_imhsg_editor_sends_invitations_from_the_service_list_and_is_told_what_was_skipped(
        client, acacia_contact, imhsg_editor):
    as_user(client, imhsg_editor)
    listing = client.get(admin_url("directory_service_changelist"))
    assert f'value="{ACTION}"' in listing.content.decode()
    Service.objects.filter(slug="breaking-the-cycle").update(status=Status.DRAFT)
    response = post_action(client, "acacia", "new-baby-network", "breaking-the-cycle")
    said = [str(m) for m in response.context["messages"]]
    assert said == ["1 invitation sent. Skipped: Breaking the Cycle (not published); "
                    "New Baby Network (no check-in contact)."]
    (message,) = mail.outbox
    assert tokens.invitation_for(token_in(message)).created_by == imhsg_editor


@pytest.mark.parametrize("role", ["viewer", "acacia_editor"])
def test_viewers_and_organisation_editors_neither_see_the_action_nor_can_forge_it(client, acacia_contact, role,
                                                                                  request):
    person = request.getfixturevalue(role)
    as_user(client, person)
    listing = client.get(admin_url("directory_service_changelist"))
    assert listing.status_code == 200 and ACTION not in listing.content.decode()
    response = post_action(client, "acacia")
    assert response.status_code in (200, 403)
    assert not mail.outbox and not CheckInInvitation.objects.exists()


# --- The invitations' list --------------------------------------------------------------------------

def make_states(imhsg_editor):
    """One invitation in each state, each for a different service; returns {state: invitation}."""
    now = timezone.now()
    slugs = ["acacia", "new-baby-network", "anawim-birmingham-centre-for-women", "breaking-the-cycle",
             "community-perinatal-mental-health-team"]
    made = {}
    for state, slug in zip(["waiting", "opened", "answered", "expired", "revoked"], slugs):
        start = now - timedelta(days=40 if state == "expired" else 2)
        invitation, _ = tokens.create_invitation(service=service(slug), name=f"Person {state}",
                                                 email=f"{state}@example.org", created_by=imhsg_editor, now=start)
        made[state] = invitation
    CheckInInvitation.objects.filter(pk=made["opened"].pk).update(opened_at=now)
    CheckInInvitation.objects.filter(pk=made["answered"].pk).update(opened_at=now, answered_at=now)
    CheckInInvitation.objects.filter(pk=made["revoked"].pk).update(revoked_at=now)
    return made


def test_the_invitations_list_says_each_state_in_words_filters_by_state_and_never_shows_a_token(
        client, imhsg_editor, django_assert_num_queries):
    made = make_states(imhsg_editor)
    as_user(client, imhsg_editor)
    with django_assert_num_queries(7):  # session, user, groups, permissions; count, total, the rows with services
        page = client.get(admin_url("directory_checkininvitation_changelist"))
    html = page.content.decode()
    for state, invitation in made.items():
        assert invitations.state_of(invitation.__class__.objects.get(pk=invitation.pk)) == state
        assert invitation.token_hash not in html
        listed = client.get(admin_url("directory_checkininvitation_changelist") + f"?state={state}")
        assert [i.pk for i in listed.context["cl"].result_list] == [invitation.pk], state
        detail = client.get(admin_url("directory_checkininvitation_change", invitation.pk)).content.decode()
        assert invitation.token_hash not in detail and "token hash" not in detail.lower() and "token_hash" not in detail
    assert ">Waiting<" in html and ">Revoked<" in html and ">Answered<" in html


def test_an_imhsg_editor_revokes_a_link_and_a_viewer_cannot(client, acacia_contact, imhsg_editor, viewer):
    invitation, _ = invite(service=service(), sent_by=imhsg_editor)
    token = token_in(mail.outbox[0])
    body = {"action": "revoke", "_selected_action": [str(invitation.pk)], "select_across": "0", "index": "0"}
    url = admin_url("directory_checkininvitation_changelist")
    as_user(client, viewer)
    assert "revoke" not in client.get(url).content.decode().split('name="action"')[-1][:400]
    client.post(url, body)
    assert tokens.invitation_for(token) == invitation
    as_user(client, imhsg_editor)
    response = client.post(url, body, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["1 link revoked."]
    assert tokens.invitation_for(token) is None
    invitation.refresh_from_db()
    assert invitation.revoked_by == imhsg_editor


def test_organisation_editors_cannot_open_the_invitations_or_contacts(client, acacia_contact, acacia_editor,
                                                                     imhsg_editor):
    invitation, _ = invite(service=service(), sent_by=imhsg_editor)
    as_user(client, acacia_editor)
    for url in (admin_url("directory_checkininvitation_changelist"),
                admin_url("directory_checkininvitation_change", invitation.pk),
                admin_url("directory_checkincontact_changelist"),
                admin_url("directory_checkincontact_change", acacia_contact.pk)):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "priya@example.org" not in response.content.decode()
    home = client.get(reverse("admin:index")).content.decode()
    assert "check-in" not in home.lower()
