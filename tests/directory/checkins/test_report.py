"""The IMHSG's self-audit report (directory/checkins/report.py, admin_report.py): the headline,
the barriers of each answered service's latest audit, the filters, the CSV, a service's history
and the comparison of two audits; who may see them; bad input; query counts.

Self-audits and invitations are made directly here (the check-in page is another helper's):
invitations through tokens.create_invitation, audits with their flags from barriers_from."""
import csv
import io
from datetime import datetime, timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from directory.checkins.barriers import barriers_from
from directory.checkins.tokens import create_invitation
from directory.models import CheckInContact, CheckInInvitation, SelfAudit, Service
from mapping.models import District

pytestmark = pytest.mark.django_db

REPORT = reverse("self-audit-report")
CSV = reverse("self-audit-report-csv")
CONTACT_EMAIL = "checkin-contact@example.org"

UNDER_TWOS_EXCLUDED = {"accepts_under_twos": "no"}
ENGLISH_ONLY = {"languages": ["en"], "interpreters": "no"}
NOT_FREE = {"cost": "paid"}
NO_BARRIER = {"accepts_under_twos": "yes", "accepts_pregnancy": "yes", "who_can_refer": ["self"], "cost": "free"}


def when(year, month=6, day=1, hour=12):
    return datetime(year, month, day, hour, tzinfo=dt_timezone.utc)


def audit(service, at, answered_by="Pat Example", **answers):
    return SelfAudit.objects.create(service=service, submitted_at=at, answered_by=answered_by, answers=answers,
                                    **barriers_from(answers))


def invite(service, at, opened=False, answered=False):
    invitation, _ = create_invitation(service=service, name="Pat Example", email=CONTACT_EMAIL, now=at)
    CheckInInvitation.objects.filter(pk=invitation.pk).update(
        opened_at=at if opened or answered else None, answered_at=at if answered else None)
    return invitation


def service(slug):
    return Service.objects.get(slug=slug)


def services(n):
    return list(Service.objects.order_by("pk")[:n])


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def rows_of(response):
    return [row.audit.service.name for row in response.context["rows"]]


def barriers_of(response, name):
    return next(row.found for row in response.context["rows"] if row.audit.service.name == name)


def read_csv(response):
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- The headline -----------------------------------------------------------------------------

def test_it_counts_services_invited_opened_and_answered(viewer_client):
    a, b, c, d = services(4)
    invite(a, when(2026))
    invite(a, when(2026, 7))  # a second invitation counts the service once
    invite(b, when(2026), opened=True)
    invite(c, when(2026), answered=True)
    audit(d, when(2026), **NO_BARRIER)  # answered without an invitation (one may have been deleted)
    headline = viewer_client.get(REPORT).context["headline"]
    assert headline == {"invited": 3, "opened": 2, "answered": 2}


def test_the_headline_counts_the_chosen_year(viewer_client):
    a, b = services(2)
    invite(a, when(2025), answered=True)
    invite(b, when(2026), opened=True)
    audit(a, when(2025), **NO_BARRIER)
    assert viewer_client.get(REPORT, {"year": "2025"}).context["headline"] == {"invited": 1, "opened": 1,
                                                                               "answered": 1}
    assert viewer_client.get(REPORT, {"year": "2026"}).context["headline"] == {"invited": 1, "opened": 1,
                                                                               "answered": 0}
    assert viewer_client.get(REPORT).context["headline"] == {"invited": 2, "opened": 2, "answered": 1}


# --- The rows: each answered service's latest audit -------------------------------------------

def test_each_answered_service_shows_its_latest_audits_barriers_in_words(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2025), **NOT_FREE)
    audit(acacia, when(2026), **UNDER_TWOS_EXCLUDED, **ENGLISH_ONLY)
    response = viewer_client.get(REPORT)
    assert rows_of(response) == ["Acacia"]
    assert barriers_of(response, "Acacia") == ["Babies under two excluded", "English only"]
    page = response.content.decode()
    assert "<li>Babies under two excluded</li>" in page and "<li>English only</li>" in page
    assert reverse("admin:directory_service_change", args=[acacia.pk]) in page
    assert reverse("self-audit-history", args=[acacia.pk]) in page
    assert "2 self-audits" in page


