"""Issue 14: property-based fuzzing of every public endpoint and every parameter it reads.

For each endpoint, hypothesis sends a fixed budget of generated query strings (any Unicode,
control characters, digits of other scripts, huge and negative numbers, repeated and empty
parameters, markup) and asserts: never a server error, and nothing typed comes back as live
markup. Derandomised when CI is set, so CI runs the same examples every time.
"""
import os

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from directory.models import Service

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))  # per endpoint
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=bool(os.environ.get("CI")),
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], database=None)
MARKER = "<x-fuzz>"

SEARCH_PARAMETERS = ["q", "age", "stage", "postcode", "district", "level", "focus", "need", "intervention",
                     "delivery", "language", "referral", "free", "audience", "sort", "page", "near"]
# Every public GET endpoint and the parameters it reads (keep in step with the urls).
ENDPOINTS = {
    "/": ["postcode"],
    "/about/": [],
    "/search/": SEARCH_PARAMETERS,
    "/shortlist/": ["services"],
    "/services/acacia/": ["from", "back"],
    "/map/": SEARCH_PARAMETERS + ["measure"],
    "/map/districts.geojson": SEARCH_PARAMETERS + ["measure"],
    "/map/districts/hodge-hill/panel/": SEARCH_PARAMETERS + ["measure"],
    "/needs/": ["disorganised_percent", "insecure_percent", "demand_percent", "already_seen_percent", "caseload"],
    "/parents/": [],
    "/parents/support/": ["age", "postcode", "language"],
    "/parents/support/all/": ["age", "postcode", "language"],
    "/parents/topics/feeling-low/": ["age", "postcode", "language"],
    "/parents/services/acacia/": [],
    "/parents/saved/": ["services"],
    "/healthz": [],
    "/services.csv": [],
    "/api/": [],
    "/api/docs/": [],
    "/api/services": ["search", "page", "per_page", "taxonomy_term_id", "taxonomy_id", "minimum_age",
                      "maximum_age", "format", "day", "modified_after", "minimal", "full", "organization_id"]
    + SEARCH_PARAMETERS,
    "/api/service_at_locations": ["search", "page", "per_page", "postcode", "proximity", "taxonomy_term_id",
                                  "minimum_age", "maximum_age", "modified_after", "full", "format"],
    "/api/taxonomies": ["page", "per_page", "search", "format"],
    "/api/taxonomy_terms": ["taxonomy_id", "page", "per_page", "search", "top_only", "parent_id", "format"],
    "/api/organizations": ["search", "full", "full_service", "page", "per_page", "format"],
    # What's on (issue 23)
    "/parents/whats-on/": ["age", "postcode", "language", "topic", "day"],
    "/parents/whats-on/calendar.ics": ["age", "postcode", "language", "topic"],
    "/services/acacia/calendar.ics": [],
    "/events/": [],
    "/events/calendar.ics": [],
}

numbers = st.one_of(
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.sampled_from(["²", "①", "٣", "３", "1_0", "1e-30", "1e309", "NaN", "-0", "0x10", " 4 ", "4.5"]),
)
texts = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30).map(lambda t: t + MARKER),
    st.sampled_from(["B8 1AA", "b8", "B8 1", "ZZ9 9ZZ", "'; DROP TABLE x;--", "%00", "\x00", "\u202e", "../../etc"]),
)
values = st.one_of(numbers, texts)


def query_for(names):
    """A list of (name, value) pairs: some parameters repeated, some unknown, some empty."""
    name = st.sampled_from(names) if names else st.just("x")
    return st.lists(st.tuples(st.one_of(name, st.text(max_size=8)), values), max_size=6)


def check(client, path, pairs):
    response = client.get(path, {k: [v for n, v in pairs if n == k] for k, _ in pairs})
    assert response.status_code < 500, (path, pairs)
    if response.get("Content-Type", "").startswith("text/html"):
        assert MARKER not in response.content.decode(), f"unescaped input on {path}: {pairs}"


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_no_generated_query_string_breaks_a_public_page(path):
    client = Client()

    @FUZZ
    @given(query_for(ENDPOINTS[path]))
    def run(pairs):
        check(client, path, pairs)

    run()


@FUZZ
@given(slug=st.text(max_size=40))
def test_no_generated_address_breaks_the_service_pages(slug):
    client = Client()
    for prefix in ("/services/", "/parents/services/", "/parents/topics/", "/map/districts/", "/api/services/",
                   "/api/taxonomies/", "/api/taxonomy_terms/", "/api/service_at_locations/", "/api/organizations/"):
        response = client.get(prefix + slug.replace("/", "") + "/")
        assert response.status_code < 500, (prefix, slug)


