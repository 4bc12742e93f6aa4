"""Issue 26: a version per kind of content, so a change makes cold only what reads its kind
(directory/core/content.py, docs/adr/0028-content-versions-per-kind.md).

The guarantee stays the one of docs/adr/0013: no page is ever served older than its data.
A view that says it reads fewer kinds than all is checked here against the tables it really
reads, with every cache empty (so its whole work runs), for several addresses each; and every
such view of the URLconf must be among them, so a view narrowed later cannot go unchecked.
"""
import re

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import get_resolver, resolve

from directory.core import content
from directory.core.caching import cached_page, content_etag
from directory.models import KnowledgeEvent, Level, NeedStep, ParentTopic, Service, Session
from directory.search import terms
from mapping.models import District, NeedsModelSettings, Ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def whats_on():
    """Sessions (one at a venue, with a cancellation and a term) and events, past and to come,
    one presented by the service the addresses open: the seed has none, and a view's reads of
    them would otherwise go unexercised."""
    from datetime import date, timedelta

    from django.utils import timezone

    from tests.directory.whatson.conftest import EYFS, cancel, place_for, session, term, venue

    service = Service.objects.get(name=EYFS)
    at = place_for(service, venue())
    weekly = session(service, place=at, title="Test stay and play")
    session(service, online=True, byday="TH", title="Test online group", term_time_only=True)
    cancel(weekly, date.today() + timedelta(days=7))
    term(date.today() - timedelta(days=30), date.today() + timedelta(days=60))
    for title, days in (("Test lunch bite", -10), ("Test coffee morning", 5)):
        start = timezone.now().replace(microsecond=0) + timedelta(days=days)
        made = KnowledgeEvent.objects.create(title=title, slug=title.lower().replace(" ", "-"), status="published",
                                             starts_at=start, ends_at=start + timedelta(minutes=45))
        made.presenting_services.add(service)
    content.forget()
    return service


def _addresses(service):
    other = Service.objects.published().exclude(pk=service.pk).first()
    topic = ParentTopic.objects.order_by("pk").first()
    event = KnowledgeEvent.objects.order_by("pk").first()
    addresses = [
        "/", "/about/", "/search/", "/search/?q=anxiety", "/search/?q=anxeity+groop",
        "/search/?postcode=B8+1AA&age=4&level=specialist", "/search/?district=hodge-hill&stage=pregnant&free=1",
        "/search/?sort=name&page=2", "/search/?need=nonexistent&age=x",
        f"/services/{service.slug}/", f"/services/{other.slug}/", f"/services/{service.slug}/?q=parents",
        "/shortlist/", f"/shortlist/?services={service.pk},{other.pk}",
        "/parents/", "/parents/support/", "/parents/support/?age=4&postcode=B8+1AA", "/parents/support/all/",
        "/parents/support/all/?age=-3&postcode=B5+7RN", f"/parents/topics/{topic.slug}/",
        f"/parents/topics/{topic.slug}/?age=4&postcode=B8+1AA", f"/parents/services/{service.slug}/",
        "/parents/saved/", "/parents/whats-on/", "/parents/whats-on/?age=4&postcode=B8+1AA",
        f"/parents/whats-on/?topic={topic.slug}&when=week", "/parents/whats-on/calendar.ics",
        "/parents/whats-on/calendar.ics?postcode=B8+1AA", f"/services/{service.slug}/calendar.ics",
        "/events/", "/events/calendar.ics",
        "/map/", "/map/?age=4&level=specialist&district=hodge-hill", "/map/?postcode=B8+1AA",
        "/map/districts.geojson", "/map/districts.geojson?age=4&level=specialist", "/map/markers.geojson",
        "/map/markers.geojson?need=perinatal-mental-health", "/map/wards.geojson",
        "/map/districts/hodge-hill/panel/", "/map/districts/hodge-hill/panel/?stage=pregnant", "/needs/",
        "/api/taxonomies", "/api/taxonomy_terms", "/api/taxonomy_terms?taxonomy_id=x", "/api/taxonomy_terms?vocabulary=level",
    ]
    taxonomy = Level.objects.order_by("pk").first()
    addresses += [f"/api/taxonomy_terms/{taxonomy.uuid}", f"/api/taxonomies/{taxonomy.uuid}"]
    if event is not None:
        addresses.append(f"/events/{event.slug}/")
    return addresses


def _tables_read(client, address, cookies=None):
    """The kinds of the content tables read while serving `address` from nothing cached."""
    tables = content.content_tables()
    for alias in settings.CACHES:
        caches[alias].clear()
    terms.forget()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
    read = {}
    for query in queries.captured_queries:
        for name in re.findall(r'"([a-z_0-9]+)"', query["sql"]):
            if name in tables:
                read.setdefault(tables[name], set()).add(name)
    return response, read


def test_every_view_that_says_it_reads_fewer_kinds_reads_no_other(client, whats_on):
    client.cookies["shortlist"] = ",".join(str(pk) for pk in Service.objects.published().values_list("pk", flat=True)[:3])
    checked = set()
    for address in _addresses(whats_on):
        view = resolve(address.split("?")[0]).func
        declared = getattr(view, "content_kinds", None)
        response, read = _tables_read(client, address)
        assert response.status_code < 500, (address, response.status_code)
        if declared is None:
            continue
        checked.add(view)
        undeclared = {kind: tables for kind, tables in read.items() if kind not in declared}
        assert not undeclared, f"{address} reads {undeclared} but its view says it reads only {declared}"
    # The seed holds what the addresses need (otherwise a view's reads went unexercised).
    assert Session.objects.exists() and KnowledgeEvent.objects.exists()
    narrowed = {pattern_view for pattern_view in _public_views() if getattr(pattern_view, "content_kinds", None)}
    assert narrowed, "no view says it reads fewer kinds: this test would check nothing"
    assert narrowed <= checked, f"views narrowed but never checked here: {[v.__name__ for v in narrowed - checked]}"