def test_a_service_without_barriers_says_none_found(viewer_client):
    audit(service("acacia"), when(2026), **NO_BARRIER)
    response = viewer_client.get(REPORT)
    assert barriers_of(response, "Acacia") == []
    assert "None found" in response.content.decode()


def test_the_year_shows_each_services_latest_audit_of_that_year(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2025, 3), **NO_BARRIER)
    audit(acacia, when(2025, 9), **NOT_FREE)
    audit(acacia, when(2026), **ENGLISH_ONLY)
    assert barriers_of(viewer_client.get(REPORT, {"year": "2025"}), "Acacia") == ["Not free"]
    assert barriers_of(viewer_client.get(REPORT, {"year": "2026"}), "Acacia") == ["English only"]


def test_the_counts_per_barrier_say_how_many_services(viewer_client):
    a, b, c = services(3)
    audit(a, when(2026), **UNDER_TWOS_EXCLUDED)
    audit(b, when(2026), **UNDER_TWOS_EXCLUDED, **NOT_FREE)
    audit(c, when(2025), **UNDER_TWOS_EXCLUDED)
    audit(c, when(2026), **NO_BARRIER)  # c no longer excludes babies
    response = viewer_client.get(REPORT)
    counts = {words: count for _, words, count in response.context["barrier_counts"]}
    assert counts["Babies under two excluded"] == 2
    assert counts["Not free"] == 1
    assert counts["English only"] == 0
    page = response.content.decode()
    assert "2 services<span class=\"visually-hidden\">: babies under two excluded</span>" in page
    assert "1 service<span class=\"visually-hidden\">: not free</span>" in page


def test_it_filters_by_one_barrier(viewer_client):
    a, b = services(2)
    audit(a, when(2026), **UNDER_TWOS_EXCLUDED)
    audit(b, when(2026), **NOT_FREE)
    response = viewer_client.get(REPORT, {"barrier": "not_free"})
    assert rows_of(response) == [b.name]
    # The counts stay those of every answered service: a menu for the filter.
    assert {words: n for _, words, n in response.context["barrier_counts"]}["Babies under two excluded"] == 1


def test_several_barriers_show_services_with_every_one(viewer_client):
    a, b, c = services(3)
    audit(a, when(2026), **UNDER_TWOS_EXCLUDED)
    audit(b, when(2026), **UNDER_TWOS_EXCLUDED, **NOT_FREE)
    audit(c, when(2026), **NOT_FREE)
    response = viewer_client.get(REPORT, {"barrier": ["not_free", "excludes_under_twos"]})
    assert rows_of(response) == [b.name]
    assert "Answered services showing babies under two excluded and not free: 1</caption>" in response.content.decode()


def test_a_barrier_of_an_older_audit_no_longer_counts(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2025), **NOT_FREE)
    audit(acacia, when(2026), **NO_BARRIER)
    assert rows_of(viewer_client.get(REPORT, {"barrier": "not_free"})) == []
    assert rows_of(viewer_client.get(REPORT, {"barrier": "not_free", "year": "2025"})) == ["Acacia"]


def district_with_one_service_in_and_one_out():
    for district in District.objects.order_by("pk"):
        inside = list(Service.objects.in_district(district).order_by("pk")[:1])
        outside = list(Service.objects.exclude(pk__in=Service.objects.in_district(district).values("pk"))
                       .order_by("pk")[:1])
        if inside and outside:
            return district, inside[0], outside[0]
    raise AssertionError("the seed has no district that leaves a service out")


def test_it_filters_by_district(viewer_client):
    district, inside, outside = district_with_one_service_in_and_one_out()
    audit(inside, when(2026), **NOT_FREE)
    audit(outside, when(2026), **NOT_FREE)
    invite(outside, when(2026))
    response = viewer_client.get(REPORT, {"district": district.pk})
    assert rows_of(response) == [inside.name]
    assert response.context["headline"] == {"invited": 0, "opened": 0, "answered": 1}
    assert {words: n for _, words, n in response.context["barrier_counts"]}["Not free"] == 1


