"""Issue 14: a draft, an archived service and a change waiting for approval never appear on any
public surface, by name, by text or in a count."""
import json
import re

import pytest
from django.test import Client

from directory.models import PendingChange
from directory.models import Level, Need, Organisation, Service, ServiceAtLocation, Status, Venue

pytestmark = pytest.mark.django_db

DRAFT, ARCHIVED, PENDING = "Leakcheck Draft Service", "Leakcheck Archived Service", "Leakcheck pending text"
# What's on (issue 23): sessions of hidden services, a draft session of a published service, a draft event.
SESSION_MARKERS = ["Leakcheck session of a draft", "Leakcheck session of an archived", "Leakcheck draft session",
                   "Leakcheck draft event", "leakcheck-draft-event"]
MARKERS = [DRAFT, ARCHIVED, PENDING, "leakcheck-draft", "leakcheck-archived", *SESSION_MARKERS]


def public_urls(ids):
    joined = ".".join(str(pk) for pk in ids)
    return [
        "/", "/about/", "/search/", "/search/?q=leakcheck", "/search/?district=hodge-hill",
        "/search/?need=bonding_attachment", "/search/?postcode=B8+1AA&sort=distance",
        "/map/", "/map/?need=bonding_attachment", "/map/districts.geojson", "/map/districts/hodge-hill/panel/",
        "/needs/", f"/shortlist/?services={joined}",
        "/parents/", "/parents/support/", "/parents/support/all/", "/parents/topics/feeling-low/",
        f"/parents/saved/?services={joined}", "/services.csv",
        "/api/services?per_page=200", "/api/services?search=leakcheck", "/api/service_at_locations?per_page=200",
        "/api/taxonomy_terms?per_page=200", "/api/organizations?full_service=true&per_page=200",
        "/api/services?full=true&per_page=200", "/api/services?format=ndjson",
        "/api/organizations?full=true&format=ndjson", "/parents/whats-on/", "/parents/whats-on/calendar.ics",
        "/services/acacia/calendar.ics", "/events/", "/events/calendar.ics", "/events/leakcheck-published-event/",
    ]


def make_leaky_records(django_user_model):
    organisation = Organisation.objects.get(name="Acacia Family Support")
    venue = Venue.objects.create(name="Leakcheck Venue Hall", postcode="B8 1AA", lat=52.49, lon=-1.85,
                                 district_id=Venue.objects.filter(district__isnull=False).values("district")[:1])
    made = []
    for name, slug, status in ((DRAFT, "leakcheck-draft", Status.DRAFT), (ARCHIVED, "leakcheck-archived", Status.ARCHIVED)):
        service = Service.objects.create(organisation=organisation, name=name, slug=slug, status=status,
                                         summary=f"{name} summary", focus="specialised", coverage_type="city_wide",
                                         no_referral_route_reason="x")
        service.levels.set(Level.objects.all())
        service.needs.set(Need.objects.filter(code="bonding_attachment"))
        ServiceAtLocation.objects.create(service=service, venue=venue)
        made.append(service)
    _make_leaky_sessions_and_events(made, venue)
    omar = django_user_model.objects.create_user("omar", "o@example.org", "a-long-password-for-tests", is_staff=True)
    PendingChange.objects.create(service=Service.objects.get(slug="acacia"), submitted_by=omar,
                                 data={"summary": [PENDING], "name": [PENDING]})
    return made


def _make_leaky_sessions_and_events(hidden, venue):
    """Every day sessions of the draft and the archived service, a draft session of Acacia (published),
    a draft event, and a published event that the hidden services presented at."""
    from datetime import time, timedelta

    from django.utils import timezone

    from directory.models import KnowledgeEvent, Session

    acacia = Service.objects.get(slug="acacia")
    every_day = {"freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR,SA,SU", "opens_at": time(10), "closes_at": time(11)}
    for service, title in zip(hidden, SESSION_MARKERS):
        Session.objects.create(service=service, status=Status.PUBLISHED, title=title,
                               place=service.service_at_locations.first(), **every_day)
    Session.objects.create(service=acacia, status=Status.DRAFT, title=SESSION_MARKERS[2], online=True, **every_day)
    soon = timezone.now() + timedelta(days=3)
    KnowledgeEvent.objects.create(title=SESSION_MARKERS[3], slug=SESSION_MARKERS[4], status=Status.DRAFT,
                                  starts_at=soon, ends_at=soon + timedelta(hours=1), venue=venue)
    shown = KnowledgeEvent.objects.create(title="Leakcheck published event", slug="leakcheck-published-event",
                                          status=Status.PUBLISHED, starts_at=soon, ends_at=soon + timedelta(hours=1))
    shown.presenting_services.set([acacia, *hidden])


