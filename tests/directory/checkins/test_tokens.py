"""Check-in links' tokens (issue 20): unguessable, stored only as a hash, scoped to one
invitation, expiring, revocable; every kind of bad token answers alike (None)."""
from datetime import timedelta

import pytest
from django.utils import timezone

from directory.checkins import tokens
from directory.models import CheckInInvitation, Service

pytestmark = pytest.mark.django_db


def invite(slug="acacia", **kwargs):
    return tokens.create_invitation(service=Service.objects.get(slug=slug), name="Ada Provider",
                                    email="ada@example.org", **kwargs)


def test_a_new_link_opens_its_own_invitation_and_only_a_hash_is_kept():
    invitation, token = invite()
    assert tokens.invitation_for(token) == invitation
    assert len(token) == 43 and tokens.TOKEN_SHAPE.fullmatch(token)
    stored = CheckInInvitation.objects.filter(pk=invitation.pk).values().get()
    assert token not in str(stored)
    assert stored["token_hash"] == tokens.token_hash(token) != token


def test_two_links_never_share_a_token():
    made = {invite()[1] for _ in range(20)}
    assert len(made) == 20


def test_a_link_opens_for_thirty_days_unless_configured(settings):
    now = timezone.now()
    invitation, token = invite(now=now)
    assert invitation.expires_at == now + timedelta(days=30)
    assert tokens.invitation_for(token, now=now + timedelta(days=30) - timedelta(seconds=1)) == invitation
    assert tokens.invitation_for(token, now=now + timedelta(days=30)) is None
    settings.CHECKIN_LINK_DAYS = 7
    assert invite(now=now)[0].expires_at == now + timedelta(days=7)


def test_a_revoked_link_no_longer_opens_and_revoking_twice_counts_once(imhsg_editor):
    invitation, token = invite()
    assert tokens.revoke(invitations=CheckInInvitation.objects.filter(pk=invitation.pk), revoked_by=imhsg_editor) == 1
    assert tokens.invitation_for(token) is None
    assert tokens.revoke(invitations=CheckInInvitation.objects.filter(pk=invitation.pk), revoked_by=imhsg_editor) == 0
    invitation.refresh_from_db()
    assert invitation.revoked_by == imhsg_editor and not invitation.is_usable


def test_a_link_is_scoped_to_its_own_service():
    acacia, acacia_token = invite("acacia")
    other = Service.objects.published().exclude(slug="acacia").first()
    theirs, their_token = invite(other.slug)
    assert tokens.invitation_for(acacia_token).service.slug == "acacia"
    assert tokens.invitation_for(their_token).service == other


@pytest.mark.parametrize("forged", [
    "", "x", "a" * 42, "a" * 44, "a" * 43, "%2e%2e%2f" * 5, "<script>alert(1)</script>", "٣" * 43, None, 12345,
    "a" * 10_000,
])
def test_forged_and_malformed_tokens_open_nothing(forged, django_assert_num_queries):
    invite()
    expected_queries = 1 if isinstance(forged, str) and tokens.TOKEN_SHAPE.fullmatch(forged) else 0
    with django_assert_num_queries(expected_queries):
        assert tokens.invitation_for(forged) is None


def test_the_hash_of_a_link_is_not_a_key_to_it():
    """Someone with a copy of the database has the hashes: a hash is not a token."""
    invitation, token = invite()
    assert tokens.invitation_for(invitation.token_hash) is None
    assert tokens.invitation_for(invitation.token_hash[:43]) is None