@FUZZ
@given(slug=st.text(max_size=40), number=numbers)
def test_no_generated_address_breaks_the_whats_on_and_referral_pages(slug, number):
    """Issues 23 and 24: an event's address, a service's calendar, a referral page's slug and
    route id, and the referral ping (a POST without a token: never a 500, never counted)."""
    from directory.models import ReferralPrepared

    client = Client()
    slug = slug.replace("/", "")
    number = number.replace("/", "")
    before = ReferralPrepared.objects.count()
    for path in (f"/events/{slug}/", f"/services/{slug}/calendar.ics", f"/services/{slug}/refer/{number}/",
                 f"/services/acacia/refer/{number}/", f"/services/{slug}/refer/{_acacia_route()}/"):
        assert client.get(path).status_code < 500, path
    response = client.post(f"/referrals/{number}/prepared/", HTTP_X_REFERRAL_VIEW=slug)
    assert response.status_code < 500
    assert ReferralPrepared.objects.count() == before


def _acacia_route():
    from directory.models import ReferralRoute

    return ReferralRoute.objects.filter(service__slug="acacia", referrer="professional").values_list("pk", flat=True).first()


@pytest.mark.parametrize("which", ["refer", "organization"])
def test_no_generated_query_string_breaks_a_page_with_an_id_in_its_address(which):
    """The referral page reads the search's parameters (to go back to the search); an
    organisation's API address reads full_service."""
    from directory.models import Organisation

    if which == "refer":
        path, names = f"/services/acacia/refer/{_acacia_route()}/", SEARCH_PARAMETERS + ["services"]
    else:
        organisation = Organisation.objects.filter(services__slug="acacia").first()
        path, names = f"/api/organizations/{organisation.uuid}", ["full_service", "full", "format", "page"]
    client = Client()

    @FUZZ
    @given(query_for(names))
    def run(pairs):
        check(client, path, pairs)

    run()


@FUZZ
@given(cookie=st.text(max_size=80), ids=st.lists(numbers, max_size=5))
def test_no_generated_shortlist_breaks_the_pages_that_read_it(cookie, ids):
    from directory.core.shortlist import COOKIE_NAME

    client = Client()
    client.cookies[COOKIE_NAME] = cookie.encode("utf-8", "replace").decode("latin-1")
    for path in ("/search/", "/shortlist/", "/services/acacia/", "/parents/saved/"):
        assert client.get(path, {"services": ".".join(ids)} if "saved" in path else {}).status_code < 500
    response = client.post("/shortlist/change/", {"action": "add", "service": ids[0] if ids else cookie, "next": cookie})
    assert response.status_code < 500


def test_the_service_page_is_where_it_is_fuzzed():
    assert Service.objects.filter(slug="acacia", status="published").exists()


@FUZZ
@given(what=st.text(max_size=300), name=st.text(max_size=40), email=st.text(max_size=40), trap=st.text(max_size=5))
def test_no_generated_suggestion_breaks_the_form(what, name, email, trap):
    from django.core.cache import cache

    cache.clear()  # the rate limit is not what is being fuzzed here
    client = Client()
    for path in ("/services/acacia/suggest/", "/parents/services/acacia/suggest/"):
        response = client.post(path, {"text": what + MARKER, "contact_name": name, "contact_email": email, "website": trap})
        assert response.status_code < 500
        if response.get("Content-Type", "").startswith("text/html"):
            assert MARKER not in response.content.decode()


CSV_COLUMNS = ["slug", "name", "organisation", "status", "summary", "levels", "focus", "age_range", "age_from_months",
               "age_to_months", "cost", "phone", "email", "url", "languages", "coverage_type", "owner"]


@FUZZ
@given(header=st.lists(st.one_of(st.sampled_from(CSV_COLUMNS), st.text(max_size=10)), min_size=1, max_size=8),
       rows=st.lists(st.lists(values, max_size=8), max_size=4),
       encoding=st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_no_generated_csv_breaks_the_import(header, rows, encoding):
    """The curators' CSV import (a dry run): any header, any cells, any encoding; never a 500, nothing written."""
    import csv
    import io

    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    editor = get_user_model().objects.filter(username="fuzz-editor").first() or \
        get_user_model().objects.create_superuser("fuzz-editor", "f@example.org", "a-long-password-for-tests")
    client = Client()
    client.force_login(editor)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    payload = out.getvalue().encode(encoding, "replace")
    before = Service.objects.count()
    response = client.post("/admin/directory/service/import/", {
        "format": "0", "resource": "0", "import_file": SimpleUploadedFile("fuzz.csv", payload, content_type="text/csv")})
    assert response.status_code < 500
    assert Service.objects.count() == before
    assert MARKER not in response.content.decode("utf-8", "replace")