def test_the_filters_are_shown_as_chosen(viewer_client):
    audit(service("acacia"), when(2026), **NOT_FREE)
    page = viewer_client.get(REPORT, {"barrier": "not_free", "year": "2026"}).content.decode()
    assert 'value="not_free" id="barrier-not_free" checked' in page
    assert '<option value="2026" selected>' in page


# --- Bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("query, message", [
    ({"year": "abc"}, "is not a year with invitations or self-audits"),
    ({"year": "1999"}, "is not a year with invitations or self-audits"),
    ({"year": "9" * 40}, "is not a year with invitations or self-audits"),
    ({"barrier": "forged"}, "There is no barrier called “forged”"),
    ({"barrier": ["not_free", "<script>x</script>"]}, "There is no barrier called “&lt;script&gt;"),
    ({"district": "999999"}, "That district does not exist"),
    ({"district": "abc"}, "That district does not exist"),
    ({"district": "1.5"}, "That district does not exist"),
    ({"district": "\x00"}, "Null characters are not allowed"),
])
def test_malformed_filters_are_said_in_words_and_left_out(viewer_client, query, message):
    a, b = services(2)
    audit(a, when(2026), **NOT_FREE)
    audit(b, when(2026), **NO_BARRIER)
    response = viewer_client.get(REPORT, query)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "<title>Error: " in page
    assert "<script>x" not in page
    assert sorted(rows_of(response)) == sorted([a.name, b.name])  # the bad filter is left out
    assert viewer_client.get(CSV, query).status_code == 200


def test_a_bad_filter_leaves_the_good_ones_applied(viewer_client):
    a, b = services(2)
    audit(a, when(2026), **NOT_FREE)
    audit(b, when(2026), **NO_BARRIER)
    response = viewer_client.get(REPORT, {"barrier": "not_free", "year": "abc", "district": "999999"})
    assert rows_of(response) == [a.name]


# --- The CSV ----------------------------------------------------------------------------------

def test_the_csv_has_the_rows_of_the_report_with_every_answer_in_words(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2025), **NO_BARRIER)
    audit(acacia, when(2026, 3, 14), answered_by="Pat Example", who_can_refer=["professional", "self"],
          exclusion_checks=["diagnosis", "waiting_list"], languages=["en", "ur"], interpreters="yes",
          uses_community_venues="yes", cost="varies",
          venues=[{"name": "Acacia Hall", "address": "1 Example Street", "postcode": "B1 1AA", "free": "yes",
                   "step_free": "not_sure"},
                  {"name": "", "address": "", "postcode": ""},
                  {"name": "Library", "postcode": "B2 2BB"}])
    response = viewer_client.get(CSV)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["Service"] == "Acacia"
    assert row["Audit date"] == "2026-03-14"
    assert row["Answered by"] == "Pat Example"
    assert row["Not free"] == "Yes" and row["English only"] == "No"
    assert row["Who can refer"] == "Professional referral; Self-referral (the family can contact the service)"
    assert row["Criteria that may exclude babies without meaning to"] == (
        "A diagnosis is needed before we accept a referral; "
        "Our waiting list is longer than a baby's first months, or closes to new referrals")
    assert row["Languages you work in"] == "English; Urdu"
    assert row["Community venues"] == ("Acacia Hall, 1 Example Street, B1 1AA (free: yes; step-free: not sure); "
                                       "Library, B2 2BB")
    assert row["Cost to families"] == "Varies"
    assert row["Self-audits of the service"] == "2"


def test_the_csv_respects_the_filters(viewer_client):
    a, b = services(2)
    audit(a, when(2026), **NOT_FREE)
    audit(b, when(2026), **NO_BARRIER)
    _, *rows = read_csv(viewer_client.get(CSV, {"barrier": "not_free"}))
    assert [row[0] for row in rows] == [a.name]
    page = viewer_client.get(REPORT, {"barrier": "not_free"}).content.decode()
    assert f'href="{CSV}?barrier=not_free"' in page