def _public_views():
    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            else:
                yield pattern.callback
    return set(walk(get_resolver().url_patterns))


def _kinds_changed(change):
    before = {kind: content.current((kind,)) for kind in content.KINDS}
    change()
    content.forget()
    return {kind for kind in content.KINDS if content.current((kind,)) != before[kind]}


@pytest.mark.parametrize("model, kind", [
    (Service, "services"), (Level, "reference"), (ParentTopic, "reference"), (NeedStep, "reference"),
    (District, "places"), (Ward, "places"), (Session, "whatson"), (KnowledgeEvent, "whatson"),
    (NeedsModelSettings, "needs"),
])
def test_a_change_bumps_its_own_kind_alone(model, kind, whats_on):
    row = model.objects.order_by("pk").first()
    if row is None:  # the needs model's settings are made when a curator first saves them
        row = model.objects.create()
    pk = model._meta.pk.attname  # a column set to itself: the triggers fire all the same
    assert _kinds_changed(lambda: model.objects.filter(pk=row.pk).update(**{pk: F(pk)})) == {kind}


def test_a_many_to_many_change_bumps_the_kind_of_the_model_that_declares_it():
    service = Service.objects.published().first()
    level = Level.objects.exclude(pk__in=service.levels.all()).first()
    assert _kinds_changed(lambda: service.levels.add(level)) == {"services"}
    topic = ParentTopic.objects.filter(needs__isnull=False).first()
    assert _kinds_changed(lambda: topic.needs.clear()) == {"reference"}


def test_every_content_table_has_a_kind_and_unknown_kinds_are_refused():
    tables = content.content_tables()
    assert set(tables.values()) == set(content.KINDS)
    assert tables["directory_session"] == "whatson" and tables["directory_service_levels"] == "services"
    assert tables["directory_parenttopic_needs"] == "reference" and tables["mapping_postcode"] == "places"
    with pytest.raises(ValueError):
        content.current(("service",))
    with pytest.raises(ValueError):
        content.current(())


def test_an_etag_above_a_page_cached_under_other_kinds_is_refused():
    with pytest.raises(ImproperlyConfigured):
        content_etag(kinds=("places",))(cached_page(kinds=("places", "services"))(lambda request: HttpResponse()))
    with pytest.raises(ImproperlyConfigured):
        content_etag(cached_page(kinds=("places",))(lambda request: HttpResponse()))


def _etag(client, address):
    """A page's ETag for a first visit (a page's ETag is also the visitor's: a client carrying
    cookies another page set would get another)."""
    return Client().get(address)["ETag"]


def test_a_services_save_leaves_what_does_not_read_services_warm(settings):
    settings.CACHE_PAGES = True
    client = Client()
    warm = {address: _etag(client, address) for address in ("/parents/", "/map/wards.geojson", "/api/taxonomies")}
    searched = _etag(client, "/search/")
    service = Service.objects.published().first()
    Service.objects.filter(pk=service.pk).update(summary=service.summary + " Now on Tuesdays too.")
    content.forget()
    for address, before in warm.items():
        with CaptureQueriesContext(connection) as queries:
            again = Client().get(address, HTTP_IF_NONE_MATCH=before)
        assert again.status_code == 304, address
        assert len(queries) == 1, (address, [q["sql"] for q in queries.captured_queries])  # the version, no more
    assert Client().get("/search/", HTTP_IF_NONE_MATCH=searched).status_code == 200
    assert "Now on Tuesdays too." in client.get(f"/services/{service.slug}/").content.decode()


def test_a_sessions_save_leaves_the_map_warm_and_changes_the_service_page(settings, whats_on):
    settings.CACHE_PAGES = True
    client = Client()
    session = Session.objects.select_related("service").order_by("pk").first()
    map_etag = _etag(client, "/map/")
    markers_etag = _etag(client, "/map/markers.geojson")
    page_etag = _etag(client, f"/services/{session.service.slug}/")
    Session.objects.filter(pk=session.pk).update(title="Tuesday stay and play, new room")
    content.forget()
    assert Client().get("/map/", HTTP_IF_NONE_MATCH=map_etag).status_code == 304
    assert Client().get("/map/markers.geojson", HTTP_IF_NONE_MATCH=markers_etag).status_code == 304
    again = Client().get(f"/services/{session.service.slug}/", HTTP_IF_NONE_MATCH=page_etag)
    assert again.status_code == 200 and "new room" in again.content.decode()


def test_a_needs_settings_save_leaves_search_warm_and_changes_the_needs_page(settings):
    settings.CACHE_PAGES = True
    if not NeedsModelSettings.objects.exists():  # made when a curator first saves them
        NeedsModelSettings.objects.create()
    content.forget()
    client = Client()
    search_etag = _etag(client, "/search/?age=4")
    needs_etag = _etag(client, "/needs/")
    row = NeedsModelSettings.objects.first()
    NeedsModelSettings.objects.filter(pk=row.pk).update(id=F("id"))
    content.forget()
    assert Client().get("/search/?age=4", HTTP_IF_NONE_MATCH=search_etag).status_code == 304
    assert Client().get("/needs/", HTTP_IF_NONE_MATCH=needs_etag).status_code == 200