def snapshot(client, urls):
    """What each surface shows, without what changes between any two requests (tokens, ids)."""
    shown = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.getvalue().decode()  # streamed responses too (the CSV, ADR 27)
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        if response["Content-Type"] == "application/x-ndjson":  # one JSON object a line
            shown[url] = [json.loads(line) for line in text.splitlines()]
        else:
            shown[url] = json.loads(text) if response["Content-Type"].startswith("application") and "json" in response["Content-Type"] else text
    return shown


def test_drafts_archived_and_pending_changes_never_reach_a_public_surface(django_user_model):
    client = Client()
    acacia = Service.objects.get(slug="acacia")
    before = snapshot(client, [url for url in public_urls([acacia.pk]) if "leakcheck-published-event" not in url])
    leaky = make_leaky_records(django_user_model)
    urls = public_urls([acacia.pk] + [s.pk for s in leaky])
    after = snapshot(client, urls)
    for url, shown in after.items():
        text = json.dumps(shown) if not isinstance(shown, str) else shown
        for marker in MARKERS:
            assert marker not in text, f"{marker!r} leaked on {url}"
    # Counts and lists are as if the hidden records did not exist (a shared list drops them).
    for url in ("/parents/whats-on/", "/services.csv", "/api/services?per_page=200", "/api/service_at_locations?per_page=200", "/search/", "/search/?district=hodge-hill", "/search/?need=bonding_attachment", "/map/districts.geojson",
                "/map/districts/hodge-hill/panel/", "/parents/support/all/"):
        assert after[url] == before[url], f"{url} changed because of hidden records"
    # Their own pages are as absent as unknown ones.
    for service in leaky:
        assert client.get(f"/services/{service.slug}/").status_code == 404
        assert client.get(f"/parents/services/{service.slug}/").status_code == 404


# --- Issue 20: check-in contacts and the addresses invitations went to ----------------------------

CONTACT_NAME, CONTACT_EMAIL = "Quillon Leakcheckcontact", "quillon.leakcheck@example.org"
INVITED_NAME, INVITED_EMAIL = "Ysolde Leakcheckinvited", "ysolde.leakcheck@example.org"


def test_check_in_contacts_and_invitation_addresses_never_reach_a_public_surface(settings):
    """Every public page, API endpoint and the CSV that shows the service, searched for the
    contact's and the invited person's distinctive name and e-mail (issue 20, item 8)."""
    from directory.checkins.tokens import create_invitation
    from directory.models import CheckInContact

    settings.CACHE_PAGES = False
    client = Client()
    acacia = Service.objects.get(slug="acacia")
    CheckInContact.objects.create(service=acacia, name=CONTACT_NAME, email=CONTACT_EMAIL)
    create_invitation(service=acacia, name=INVITED_NAME, email=INVITED_EMAIL)
    urls = [url for url in public_urls([acacia.pk]) if "leakcheck-published-event" not in url] + [
        f"/services/{acacia.slug}/", f"/parents/services/{acacia.slug}/", f"/services/{acacia.slug}/suggest/",
        f"/parents/services/{acacia.slug}/suggest/", f"/api/services/{acacia.uuid}",
        "/search/?q=acacia", "/search/?q=leakcheck", "/search/?q=quillon", "/api/services?search=acacia",
    ]
    urls += [f"/api/service_at_locations/{row['id']}" for row in
             client.get("/api/service_at_locations?per_page=200").json()["contents"]
             if row.get("service_id") == str(acacia.uuid)]
    shown = snapshot(client, urls)
    assert any(acacia.name in (text if isinstance(text, str) else json.dumps(text)) for text in shown.values())
    for url, body in shown.items():
        text = (body if isinstance(body, str) else json.dumps(body)).lower()
        for marker in (CONTACT_NAME, CONTACT_EMAIL, INVITED_NAME, INVITED_EMAIL, "leakcheckcontact", "leakcheckinvited"):
            assert marker.lower() not in text, f"{marker!r} leaked on {url}"