@pytest.mark.parametrize("typed", ["=HYPERLINK(\"https://example.org\",\"x\")", "+SUM(A1)", "-2+3", "@cmd",
                                   "\t=1", "\r=1"])
def test_the_csv_runs_no_formula(viewer_client, typed):
    audit(service("acacia"), when(2026), answered_by=typed, eligibility=typed, venues=[{"name": typed}],
          who_can_refer=[typed])
    header, row = read_csv(viewer_client.get(CSV))
    cells = dict(zip(header, row))
    for column in ("Answered by", "What makes a family eligible", "Community venues", "Who can refer"):
        assert cells[column].startswith("'"), (column, cells[column])


def test_the_contacts_email_is_never_in_the_report_the_csv_or_the_history(viewer_client, imhsg_editor, client):
    acacia = service("acacia")
    CheckInContact.objects.create(service=acacia, name="Pat Example", email=CONTACT_EMAIL)
    invitation = invite(acacia, when(2026), answered=True)
    first = audit(acacia, when(2025), **NO_BARRIER)
    second = audit(acacia, when(2026), **NOT_FREE)
    SelfAudit.objects.filter(pk__in=[first.pk, second.pk]).update(invitation=invitation)
    pages = [REPORT, CSV, reverse("self-audit-history", args=[acacia.pk]),
             reverse("self-audit-compare", args=[acacia.pk]), reverse("admin:directory_selfaudit_changelist"),
             reverse("admin:directory_selfaudit_change", args=[second.pk])]
    for url in pages:
        response = viewer_client.get(url)
        assert response.status_code == 200, url
        assert CONTACT_EMAIL not in response.content.decode(), url


# --- A service's history and the comparison of two audits --------------------------------------

def test_the_history_lists_every_audit_newest_first_with_its_barriers(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2024), answered_by="Sam Example", **NO_BARRIER)
    audit(acacia, when(2025), answered_by="Pat Example", **NOT_FREE)
    audit(service("new-baby-network"), when(2025), **ENGLISH_ONLY)  # another service's
    response = viewer_client.get(reverse("self-audit-history", args=[acacia.pk]))
    assert [row.audit.answered_by for row in response.context["rows"]] == ["Pat Example", "Sam Example"]
    assert [row.found for row in response.context["rows"]] == [["Not free"], []]
    page = response.content.decode()
    assert "1 June 2025" in page and "1 June 2024" in page
    assert "English only" not in page
    assert reverse("self-audit-compare", args=[acacia.pk]) in page


def test_a_service_without_audits_says_so(viewer_client):
    page = viewer_client.get(reverse("self-audit-history", args=[service("acacia").pk])).content.decode()
    assert "This service has not sent a self-audit yet." in page


def test_the_comparison_shows_each_question_both_answers_and_what_changed(viewer_client):
    acacia = service("acacia")
    earlier = audit(acacia, when(2025), accepts_under_twos="no", cost="free", typical_wait="Six weeks")
    later = audit(acacia, when(2026), accepts_under_twos="yes", cost="free", typical_wait="Two weeks")
    response = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk]),
                                 {"earlier": earlier.pk, "later": later.pk})
    rows = {row.question: row for row in response.context["rows"]}
    assert (rows["Do you accept referrals for babies under two?"].earlier,
            rows["Do you accept referrals for babies under two?"].later) == ("No", "Yes")
    assert rows["Do you accept referrals for babies under two?"].changed
    assert rows["Barriers found"].earlier == "Babies under two excluded" and rows["Barriers found"].later == "None"
    assert not rows["Cost to families"].changed
    page = response.content.decode()
    assert "<strong>Changed</strong>" in page and '<td class="app-verdict">Same</td>' in page
    assert "1 June 2025 (earlier)" in page and "1 June 2026 (later)" in page
    assert "3 of " in page  # barriers, under-twos and the wait changed


