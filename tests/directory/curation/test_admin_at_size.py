"""The admin at 100,000 services (issue 26, item 3; docs/adr/0027): lists and the dashboard run a
number of queries that does not grow with the rows, the search finds what Django's search found,
and what changed for curators (no "Show counts" on the long lists, a sort then by name) is as said.

Cara curates with every permission; Ellie is an IMHSG editor; Vic a viewer; Omar edits for Acacia."""
import pytest
from django.urls import reverse

from directory.models import Organisation, ReferralRoute, Service, ServiceAtLocation, Status, Venue

pytestmark = pytest.mark.django_db


def changelist(model):
    return reverse(f"admin:directory_{model}_changelist")


def add_services(count, organisation=None):
    organisation = organisation or Organisation.objects.get(name="Acacia Family Support")
    venue = Venue.objects.first()
    start = Service.objects.filter(slug__startswith="extra-").count()
    for i in range(start, start + count):
        service = Service.objects.create(organisation=organisation, name=f"Extra {i:03}", slug=f"extra-{i}",
                                         focus="additional", summary="A weekly extra group", status=Status.DRAFT)
        service.levels.set([1, 2])
        ReferralRoute.objects.create(service=service, referrer="self")
        ReferralRoute.objects.create(service=service, referrer="professional", professions="GP")
        ServiceAtLocation.objects.create(service=service, venue=venue)


def queries_for(client, url, django_assert_num_queries, count):
    """The number of queries `url` runs with `count` more services (the session read once before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    add_services(count)
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [
    changelist("service"), changelist("referralroute"), changelist("organisation"), changelist("venue"),
    changelist("fact"), changelist("session"), changelist("pendingchange"), changelist("need"),
    changelist("service") + "?q=extra", changelist("service") + "?missing=route",
    changelist("referralroute") + "?referrer__exact=self", reverse("curation-dashboard"),
])
def test_it_runs_as_many_queries_for_30_services_as_for_3(client, imhsg_editor, django_assert_num_queries, url):
    client.force_login(imhsg_editor)
    few = queries_for(client, url, django_assert_num_queries, 3)
    many = queries_for(client, url, django_assert_num_queries, 27)  # 30 in all
    assert few == many


@pytest.mark.parametrize("url", [changelist("service"), changelist("referralroute"), changelist("venue"),
                                 changelist("session")])
def test_an_organisation_editors_lists_do_not_grow_with_their_services_either(client, acacia_editor, url):
    client.force_login(acacia_editor)
    assert queries_for(client, url, None, 3) == queries_for(client, url, None, 27)


# --- The search finds what Django's search found ---------------------------------------------

def listed(client, query):
    response = client.get(changelist("service"), {"q": query})
    assert response.status_code == 200
    return {service.slug for service in response.context["cl"].result_list}


def test_the_search_finds_a_part_of_a_name_a_summary_or_an_organisations_name(curator_client):
    acacia = set(Service.objects.filter(organisation__name__icontains="acacia").values_list("slug", flat=True))
    assert acacia and acacia <= listed(curator_client, "ACACIA FAM")  # every word, any case, any part
    assert "acacia" in listed(curator_client, "cacia")
    summary = Service.objects.get(slug="breaking-the-cycle").summary
    word = max(summary.split(), key=len).strip(".,")
    assert "breaking-the-cycle" in listed(curator_client, word[1:-1])


def test_every_word_must_match_and_a_quoted_phrase_is_one_word(curator_client):
    assert listed(curator_client, "acacia zzznothing") == set()
    name = Service.objects.get(slug="breaking-the-cycle").name
    assert listed(curator_client, f'"{name}"') == {"breaking-the-cycle"}


def test_the_search_keeps_an_organisation_editor_to_their_own_services(client, acacia_editor):
    client.force_login(acacia_editor)
    found = listed(client, "a")
    assert found and found == set(Service.objects.filter(organisation__name="Acacia Family Support")
                                  .values_list("slug", flat=True))


def test_the_same_services_are_found_as_by_djangos_own_search(curator_client, rf, curator):
    from django.contrib import admin

    from directory.curation.admin.records import ServiceAdmin

    request = rf.get("/")
    request.user = curator
    ours = admin.site._registry[Service]
    for words in ("perinatal", "acacia support", "'mental health'", "birmingham team", "zz"):
        mine, _ = ours.get_search_results(request, Service.objects.all(), words)
        djangos, _ = admin.ModelAdmin.get_search_results(ours, request, Service.objects.all(), words)
        assert set(mine) == set(djangos), words
    assert ServiceAdmin.search_fields == ["name", "summary", "organisation__name"]


# --- What curators see differently -------------------------------------------------------------

def test_the_long_lists_offer_no_counts_beside_their_filters(curator_client):
    for model in ("service", "referralroute"):
        response = curator_client.get(changelist(model) + "?_facets=1")
        assert response.status_code == 200
        assert not response.context["cl"].add_facets
        assert b"Show counts" not in response.content
    assert b"Show counts" in curator_client.get(changelist("venue")).content  # short lists keep them


def test_routes_are_listed_by_their_services_name(curator_client):
    response = curator_client.get(changelist("referralroute"))
    services = [route.service.name for route in response.context["cl"].result_list]
    assert services and services == sorted(services)


def test_a_sort_by_status_lists_each_status_by_name(curator_client):
    Service.objects.filter(slug__in=["acacia", "breaking-the-cycle"]).update(status=Status.DRAFT)
    status = curator_client.get(changelist("service")).context["cl"].list_display.index("status")
    rows = curator_client.get(changelist("service"), {"o": str(status)}).context["cl"].result_list
    pairs = [(service.status, service.name) for service in rows]
    assert pairs == sorted(pairs) and pairs[0][0] == Status.DRAFT
