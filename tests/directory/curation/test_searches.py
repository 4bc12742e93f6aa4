"""Issue 22, item 2: what people searched for, for the IMHSG and commissioners: the dashboard's
panel, the list (/admin/searches/) and its CSV (directory/curation/searches.py and
directory/curation/admin/searches.py). IMHSG editors, viewers and superusers read them;
organisation editors never, whatever other group they are in."""
import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from directory.curation import searches
from directory.curation.roles import VIEWERS
from directory.models import SearchRecord
from directory.search.record import PARENTS, PRACTITIONERS

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("curation-dashboard")
LIST = reverse("search-report")
CSV = reverse("search-report-csv")


def record(query="", *, filters="", results=0, searches=1, audience=PRACTITIONERS, days_ago=0):
    return SearchRecord.objects.create(day=timezone.localdate() - timedelta(days=days_ago), audience=audience,
                                       query=query, filters=filters, results=results, searches=searches)


@pytest.fixture
def searched():
    """A month and more of searches: some found nothing, some 1 or 2 services, some many."""
    record("midwife", results=0, searches=4)
    record("midwife", results=0, searches=3, days_ago=5)  # the same search on another day
    record("perinatl", results=0, searches=2, filters="district=hodge-hill")
    record("health visitor", results=2, searches=5)
    record("breastfeeding", results=1, searches=1, days_ago=10)
    record("perinatal", results=12, searches=9)
    record(results=0, searches=6, audience=PARENTS, filters="age=-5 language=ur topic=feeling-low")
    record(results=3, searches=2, audience=PARENTS, filters="district=hodge-hill topic=feeding")
    record("domestc abuse", results=0, searches=8, days_ago=60)  # only in the last 90 days
    record("old", results=0, searches=50, days_ago=200)  # only in the last 365 days
    return None


def login(client, user):
    client.force_login(user)
    return client


def text(response):
    return response.content.decode()


# --- Who may read them -------------------------------------------------------------------------

def test_an_imhsg_editor_sees_the_panel_on_the_dashboard(client, imhsg_editor, searched):
    page = text(login(client, imhsg_editor).get(DASHBOARD))
    assert "What people searched for" in page
    assert "midwife" in page and "perinatl" in page and "health visitor" in page
    assert "domestc abuse" not in page  # 60 days ago: not in the last 30


def test_a_viewer_sees_the_panel_too(client, viewer, searched):
    """Commissioners and IMHSG members: what families and workers look for is theirs to read."""
    page = text(login(client, viewer).get(DASHBOARD))
    assert "What people searched for" in page and "midwife" in page
    assert login(client, viewer).get(LIST).status_code == 200
    assert login(client, viewer).get(CSV).status_code == 200


def test_a_superuser_sees_the_panel(client, django_user_model, searched):
    sam = django_user_model.objects.create_superuser("sam", "sam@example.org", "a-long-password-for-tests")
    assert "What people searched for" in text(login(client, sam).get(DASHBOARD))