def test_the_comparison_puts_the_earlier_audit_first_whichever_way_it_is_asked(viewer_client):
    acacia = service("acacia")
    earlier = audit(acacia, when(2025), cost="paid")
    later = audit(acacia, when(2026), cost="free")
    response = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk]),
                                 {"earlier": later.pk, "later": earlier.pk})
    row = next(row for row in response.context["rows"] if row.question == "Cost to families")
    assert (row.earlier, row.later) == ("Paid", "Free")


def test_without_a_choice_it_compares_the_latest_two(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2024), cost="paid")
    audit(acacia, when(2025), cost="varies")
    audit(acacia, when(2026), cost="free")
    response = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk]))
    row = next(row for row in response.context["rows"] if row.question == "Cost to families")
    assert (row.earlier, row.later) == ("Varies", "Free")


def test_answers_the_page_does_not_ask_are_still_compared(viewer_client):
    acacia = service("acacia")
    audit(acacia, when(2025), extra_note="<b>old</b>")
    audit(acacia, when(2026), extra_note="<b>new</b>")
    page = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk])).content.decode()
    assert "extra_note" in page and "&lt;b&gt;new&lt;/b&gt;" in page and "<b>new</b>" not in page


@pytest.mark.parametrize("choose", [
    lambda mine, theirs: {"earlier": mine[0].pk, "later": theirs.pk},  # another service's audit
    lambda mine, theirs: {"earlier": mine[0].pk, "later": 999999},  # no such audit
    lambda mine, theirs: {"earlier": "abc", "later": mine[1].pk},
    lambda mine, theirs: {"earlier": mine[0].pk},  # only one chosen
    lambda mine, theirs: {"earlier": "", "later": ""},
    lambda mine, theirs: {"earlier": "-1", "later": "1e3"},
    lambda mine, theirs: {"earlier": mine[0].pk, "later": mine[0].pk},  # the same one twice
], ids=["other-service", "nonexistent", "not-a-number", "one-only", "empty", "junk", "same-twice"])
def test_forged_audit_ids_get_a_404_that_says_what_to_do(viewer_client, choose):
    acacia = service("acacia")
    mine = [audit(acacia, when(2025), cost="paid"), audit(acacia, when(2026), cost="free")]
    theirs = audit(service("new-baby-network"), when(2026), answered_by="Nina's answerer", cost="paid")
    response = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk]), choose(mine, theirs))
    assert response.status_code == 404
    page = response.content.decode()
    assert "Choose two" in page
    assert "Nina's answerer" not in page and "Nina&#x27;s answerer" not in page


def test_a_service_with_one_audit_has_nothing_to_compare(viewer_client):
    acacia = service("acacia")
    only = audit(acacia, when(2026))
    response = viewer_client.get(reverse("self-audit-compare", args=[acacia.pk]), {"earlier": only.pk})
    assert response.status_code == 404
    assert "fewer than two self-audits" in response.content.decode()


def test_an_unknown_service_is_a_404(viewer_client):
    assert viewer_client.get(reverse("self-audit-history", args=[999999])).status_code == 404
    assert viewer_client.get(reverse("self-audit-compare", args=[999999])).status_code == 404
    assert viewer_client.get("/admin/self-audits/abc/").status_code in (302, 404)  # the admin's catch-all


def test_what_a_provider_typed_is_escaped_everywhere(viewer_client):
    acacia = service("acacia")
    typed = "<script>alert(1)</script>"
    one = audit(acacia, when(2025), answered_by=typed, eligibility=typed, venues=[{"name": typed}])
    audit(acacia, when(2026), answered_by=typed, eligibility="x", languages=[typed])
    for url in (REPORT, reverse("self-audit-history", args=[acacia.pk]),
                reverse("self-audit-compare", args=[acacia.pk]),
                reverse("admin:directory_selfaudit_change", args=[one.pk])):
        page = viewer_client.get(url).content.decode()
        assert typed not in page, url
        assert "&lt;script&gt;" in page, url


# --- Who may see it ---------------------------------------------------------------------------

