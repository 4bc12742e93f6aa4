"""Search that finds the right service first (issue 11), on the seed's 25 services.

Runs on SQLite and PostgreSQL alike: the suite runs on both.
"""

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils.text import slugify

from directory.search.filters import STAGES
from directory.models import (
    ServiceDistrict,
    AgeRange, Intervention, Level, Need, Organisation, ReferralRoute, SearchSynonym, Service, ServiceAtLocation, Status,
    Venue,
)
from directory.practitioners.presenters.search import search_query
from directory.search.selectors import count_union, service_filter_queryset, service_search
from mapping.postcodes import place_lookup
from tests.directory.search.test_search import (
    DISTANCE_QUERIES, FILTERED_QUERIES, RECORD_QUERIES, make_services, names, search, text,
)

pytestmark = pytest.mark.django_db

ACACIA = "Acacia"
CPMHT = "Community Perinatal Mental Health Team"
NEONATAL = "Neonatal Unit psychological support"  # a hospital venue in B9, age range not recorded
HEALTH_VISITING = "Birmingham Forward Steps: Health Visiting"
FTB_UNDER_2S = "Forward Thinking Birmingham Under 2s (infant mental health)"




def all_found(**params):
    results = service_search(data={**params}, per_page=100)
    return [service.name for service in results.page.object_list]


# --- Ranking ----------------------------------------------------------------------

def test_it_ranks_services_known_to_fit_the_age_above_unknown_ranges(client):
    response = search(client, postcode="B8 1AA", age="4")
    services = [card.service for card in response.context["cards"]]
    fits = [service.age_range != AgeRange.NOT_STATED for service in services]
    assert fits[0] and False in fits  # the unknown ranges are still there (never excluded)...
    assert fits == sorted(fits, reverse=True)  # ...but every known fit comes first
    assert names(response)[0] != NEONATAL
    assert response.context["results"].sort == "relevance"


def test_the_card_says_why_a_service_is_there(client):
    response = search(client, postcode="B8 1AA", age="4")
    cards = {card.name: card for card in response.context["cards"]}
    # New Baby Network records no age range; the neonatal unit, also without one, is only for the
    # hospital's families, so it ranks below page one (issue 22).
    assert "Age range not recorded, so it is included: check the age with the service." in cards["New Baby Network"].reasons
    assert NEONATAL not in cards
    assert cards[ACACIA].reasons == ["City-wide, so it covers Hodge Hill."]
    assert "Age range not recorded, so it is included" in text(response)


def test_a_local_service_ranks_above_a_city_wide_one_of_the_same_fit(client):
    # Roots works in Northfield only; with a Northfield district it is local.
    found = all_found(district="northfield", age="4")
    roots = found.index("Social and Emotional Mental Health Pathfinder: Roots project")
    city_wide_known = [name for name in found if Service.objects.get(name=name).coverage_type == "city_wide"
                       and Service.objects.get(name=name).age_range != AgeRange.NOT_STATED]
    without_route = [s.name for s in Service.objects.filter(name__in=city_wide_known, referral_routes__isnull=True)]
    # Local with no recorded route (4 + 2) beats city-wide without one (4), not city-wide with one (4 + 1 < 6).
    assert all(roots < found.index(name) for name in city_wide_known)
    assert without_route


def test_a_service_with_a_referral_route_ranks_above_one_without_of_the_same_fit(client):
    found = all_found()
    with_route = set(Service.objects.filter(referral_routes__isnull=False).values_list("name", flat=True))
    named_group = set(Service.objects.filter(named_group_only=True).values_list("name", flat=True))
    # Open services first (issue 22), then within each the ones with a recorded route.
    open_flags = [name not in named_group for name in found]
    assert open_flags == sorted(open_flags, reverse=True) and False in open_flags
    for kind in (True, False):
        flags = [name in with_route for name in found if (name not in named_group) == kind]
        assert flags == sorted(flags, reverse=True)
    flags = [name in with_route for name in found if name not in named_group]
    assert True in flags and False in flags  # both kinds are there to be ordered


