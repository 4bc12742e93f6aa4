"""Issue 14: every page works with the content security policy enforced: no violation is
reported in the browser, the maps still draw, and the admin still works."""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from tests.conftest import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sourceFile || '') + ':' + e.lineNumber);
});"""
PUBLIC = ["/", "/about/", "/search/?postcode=B8+1AA&age=4", "/services/neonatal-unit-psychological-support/",
          "/services/acacia/", "/services/acacia/suggest/", "/shortlist/", "/map/", "/needs/", "/parents/",
          "/parents/support/?age=4", "/parents/support/all/", "/parents/topics/feeling-low/",
          "/parents/services/acacia/", "/parents/saved/", "/api/docs/"]
ADMIN = ["/admin/", "/admin/curation/", "/admin/directory/service/", "/admin/directory/service/add/",
         "/admin/directory/fact/", "/admin/directory/service/{acacia}/change/", "/admin/directory/service/{acacia}/history/",
         "/admin/directory/service/{acacia}/history/compare/", "/admin/directory/pendingchange/",
         "/admin/directory/suggestion/", "/admin/directory/service/import/", "/admin/directory/service/export/",
         "/admin/mapping/needsmodelsettings/", "/admin/2fa/setup/"]


@pytest.fixture
def watched(page):
    page.violations = []
    page.on("console", lambda message: page.violations.append(message.text)
            if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text else None)
    page.add_init_script(COLLECT)
    return page


def assert_no_violations(page, url):
    page.wait_for_load_state("networkidle")
    found = page.evaluate("window.cspViolations") + page.violations
    assert found == [], f"{url}: {found}"


def test_public_pages_run_under_the_policy(watched, seeded_live_server):
    page = watched
    for url in PUBLIC:
        response = page.goto(seeded_live_server.url + url)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if url in ("/map/", "/needs/"):
            page.wait_for_selector("#district-map[data-drawn='10']", timeout=15000)
        if "neonatal" in url:
            page.wait_for_selector("#venue-map path.leaflet-interactive")
        assert_no_violations(page, url)
    assert_no_axe_violations(page)


def test_admin_pages_run_under_the_policy(watched, seeded_live_server, curator):
    page = watched
    page.goto(seeded_live_server.url + "/admin/")
    page.fill("#id_username", "cara")
    page.fill("#id_password", "a-long-curator-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    acacia = Service.objects.get(slug="acacia").pk
    for url in ADMIN:
        page.goto(seeded_live_server.url + url.format(acacia=acacia))
        assert_no_violations(page, url)
    # The change form's scripts (autocompletes, inlines) still work under the policy.
    page.goto(seeded_live_server.url + f"/admin/directory/service/{acacia}/change/")
    page.locator("#id_organisation + .select2 .select2-selection").click()
    expect(page.locator(".select2-results__option").first).to_be_visible()
    assert_no_violations(page, "select2")


def test_the_export_pages_select_all_works_under_the_policy(watched, seeded_live_server, curator):
    """Issue 18: it was an inline onchange handler, which the policy blocked."""
    page = watched
    page.goto(seeded_live_server.url + "/admin/")
    page.fill("#id_username", "cara")
    page.fill("#id_password", "a-long-curator-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(seeded_live_server.url + "/admin/directory/service/export/")
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]')
    assert fields.count() > 10
    select_all = page.get_by_label("Select all")
    select_all.uncheck()
    assert all(not box.is_checked() for box in fields.all())
    select_all.check()
    assert all(box.is_checked() for box in fields.all())
    assert_no_violations(page, "export")
    assert_no_axe_violations(page)