def every_page(acacia):
    first = audit(acacia, when(2025), cost="paid")
    audit(acacia, when(2026), cost="free")
    return [REPORT, CSV, reverse("self-audit-history", args=[acacia.pk]),
            reverse("self-audit-compare", args=[acacia.pk]), reverse("admin:directory_selfaudit_changelist"),
            reverse("admin:directory_selfaudit_change", args=[first.pk])]


@pytest.mark.parametrize("person", ["viewer", "imhsg_editor", "superuser"])
def test_imhsg_editors_viewers_and_superusers_open_every_page(client, request, django_user_model, person):
    user = (django_user_model.objects.create_superuser("sue", "sue@example.org", "a-long-password-for-tests")
            if person == "superuser" else request.getfixturevalue(person))
    client.force_login(user)
    for url in every_page(service("acacia")):
        assert client.get(url).status_code == 200, url
    home = client.get(reverse("admin:index")).content.decode()
    assert f'<a href="{REPORT}">Self-audit report</a>' in home
    assert f'<a href="{REPORT}">Self-audit report</a>' in client.get(reverse("curation-dashboard")).content.decode()


def test_an_organisation_editor_opens_none_of_them_and_sees_no_link(client, acacia_editor):
    """Even about their own organisation's service: the report is the IMHSG's."""
    client.force_login(acacia_editor)
    for url in every_page(service("acacia")):
        assert client.get(url).status_code == 403, url
    assert "Self-audit report" not in client.get(reverse("admin:index")).content.decode()