def test_a_hospitals_own_service_is_not_first_because_the_hospital_is_near(client):
    # A family at B8 with a 4-month-old: Heartlands Hospital (B9) is near, but the neonatal unit's
    # service is for the hospital's families and city-wide, so it is neither local nor first.
    found = all_found(postcode="B8 1AA", age="4")
    named_group = set(Service.objects.filter(named_group_only=True).values_list("name", flat=True))
    assert found[0] not in named_group
    known_age = [name for name in found if Service.objects.get(name=name).age_range != AgeRange.NOT_STATED]
    first_named = min(known_age.index(name) for name in named_group if name in known_age)
    # Among services known to fit the age, every open one comes before a hospital's own.
    assert all(known_age.index(name) < first_named for name in known_age if name not in named_group)
    assert not ServiceDistrict.objects.filter(service__name=NEONATAL, is_local=True,
                                              district__name__in=["Hodge Hill", "Ladywood"]).exists()


def test_distance_breaks_ties_within_the_same_fit(client):
    # On the seed no two services of the same fit both have a venue: two city-wide services
    # with a route, neither local to Hodge Hill, whose names sort the other way round.
    organisation = Organisation.objects.first()
    for name, venue in (("Aardvark group, far", "Good Hope Hospital"), ("Zebra group, near", "Birmingham Children's Hospital")):
        service = Service.objects.create(organisation=organisation, name=name, slug=slugify(name), status=Status.PUBLISHED,
                                         summary="x", focus="additional", age_range=AgeRange.ANY, coverage_type="city_wide")
        service.levels.set([Level.objects.get(code="universal")])
        ReferralRoute.objects.create(service=service, referrer="self")
        ServiceAtLocation.objects.create(service=service, venue=Venue.objects.get(name=venue))
    results = service_search(data={"postcode": "B9 5SS", "age": "4"}, per_page=100)
    services = list(results.page.object_list)
    tied = 0
    for fit in {service.fit for service in services}:
        same = [s.distance_km for s in services if s.fit == fit and s.distance_km is not None]
        assert same == sorted(same)
        tied += len(same) > 1
    assert tied  # at least one fit had distances to order
    names = [s.name for s in services]
    assert names.index("Zebra group, near") < names.index("Aardvark group, far")


def test_name_sort_ignores_case(client):
    organisation = Organisation.objects.first()
    Service.objects.create(organisation=organisation, name="a lower-case service", slug="lower-case",
                           status=Status.PUBLISHED, summary="x", focus="additional")
    found = names(search(client, sort="name"))
    assert found[:2] == ["a lower-case service", ACACIA]  # not after every capital, as bytes would sort


# --- Search state survives navigation ------------------------------------------------

def test_every_result_links_to_its_service_with_the_search(client):
    response = search(client, q="perinatal", postcode="B8 1AA", age="4", level="specialist", page="1")
    card = response.context["cards"][0]
    assert card.url.endswith("?q=perinatal&postcode=B8+1AA&age=4&level=specialist&page=1")


def test_the_shortlist_and_the_map_keep_the_search(client):
    client.cookies["shortlist"] = str(Service.objects.get(name=ACACIA).pk)
    page = text(search(client, q="perinatal", age="4"))
    assert 'href="/shortlist/?q=perinatal&age=4"' in page
    assert 'href="/map/?q=perinatal&age=4"' in page
    shortlist = text(client.get("/shortlist/?q=perinatal&age=4"))
    assert 'href="/search/?q=perinatal&age=4">Back to your results' in shortlist


def test_search_query_keeps_only_search_parameters():
    data = QueryDict("q=dad&services=1.2&level=targeted&level=specialist&x=1&page=2")
    assert search_query(data) == "q=dad&level=targeted&level=specialist&page=2"
    assert search_query(QueryDict("q=" + "a" * 2000)) == ""


# --- Words people use ----------------------------------------------------------------

@pytest.mark.parametrize("word", ["dad", "dads", "father", "Fathers", "co-parent"])
def test_words_for_fathers_find_the_fathers_need_services(client, word):
    fathers = set(Need.objects.get(code="fathers_co_parents").services.values_list("name", flat=True))
    assert fathers == {ACACIA}
    assert fathers <= set(all_found(q=word))


