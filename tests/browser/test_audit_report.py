"""Issue 20, item 5, in a browser with two-factor sign-in on: a viewer (a commissioner or IMHSG
member) opens the self-audit report from the admin home, filters it by a barrier, downloads the
CSV, opens a service's history of self-audits and compares two of them. Every page is
screenshotted, checked with axe and under the content security policy."""
import csv
import io
from datetime import datetime, timezone as dt_timezone

import pytest
from playwright.sync_api import expect

from directory.checkins.barriers import barriers_from
from directory.checkins.tokens import create_invitation
from directory.models import CheckInInvitation, SelfAudit, Service
from tests.browser.test_signin_journey import sign_in_with_code, two_factor_on, watched  # noqa: F401
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    """Screenshot, no policy violation, then axe: the policy is read before axe runs, because
    axe itself adds inline styles on the admin's change pages (the policy blocks them, rightly)."""
    screenshot(page, name)
    assert page.evaluate("window.cspViolations") == [], name
    assert_no_axe_violations(page)


def audit(service, year, **answers):
    return SelfAudit.objects.create(service=service, submitted_at=datetime(year, 5, 4, 10, tzinfo=dt_timezone.utc),
                                    answered_by="Pat Example", answers=answers, **barriers_from(answers))


def make_audits():
    acacia = Service.objects.get(slug="acacia")
    babies = Service.objects.get(slug="new-baby-network")
    for service in (acacia, babies):
        invitation, _ = create_invitation(service=service, name="Pat Example", email="pat@example.org")
        CheckInInvitation.objects.filter(pk=invitation.pk).update(opened_at=invitation.created_at,
                                                                  answered_at=invitation.created_at)
    audit(acacia, 2025, accepts_under_twos="yes", accepts_pregnancy="yes", who_can_refer=["self"], cost="free",
          languages=["en", "ur"], interpreters="yes", uses_community_venues="yes",
          venues=[{"name": "Acacia Community Hall", "postcode": "B1 1AA", "free": "yes", "step_free": "yes"}])
    audit(acacia, 2026, accepts_under_twos="no", accepts_pregnancy="yes", who_can_refer=["self"], cost="free",
          languages=["en"], interpreters="no", uses_community_venues="yes",
          venues=[{"name": "Acacia Community Hall", "postcode": "B1 1AA", "free": "yes", "step_free": "yes"}],
          wants_advice="yes", typical_wait="Six weeks")
    audit(babies, 2026, accepts_under_twos="yes", cost="paid", who_can_refer=["professional"])
    return acacia


def test_a_viewer_reads_the_self_audit_report_filters_it_downloads_it_and_compares_two_audits(
        watched, seeded_live_server, two_factor_on, viewer, viewport):
    page = watched
    acacia = make_audits()
    url = seeded_live_server.url
    sign_in_with_code(page, url, viewer)

    # Given the admin home, when she follows the report's link, she sees the headline and barriers.
    page.get_by_role("link", name="Self-audit report").click()
    expect(page.get_by_role("heading", name="Self-audit report")).to_be_visible()
    headline = page.locator("#self-audit-headline")
    expect(headline.get_by_role("row", name="Invited")).to_contain_text("2")
    expect(headline.get_by_role("row", name="Answered")).to_contain_text("2")
    counts = page.locator("#self-audit-barrier-counts")
    expect(counts.get_by_role("row", name="Babies under two excluded")).to_contain_text("1 service")
    expect(counts.get_by_role("row", name="Not free")).to_contain_text("1 service")
    rows = page.locator("#self-audit-rows tbody tr")
    expect(rows).to_have_count(2)
    check(page, "audit-report-1-report")

    # When she ticks a barrier and shows the services, only Acacia is left, its barriers in words.
    page.get_by_label("Babies under two excluded").check()
    page.get_by_role("button", name="Show services").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Acacia")
    expect(rows.first).to_contain_text("Babies under two excluded")
    expect(rows.first).to_contain_text("English only")
    expect(rows.first).to_contain_text("Asked for advice")
    check(page, "audit-report-2-filtered")

    # The spreadsheet has the same rows, the filter respected.
    with page.expect_download() as downloading:
        page.get_by_role("link", name="Download these services as a spreadsheet (CSV)").click()
    download = downloading.value
    with open(download.path(), encoding="utf-8-sig") as file:
        header, *lines = list(csv.reader(io.StringIO(file.read())))
    assert [line[0] for line in lines] == ["Acacia"]
    row = dict(zip(header, lines[0]))
    assert row["Babies under two excluded"] == "Yes" and row["Not free"] == "No"
    assert row["Community venues"] == "Acacia Community Hall, B1 1AA (free: yes; step-free: yes)"
    assert "pat@example.org" not in "".join(lines[0])

    # Then Acacia's history: both self-audits, dated, newest first.
    page.get_by_role("link", name="2 self-audits of Acacia").click()
    expect(page.get_by_role("heading", name="Self-audits of Acacia")).to_be_visible()
    history = page.locator("#self-audit-history tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("4 May 2026")
    expect(history.nth(1)).to_contain_text("4 May 2025")
    check(page, "audit-report-3-history")

    # One self-audit in the admin: read-only, its answers in words.
    page.locator("#self-audit-history tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="View self-audit")).to_be_visible()
    expect(page.get_by_role("row", name="Do you accept referrals for babies under two?")).to_contain_text("No")
    expect(page.locator("input[name=_save]")).to_have_count(0)
    check(page, "audit-report-3a-audit")
    page.go_back()

    # And the two compared, question by question, the changes said in words.
    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", name="Compare self-audits of Acacia")).to_be_visible()
    under_twos = page.get_by_role("row", name="Do you accept referrals for babies under two?")
    expect(under_twos).to_contain_text("Yes")
    expect(under_twos).to_contain_text("No")
    expect(under_twos).to_contain_text("Changed")
    expect(page.get_by_role("row", name="Cost to families")).to_contain_text("Same")
    check(page, "audit-report-4-compare")

    # A forged address says what to do, and is checked like any page.
    page.goto(f"{url}/admin/self-audits/{acacia.pk}/compare/?earlier=999999&later=abc")
    expect(page.get_by_role("alert")).to_contain_text("Choose two from the lists")
    check(page, "audit-report-5-forged")
    page.goto(f"{url}/admin/self-audits/?year=abc&barrier=forged")
    expect(page.get_by_role("alert")).to_contain_text("There is no barrier called “forged”")
    check(page, "audit-report-6-bad-filters")

    # The self-audits' list in the admin, filtered on a barrier.
    page.goto(f"{url}/admin/directory/selfaudit/?english_only__exact=1")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.locator("#result_list")).to_contain_text("English only")
    check(page, "audit-report-7-admin-list")