def test_staff_who_may_view_services_but_not_self_audits_see_no_link_and_get_a_403(client, django_user_model):
    from django.contrib.auth.models import Permission

    staff = django_user_model.objects.create_user("stan", "stan@example.org", "a-long-password-for-tests",
                                                  is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_service"))
    client.force_login(staff)
    assert "Self-audit report" not in client.get(reverse("admin:index")).content.decode()
    assert client.get(REPORT).status_code == 403


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in every_page(service("acacia")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url


@pytest.mark.parametrize("url", [REPORT, CSV])
def test_the_report_only_reads(viewer_client, url):
    assert viewer_client.post(url).status_code == 405


# --- Self-audits in the admin: read-only ------------------------------------------------------

def test_nobody_adds_or_changes_a_self_audit_in_the_admin(client, imhsg_editor, django_user_model):
    one = audit(service("acacia"), when(2026), answered_by="Pat Example", cost="paid")
    superuser = django_user_model.objects.create_superuser("sue", "sue@example.org", "a-long-password-for-tests")
    for person in (imhsg_editor, superuser):
        client.force_login(person)
        assert client.get(reverse("admin:directory_selfaudit_add")).status_code == 403
        change = reverse("admin:directory_selfaudit_change", args=[one.pk])
        page = client.get(change).content.decode()
        assert 'name="_save"' not in page
        assert client.post(change, {"answered_by": "Someone else"}).status_code == 403
        one.refresh_from_db()
        assert one.answered_by == "Pat Example"


def test_only_a_superuser_deletes_a_self_audit(client, imhsg_editor, django_user_model):
    one = audit(service("acacia"), when(2026))
    delete = reverse("admin:directory_selfaudit_delete", args=[one.pk])
    client.force_login(imhsg_editor)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert SelfAudit.objects.filter(pk=one.pk).exists()
    client.force_login(django_user_model.objects.create_superuser("sue", "sue@example.org", "a-long-password-x"))
    client.post(delete, {"post": "yes"})
    assert not SelfAudit.objects.filter(pk=one.pk).exists()


def test_the_admin_list_filters_on_each_barrier(viewer_client):
    a, b = services(2)
    audit(a, when(2026), **NOT_FREE)
    audit(b, when(2026), **ENGLISH_ONLY)
    response = viewer_client.get(reverse("admin:directory_selfaudit_changelist"), {"not_free__exact": "1"})
    assert [row.service_id for row in response.context["cl"].result_list] == [a.pk]
    page = response.content.decode()
    for words in ("By babies under two excluded", "By English only", "By asked the IMHSG for advice"):
        assert words in page
    assert "Not free" in page  # the barriers in words in the list


def test_the_admin_shows_an_audits_answers_in_words(viewer_client):
    one = audit(service("acacia"), when(2026), accepts_pregnancy="not_sure", who_can_refer=["professional"])
    page = viewer_client.get(reverse("admin:directory_selfaudit_change", args=[one.pk])).content.decode()
    assert "<th scope=\"row\">Do you accept referrals during pregnancy?</th><td>Not sure</td>" in page
    assert "<td>Professional referral</td>" in page
    assert "No self-referral" in page


# --- Query counts -----------------------------------------------------------------------------

# Signing in's own queries (the session, the user, their permissions and groups) vary with what
# the session holds; the page's own are the rest.
SIGN_IN_TABLES = ('"django_session"', '"auth_user"', '"auth_permission"', '"auth_group"')


def queries(client, url, data=None):
    """The page's own queries (beyond signing in)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, data or {})
    assert response.status_code == 200, url
    return len([query for query in captured.captured_queries
                if not query["sql"].startswith("SELECT") or not any(
                    query["sql"].split(" WHERE ")[0].split(" FROM ")[1].startswith(table) for table in SIGN_IN_TABLES)])


def make_many(how_many):
    for n, one in enumerate(services(how_many)):
        invite(one, when(2026), opened=n % 2 == 0, answered=n % 3 == 0)
        audit(one, when(2025), **NOT_FREE)
        audit(one, when(2026), **UNDER_TWOS_EXCLUDED)


PAGES = {
    "report": lambda acacia: (REPORT, {"barrier": "excludes_under_twos", "year": "2026"}),
    "report-district": lambda acacia: (REPORT, {"district": District.objects.order_by("pk").first().pk}),
    "csv": lambda acacia: (CSV, {}),
    "history": lambda acacia: (reverse("self-audit-history", args=[acacia.pk]), {}),
    "compare": lambda acacia: (reverse("self-audit-compare", args=[acacia.pk]), {}),
    "admin-list": lambda acacia: (reverse("admin:directory_selfaudit_changelist"), {}),
}
# report: the years (2), the headline, the rows, the counts per barrier, the districts' names;
# with a district, its lookup too. csv: the years (2), the languages' names, the rows. history:
# the service, its audits; compare: and the languages' names. The admin's list: its counts,
# the rows, the date hierarchy.
EXPECTED = {"report": 6, "report-district": 7, "csv": 4, "history": 2, "compare": 3, "admin-list": 5}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_the_number_of_queries_does_not_grow_with_services_or_audits(viewer_client, name):
    acacia = service("acacia")
    audit(acacia, when(2023), **NOT_FREE)
    audit(acacia, when(2024), **NO_BARRIER)
    make_many(1)
    url, data = PAGES[name](acacia)
    few = queries(viewer_client, url, data)
    audit(acacia, when(2024), **ENGLISH_ONLY)
    make_many(12)
    many = queries(viewer_client, url, data)
    assert few == many == EXPECTED[name]


# --- Fuzz: no query string gives a server error -------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

VALUES = st.one_of(st.text(max_size=30), st.integers().map(str), st.sampled_from(
    ["not_free", "english_only", "2026", "1999", "0", "-1", "1e9", "9" * 30, "", " ", "\x00", "<x>"]))


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(barrier=st.lists(VALUES, max_size=3), year=st.lists(VALUES, max_size=2), district=st.lists(VALUES, max_size=2),
       earlier=VALUES, later=VALUES)
def test_no_query_string_makes_a_server_error(viewer_client, barrier, year, district, earlier, later):
    acacia = service("acacia")
    if not SelfAudit.objects.filter(service=acacia).exists():
        audit(acacia, when(2025), cost="paid")
        audit(acacia, when(2026), cost="free")
    query = {"barrier": barrier, "year": year, "district": district}
    for url, data in ((REPORT, query), (CSV, query),
                      (reverse("self-audit-compare", args=[acacia.pk]), {"earlier": earlier, "later": later})):
        response = viewer_client.get(url, data)
        assert response.status_code in (200, 404), (url, data, response.status_code)
        assert b"<x>" not in response.content or url == CSV