def test_pnd_finds_what_postnatal_depression_finds(client):
    assert HEALTH_VISITING in all_found(q="PND")
    assert set(all_found(q="PND")) == set(all_found(q="postnatal depression"))


def test_camhs_finds_forward_thinking_birmingham(client):
    found = all_found(q="CAMHS")
    assert FTB_UNDER_2S in found and "Forward Thinking Birmingham Children in Care Pathway" in found


def test_bonding_and_attachment_find_the_same_services(client):
    assert set(all_found(q="bonding")) == set(all_found(q="attachment"))
    assert CPMHT in all_found(q="attachment")


def test_mum_finds_services_for_mothers(client):
    assert CPMHT in all_found(q="mum")  # "Mothers with moderate to severe ..."


def test_without_the_synonym_dad_finds_nothing(client):
    SearchSynonym.objects.all().delete()
    assert all_found(q="dad") == []


def test_a_synonym_a_curator_adds_applies_at_once(client):
    assert all_found(q="wobbly") == []
    SearchSynonym.objects.create(terms="wobbly, perinatal mental health")
    assert CPMHT in all_found(q="wobbly")


def test_synonyms_combine_with_other_words(client):
    # Both words in the same text (PostgreSQL matches the whole query in one source: ADR 4).
    found = all_found(q="mum severe")
    assert CPMHT in found  # "Mothers with moderate to severe ..."
    assert ACACIA not in found


def test_need_and_approach_names_match_keywords(client):
    assert ACACIA in all_found(q="peer support")  # an approach
    assert "St Basils Youth Homelessness Service" in all_found(q="homelessness")  # a need


def test_the_approach_filter_applies(client):
    peer = set(Intervention.objects.get(code="peer_support").services.values_list("name", flat=True))
    response = search(client, intervention="peer_support")
    assert set(names(response)) == peer and len(peer) >= 2
    assert "Approach: Peer support and befriending" in text(response)


def test_a_bad_approach_is_explained_not_a_500(client):
    response = search(client, intervention="<nope>")
    assert "is not an approach we list" in text(response)


# --- Counts on filter options ---------------------------------------------------------

def _options(group):
    return [option for option in group.options if option.value and option.count is not None]


@pytest.mark.parametrize("params", [
    {}, {"postcode": "B8 1AA", "age": "4"}, {"q": "perinatal", "level": "targeted"},
    {"need": "bonding_attachment", "referral": "professional", "free": "1"},
    # Several parameters in use at once, each counted over every filter but its own (the
    # query evaluates each such set once: issue 26), with words that go through synonyms.
    {"q": "low mood", "stage": "pregnant", "district": "hodge-hill", "focus": ["specialised", "additional"]},
    {"level": ["specialist", "targeted"], "audience": "everyone", "referral": "self", "sort": "name",
     "delivery": ["groups", "online"]},
    {"language": "ur", "intervention": "video_interaction_guidance", "need": ["bonding_attachment"]},
    {"q": "feeding", "postcode": "B23 6DJ", "age": "10", "free": "1", "focus": "non_specialised"},
])
def test_every_option_count_matches_the_results_it_gives(client, params):
    response = search(client, **params)
    groups = {group.name: group for group in response.context["groups"]}
    checked = 0
    for name, group in groups.items():
        for option in _options(group):
            data = {key: value for key, value in params.items() if key != name}
            data[name] = option.value
            assert option.count == service_search(data=data).count, (name, option.value)
            checked += 1
    assert checked > 40


def test_stage_counts_match_the_results(client):
    filterset = service_filter_queryset(data={"need": "bonding_attachment"})[1]
    counts, _ = count_union(filterset=filterset)
    for stage in STAGES:
        assert counts["stage"][stage.value] == service_search(data={"need": "bonding_attachment",
                                                                    "stage": stage.value}).count


