"""Issue 24: from a search for a family to a referral summary the service can accept, with nothing
about the family reaching the directory.

"Baby of 4 months, family in B8, mum has moderate to severe anxiety: can I refer to the Community
Perinatal Mental Health Team, and what do they need?" The practitioner ticks the criteria (one is
not met, so the page offers alternatives), fills in the summary, copies it and opens an e-mail
draft. Every request the browser makes is captured: none carries what was typed, the server's
logs hold none of it, and the database keeps only a count.
"""
import io
import json
from urllib.parse import quote, quote_plus, unquote

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from directory.management.commands import backup
from directory.models import ReferralMethod, ReferralPrepared, ReferralRoute, Referrer
from tests.browser.steps import check
from tests.browser.test_csp_pages import COLLECT
from tests.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SERVICE = "Community Perinatal Mental Health Team"
# What the practitioner types: obviously fictional, and distinctive enough to find anywhere.
TYPED = {
    "#field-names": "Zephyrine Quillfeather and baby Orrin",
    "#field-dates": "Mother 14/02/1994; Orrin 03/08/2026",
    "#field-address": "17 Imaginary Row, Testville, B8 1AA",
    "#field-gp": "Dr Nonesuch, Fictional Lane Surgery",
    "#field-reason": "Panic attacks since the birth, not sleeping",
    "#field-referrer": "Hana Placeholder, health visitor, 0121 496 0999",
}


def forms_of(value):
    """A typed value as it could appear in a request: plain, URL-encoded either way, or JSON-escaped."""
    return {value, quote(value), quote_plus(value), json.dumps(value)[1:-1]}


def carries(text, values):
    text = text or ""
    decoded = unquote(text)
    return [value for value in values for form in forms_of(value) if form in text or value in decoded]


def test_a_practitioner_prepares_a_referral_and_nothing_typed_leaves_the_device(
        page, seeded_live_server, viewport, caplog):
    # Given the perinatal team takes referrals by (secure) e-mail
    route = ReferralRoute.objects.get(service__name=SERVICE, referrer=Referrer.PROFESSIONAL)
    route.method, route.contact = ReferralMethod.EMAIL, "referrals@example.org"
    route.save()
    page.set_viewport_size(viewport)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    requests = []
    page.on("request", lambda request: requests.append(request))
    page.add_init_script(COLLECT)  # the content security policy's violations, if any

    # When a practitioner searches for a 4-month-old in B8
    page.goto(seeded_live_server.url + "/search/")
    page.get_by_label("Family's postcode").fill("b8 1aa")
    page.get_by_label("Baby's age or stage of pregnancy").select_option(value="3-6")
    page.get_by_role("button", name="Search", exact=True).click()
    check(page, "referral-1-search")

    # And opens the perinatal team's page and its referral route
    page.get_by_role("link", name=SERVICE, exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(SERVICE)
    check(page, "referral-2-service")
    page.get_by_role("link", name="Refer a family").click()
    expect(page).to_have_title(f"Refer a family to {SERVICE} - Birmingham parent-infant support directory")

    # Then the criteria are a checklist; ticking one as not met explains why and offers alternatives
    not_met = page.locator("#not-met-criteria-1")
    expect(not_met).to_be_hidden()
    page.locator("#criterion-age-yes").check()
    page.locator("#criterion-area-yes").check()
    page.locator("#criterion-needs-yes").check()
    page.locator("#criterion-criteria-1-no").check()
    expect(not_met).to_be_visible()
    expect(not_met).to_contain_text("The service accepts only families who meet this.")
    expect(page.locator("#not-met-age")).to_be_hidden()
    expect(page.get_by_role("heading", name="If the family does not meet the criteria")).to_be_visible()
    expect(page.get_by_role("heading", name="If the family needs less help")).to_be_visible()
    # And the page is honest that the service has not said what to include
    expect(page.get_by_text("This service has not told us what to include; ask them.")).to_be_visible()
    check(page, "referral-3-criteria")

    # When they discuss consent, fill in the summary and make it
    page.get_by_label("I have discussed the referral").check()
    for selector, value in TYPED.items():
        page.fill(selector, value)
    page.get_by_role("button", name="Make the summary").click()
    summary = page.locator("#summary-text")
    expect(summary).to_be_visible()
    text = summary.input_value()
    assert text.startswith(f"Referral to {SERVICE} (Birmingham and Solihull Mental Health NHS Foundation Trust (BSMHFT))")
    assert "Consent: the referral and what will be shared were discussed with the family, and they agree." in text
    assert "- NOT MET: Mothers with moderate to severe perinatal mental health difficulties" in text
    assert "- MET: The baby's age or stage of pregnancy fits" in text
    for value in TYPED.values():
        assert value in text
    page.get_by_role("button", name="Make the summary").click()  # a second time: counted once

    # And copy it
    page.get_by_role("button", name="Copy the summary").click()
    expect(page.locator("#summary-status")).to_contain_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == text

    # And open the e-mail draft: the navigation to mailto: is caught, not followed
    page.evaluate("""() => window.addEventListener("click", (event) => {
        const link = event.target.closest("a[href^='mailto:']");
        if (link) { window.mailtoOpened = link.href; event.preventDefault(); }
    })""")
    page.get_by_role("link", name="Open an e-mail draft").click()
    mailto = page.evaluate("window.mailtoOpened")
    assert mailto.startswith("mailto:referrals@example.org?subject=Referral%20to%20Community%20Perinatal")
    assert unquote(mailto.split("&body=", 1)[1]) == text
    check(page, "referral-4-summary")
    assert page.evaluate("window.cspViolations") == []  # the page's script runs under the policy

    # Then no request the browser made carries anything typed: not its address, headers or body
    typed = list(TYPED.values())
    for request in requests:
        assert not carries(request.url, typed), request.url
        assert not carries(json.dumps(request.all_headers()), typed), request.url
        assert not carries(request.post_data, typed), request.url
    # And the one ping was a bare POST for the route, once, and was counted
    pings = [request for request in requests if "/prepared/" in request.url]
    assert [(p.method, p.url.split("/", 3)[3], p.post_data) for p in pings] == [
        ("POST", f"referrals/{route.pk}/prepared/", None)]
    page.wait_for_timeout(200)
    assert ReferralPrepared.objects.get().count == 1
    # And neither the server's logs nor its database hold any of it
    assert not carries(caplog.text, typed)
    dump = io.StringIO()
    # Every table of the app, as a backup reads them (models without a table left out).
    call_command("dumpdata", "directory", exclude=backup.excluded(), stdout=dump)
    assert not carries(dump.getvalue(), typed)


def test_without_javascript_the_page_is_a_printable_checklist_and_form(browser, seeded_live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    route = ReferralRoute.objects.get(service__name=SERVICE, referrer=Referrer.PROFESSIONAL)
    page.goto(f"{seeded_live_server.url}/services/{route.service.slug}/refer/{route.pk}/")
    expect(page.get_by_text("Your browser is not running scripts: print this page")).to_be_visible()
    expect(page.locator("#criterion-age-yes")).to_be_visible()
    expect(page.get_by_label("Address and postcode")).to_be_visible()
    expect(page.get_by_role("button", name="Make the summary")).to_be_hidden()
    # Every "if not" is shown, as there is no script to reveal it
    expect(page.locator("#not-met-criteria-1")).to_be_visible()
    # A screenshot only: axe runs as a script, which this context refuses (the same page passes it above).
    screenshot(page, "referral-5-no-javascript")
    context.close()