def test_an_organisation_editor_never_sees_them(client, acacia_editor, searched):
    login(client, acacia_editor)
    for url in (DASHBOARD, LIST, CSV, f"{CSV}?days=365"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"midwife" not in response.content


def test_an_organisation_editor_who_is_also_a_viewer_still_never_sees_them(client, acacia_editor, searched):
    acacia_editor.groups.add(Group.objects.get(name=VIEWERS))
    login(client, acacia_editor)
    assert [client.get(url).status_code for url in (LIST, CSV)] == [403, 403]


def test_staff_without_the_permission_see_the_dashboard_but_not_the_searches(client, django_user_model, searched):
    staff = django_user_model.objects.create_user("stan", "stan@example.org", "a-long-password-for-tests",
                                                  is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_service"))
    response = login(client, staff).get(DASHBOARD)
    assert response.status_code == 200 and "What people searched for" not in text(response)
    assert response.context["searches"] is None
    assert [client.get(url).status_code for url in (LIST, CSV)] == [403, 403]


def test_anonymous_visitors_are_sent_to_sign_in(client, searched):
    for url in (LIST, CSV):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_list_and_the_csv_only_read(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    before = list(SearchRecord.objects.values())
    assert client.post(LIST, {"days": "30"}).status_code == 405
    assert client.post(CSV).status_code == 405
    assert list(SearchRecord.objects.values()) == before


# --- The dashboard's panel ------------------------------------------------------------------------

def test_the_panel_adds_up_the_last_30_days_by_audience(client, imhsg_editor, searched):
    panel = login(client, imhsg_editor).get(DASHBOARD).context["searches"]
    totals = {row.who: (row.searches, row.none, row.few) for row in panel["totals"]}
    assert totals == {"Practitioners": (24, 9, 6), "Parents and carers": (8, 6, 0), "Everyone": (32, 15, 6)}
    assert [(row.keywords, row.who, row.searches) for row in panel["none"]] == [
        ("midwife", "Practitioners", 7), ("(no keywords)", "Parents and carers", 6), ("perinatl", "Practitioners", 2)]
    assert [(row.query, row.results, row.searches) for row in panel["few"]] == [
        ("health visitor", "2", 5), ("breastfeeding", "1", 1)]


def test_the_panel_names_the_filters_in_words(client, imhsg_editor, searched):
    panel = login(client, imhsg_editor).get(DASHBOARD).context["searches"]
    parents = next(row for row in panel["none"] if row.audience == PARENTS)
    assert parents.filter_words == ["Age: pregnant, due in 5 months", "Language: Urdu",
                                    "Topic: Feeling low, anxious or overwhelmed"]
    perinatl = next(row for row in panel["none"] if row.query == "perinatl")
    assert perinatl.filter_words == ["District: Hodge Hill"]


def test_the_panel_shows_the_last_90_days_when_asked(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    panel = client.get(DASHBOARD, {"days": "90"}).context["searches"]
    assert panel["days"] == 90 and "domestc abuse" in [row.query for row in panel["none"]]
    assert "old" not in [row.query for row in panel["none"]]
    for wrong in ("365", "x", "-1"):
        assert client.get(DASHBOARD, {"days": wrong}).context["searches"]["days"] == 30


def test_each_total_links_to_its_list(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    panel = client.get(DASHBOARD).context["searches"]
    parents = next(row for row in panel["totals"] if row.who == "Parents and carers")
    listed = client.get(parents.none_url).context["rows"]
    assert sum(row.searches for row in listed) == parents.none
    everyone = panel["totals"][-1]
    assert sum(row.searches for row in client.get(everyone.few_url).context["rows"]) == everyone.few


def test_the_panel_says_so_when_nobody_searched(client, imhsg_editor):
    page = text(login(client, imhsg_editor).get(DASHBOARD))
    assert "No search found nothing in this period." in page


def test_the_dashboard_with_searches_runs_a_fixed_number_of_queries(client, imhsg_editor, searched,
                                                                    django_assert_num_queries):
    login(client, imhsg_editor)
    for number in range(30):
        record(f"more {number}", results=number % 3, filters="district=ladywood topic=feeding")
    # Session, user, perms (2); the four counts' queries; the panel's three; the content version
    # and the term lists (for districts and languages in words); the topics' names; the referral
    # routes' gaps and the summaries prepared (issue 24: 3); the dashboard's counts a pass per table
    # (issue 26, docs/adr/0027: 2 more).
    with django_assert_num_queries(8 + 3 + 2 + 1 + 3 + 2):
        assert client.get(DASHBOARD).status_code == 200


# --- The list --------------------------------------------------------------------------------------

def listed(client, **params):
    response = client.get(LIST, params)
    assert response.status_code == 200
    return [(row.audience, row.query, row.searches) for row in response.context["rows"]]


def test_the_list_has_every_search_of_the_period_the_most_made_first(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    assert listed(client) == [
        (PRACTITIONERS, "perinatal", 9), (PRACTITIONERS, "midwife", 7), (PARENTS, "", 6),
        (PRACTITIONERS, "health visitor", 5), (PARENTS, "", 2), (PRACTITIONERS, "perinatl", 2),
        (PRACTITIONERS, "breastfeeding", 1)]
    assert (PRACTITIONERS, "domestc abuse", 8) in listed(client, days="90")
    assert (PRACTITIONERS, "old", 50) in listed(client, days="365")


def test_the_list_filters_by_who_searched_and_results(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    assert listed(client, audience=PARENTS, results="none") == [(PARENTS, "", 6)]
    assert listed(client, results="few") == [(PRACTITIONERS, "health visitor", 5), (PRACTITIONERS, "breastfeeding", 1)]
    assert [query for _, query, _ in listed(client, results="none", days="90")] == [
        "domestc abuse", "midwife", "", "perinatl"]


def test_bad_filters_are_said_in_words_and_the_defaults_used(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    response = client.get(LIST, {"days": "7000", "audience": "robots", "results": "<b>many</b>"})
    page = text(response)
    assert response.status_code == 200 and page.count('role="alert"') == 1
    assert "Period: “7000” is not a period we offer" in page
    assert "Who searched: “robots” is not one of the people who search" in page
    assert "“&lt;b&gt;many&lt;/b&gt;” is not a number of results we offer" in page
    assert "<title>Error: What people searched for" in page
    assert len(response.context["rows"]) == 7  # the defaults: 30 days, everyone, any results


def test_what_was_typed_is_shown_as_text(client, imhsg_editor):
    record('<script>alert("x")</script>', results=0)
    page = text(login(client, imhsg_editor).get(LIST))
    assert '<script>alert("x")</script>' not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_list_pages_by_a_hundred(client, imhsg_editor):
    SearchRecord.objects.bulk_create([
        SearchRecord(day=timezone.localdate(), audience=PRACTITIONERS, query=f"search {n:03}", results=0,
                     searches=1000 - n) for n in range(130)])
    login(client, imhsg_editor)
    first = client.get(LIST, {"results": "none"})
    assert len(first.context["rows"]) == 100 and first.context["rows"][0].query == "search 000"
    assert 'href="?results=none&amp;page=2"' in text(first)
    second = client.get(LIST, {"results": "none", "page": "2"})
    assert len(second.context["rows"]) == 30 and second.context["rows"][-1].query == "search 129"
    assert len(client.get(LIST, {"results": "none", "page": "x"}).context["rows"]) == 100


def test_the_list_runs_a_fixed_number_of_queries(client, imhsg_editor, searched, django_assert_num_queries):
    login(client, imhsg_editor)
    for number in range(30):
        record(f"more {number}", results=0, filters="district=ladywood topic=feeding")
    # Session, user, perms (2); the count and the page; the content version and the term lists; the topics.
    with django_assert_num_queries(4 + 2 + 2 + 1):
        assert client.get(LIST).status_code == 200


# --- The CSV -------------------------------------------------------------------------------------------

def read_csv(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="searches-')
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_csv_has_the_lists_searches_with_its_filters(client, imhsg_editor, searched):
    login(client, imhsg_editor)
    header, *lines = read_csv(client.get(CSV, {"results": "none", "days": "90"}))
    assert header == searches.CSV_HEADER
    assert [line[:2] + line[4:7] for line in lines] == [
        ["Practitioners", "domestc abuse", "8", "0", "0"], ["Practitioners", "midwife", "7", "0", "0"],
        ["Parents and carers", "", "6", "0", "0"], ["Practitioners", "perinatl", "2", "0", "0"]]
    parents = lines[2]
    assert parents[2] == "age=-5 language=ur topic=feeling-low"
    assert parents[3] == "Age: pregnant, due in 5 months; Language: Urdu; Topic: Feeling low, anxious or overwhelmed"
    midwife = lines[1]
    assert midwife[7] == (timezone.localdate() - timedelta(days=5)).isoformat()
    assert midwife[8] == timezone.localdate().isoformat()


def test_the_csv_makes_formulas_typed_as_keywords_inert(client, imhsg_editor):
    record('=HYPERLINK("http://evil.example","click")', results=0)
    record("-dad", results=0)
    record("+44", results=0)
    record("@home", results=0)
    header, *lines = read_csv(login(client, imhsg_editor).get(CSV))
    keywords = sorted(line[1] for line in lines)
    assert keywords == ["'+44", "'-dad", "'=HYPERLINK(\"http://evil.example\",\"click\")", "'@home"]


def test_the_csv_runs_a_fixed_number_of_queries(client, imhsg_editor, searched, django_assert_num_queries):
    login(client, imhsg_editor)
    for number in range(30):
        record(f"more {number}", results=0, filters="district=ladywood topic=feeding")
    # Session, user, perms (2); the searches; the content version and the term lists; the topics.
    with django_assert_num_queries(4 + 1 + 2 + 1):
        assert client.get(CSV).status_code == 200


# --- Presenters ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("filters, words", [
    ("age=4", ["Age: 4 months old"]),
    ("age=1", ["Age: 1 month old"]),
    ("age=-1", ["Age: pregnant, due in 1 month"]),
    ("stage=6-12 focus=specialised free=1", ["Age or stage: 6 to 12 months", "Focus: Specialised", "Cost: free only"]),
    ("postcode=not-found", ["Postcode: not found in Birmingham"]),
    ("referral=self audience=professionals",
     ["How to get in: Families can contact the service themselves", "Shown to: Services for professionals only"]),
    ("need=no-such-need district=nowhere", ["Need: no-such-need", "District: nowhere"]),  # gone since: as stored
    ("", []),
])
def test_filters_read_as_words(filters, words):
    assert searches.FilterWords([{"filters": filters}]).words(filters) == words


def test_results_read_as_words():
    pairs = ((0, 0), (2, 2), (1, 2), (0, 3))
    assert [searches.results_words(*pair) for pair in pairs] == ["none", "2", "1 to 2", "0 to 3"]


# --- The admin home ------------------------------------------------------------------------------------

HOME_LINK = f'<a href="{LIST}">What people searched for</a>'


def test_the_admin_home_links_to_the_searches_only_for_those_who_may_read_them(client, imhsg_editor, viewer,
                                                                               acacia_editor):
    for user, shown in ((imhsg_editor, True), (viewer, True), (acacia_editor, False)):
        assert (HOME_LINK in text(login(client, user).get(reverse("admin:index")))) is shown, user