def test_an_option_with_no_services_says_0_before_it_is_chosen(client):
    response = search(client, q="homelessness")
    need = next(group for group in response.context["groups"] if group.name == "need")
    fathers = next(option for option in need.options if option.value == "fathers_co_parents")
    assert fathers.count == 0
    assert 'Fathers and co-parents <span class="app-option-count">(0<span class="nhsuk-u-visually-hidden"> services' \
        in text(response)


def test_option_counts_take_a_constant_number_of_queries(django_assert_num_queries):
    for extra in (0, 25):
        make_services(extra, prefix=f"Counted {extra}")
        filterset = service_filter_queryset(data={"level": "specialist", "q": "team"})[1]
        with django_assert_num_queries(1):  # every parameter's counts in one UNION ALL
            count_union(filterset=filterset)


# --- Postcode districts and sectors ---------------------------------------------------

@pytest.mark.parametrize("raw, shown", [("B8", "B8"), ("b8", "B8"), (" b8  1 ", "B8 1"), ("B8 1", "B8 1")])
def test_a_postcode_district_or_sector_resolves_to_the_centre_of_its_postcodes(raw, shown):
    result = place_lookup(raw)
    assert result.found and result.approximate and result.postcode == shown
    assert result.district.name == "Hodge Hill"
    assert 52.45 < result.lat < 52.5 and -1.9 < result.lon < -1.8


def test_b8_works_on_the_search_page_with_approximate_distances(client):
    response = search(client, postcode="B8")
    assert response.context["results"].count > 0
    page = text(response)
    assert "Near B8 (Hodge Hill; distances approximate)" in page
    assert "about " in page and " miles away" in page


@pytest.mark.parametrize("raw, message", [
    ("ZZ9", "We could not find ZZ9"), ("B", "Enter a postcode, like B8 1AA, or its first part, like B8."),
    ("B8 12", "Enter a postcode"), ("\u0661\u0662", "Enter a postcode"), ("B8\x00", "Null characters are not allowed"),
])
def test_a_bad_postcode_area_is_explained_never_a_500(client, raw, message):
    response = client.get(reverse("directory:search"), {"postcode": raw})
    assert response.status_code == 200
    assert message in text(response)


def test_a_full_postcode_is_exact(client):
    result = place_lookup("B8 1AA")
    assert result.found and not result.approximate


# --- Filter tags -----------------------------------------------------------------------

def test_when_a_postcode_overrides_a_district_the_district_tag_is_gone(client):
    response = search(client, postcode="B8 1AA", district="northfield")
    assert [tag.param for tag in response.context["tags"]] == ["postcode"]


# --- One submit button, results first ------------------------------------------------

def test_the_search_form_has_one_submit_button_after_the_results(client):
    page = text(search(client, postcode="B8 1AA"))
    form = page[page.index('id="search-form"'):]
    assert form.count('type="submit"') == 1 and "Apply filters" not in page
    assert page.index('id="results-heading"') < page.index('id="search-form"')
    assert 'href="#search-form">Change the search or filters (1 used)' in page


# --- Query counts ---------------------------------------------------------------------

@pytest.mark.parametrize("extra", [0, 30])
def test_a_search_with_synonyms_runs_a_fixed_number_of_queries(client, django_assert_num_queries, extra):
    make_services(extra)
    # A word the synonyms know is never a typo: the vocabulary is not read (one query fewer). The
    # search is counted too (issue 22).
    with django_assert_num_queries(FILTERED_QUERIES - 1 + RECORD_QUERIES):
        response = search(client, postcode="B4 6NH", level="specialist", need="perinatal_mental_health_severe", q="mum")
    assert CPMHT in names(response)  # "Mothers with moderate to severe ..."


@pytest.mark.parametrize("extra", [0, 30])
def test_a_search_from_a_postcode_district_runs_a_fixed_number_of_queries(client, django_assert_num_queries, extra):
    make_services(extra)
    # The area's postcodes, then its district; and the search is counted (issue 22).
    with django_assert_num_queries(DISTANCE_QUERIES + 1 + RECORD_QUERIES):
        search(client, postcode="B4", sort="distance")
