"""Issue 18: a viewer and an organisation editor each see only what they may open.

On every admin page of the journey, every link in the page's header and content is followed
with the person's own session: none may answer 403, 404 or 500 (the admin never shows a link
its reader cannot open); pages that could write show no Save or Revert to those who may not;
and each page ends with an axe check.
"""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from tests.browser.steps import sign_in
from tests.conftest import DESKTOP, PHONE, assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-password-for-tests"
NOTE = "Private to the IMHSG: check the funding in March."




def every_link_opens(page):
    """Follow each link in the header and content as this person; none is a dead end."""
    hrefs = page.eval_on_selector_all(
        "#header a[href], #content a[href]",
        "els => [...new Set(els.map(a => a.href).filter(h => h.startsWith(location.origin)))]")
    for href in hrefs:
        if "/logout/" in href:
            continue
        response = page.request.get(href, max_redirects=0)
        assert response.status in (200, 302), f"{href} answers {response.status} on {page.url}"
        if response.status == 302:
            # A redirect is fine when it lands on a page this person may read: not the sign-in
            # page (no right to it), not the admin's "?e=1" (a filter it refused).
            location = response.headers["location"]
            assert "/login/" not in location and "e=1" not in location, f"{href} sends {location} on {page.url}"
            assert page.request.get(href).status == 200, f"{href} ends nowhere on {page.url}"
    return hrefs


def check(page, name):
    every_link_opens(page)
    screenshot(page, name)
    assert_no_axe_violations(page)


def make_people(django_user_model):
    from django.contrib.auth.models import Group

    from directory.curation.roles import ORGANISATION_EDITORS, VIEWERS
    from directory.models import Organisation

    vic = django_user_model.objects.create_user("vic", "vic@example.org", PASSWORD, is_staff=True)
    vic.groups.add(Group.objects.get(name=VIEWERS))
    omar = django_user_model.objects.create_user("omar", "omar@example.org", PASSWORD, is_staff=True)
    omar.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
    Organisation.objects.get(name="Acacia Family Support").editors.add(omar)
    service = Service.objects.get(slug="acacia")
    service.curator_notes = NOTE
    service.save()
    return vic, omar, service


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_viewer_reads_everything_and_can_write_nothing(page, seeded_live_server, django_user_model, size):
    vic, _, service = make_people(django_user_model)
    page.set_viewport_size(size)
    base = seeded_live_server.url
    sign_in(page, seeded_live_server, "vic")
    check(page, "roles-viewer-1-index")

    page.goto(f"{base}/admin/directory/service/{service.pk}/change/")
    expect(page.get_by_role("heading", name="View service")).to_be_visible()
    expect(page.locator("input[name=_save]")).to_have_count(0)
    expect(page.get_by_text(NOTE)).to_be_visible()  # viewers are IMHSG members and commissioners
    check(page, "roles-viewer-2-service")

    page.goto(f"{base}/admin/directory/service/{service.pk}/history/")
    page.locator("#change-history tbody tr").nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Revert")).to_have_count(0)
    check(page, "roles-viewer-3-version")

    page.goto(f"{base}/admin/curation/")
    expect(page.get_by_role("heading", name="Curation dashboard")).to_be_visible()
    check(page, "roles-viewer-4-dashboard")

    page.goto(f"{base}/admin/directory/fact/")
    expect(page.locator("select[name=action]")).to_have_count(0)  # no "Confirm" for a viewer
    check(page, "roles-viewer-5-facts")

    # Everyone keeps their own name and e-mail (where review reminders would reach them).
    page.get_by_role("link", name="Your details").click()
    expect(page.get_by_role("heading", name="Your details")).to_be_visible()
    page.fill("#id_email", "vic.commissioner@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    check(page, "roles-viewer-6-your-details")
    vic.refresh_from_db()
    assert vic.email == "vic.commissioner@example.org"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_an_organisation_editor_sees_their_own_services_and_proposes(page, seeded_live_server, django_user_model,
                                                                     size):
    _, omar, service = make_people(django_user_model)
    page.set_viewport_size(size)
    base = seeded_live_server.url
    sign_in(page, seeded_live_server, "omar")
    expect(page.get_by_role("link", name="Curation dashboard")).to_have_count(0)
    check(page, "roles-provider-1-index")

    page.goto(f"{base}/admin/directory/service/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    check(page, "roles-provider-2-services")

    page.get_by_role("link", name="Acacia", exact=True).click()
    expect(page.get_by_text(NOTE)).to_have_count(0)
    page.fill("#id_referral_routes-0-waiting_time", "About two weeks")
    page.locator("input[name=_save]").first.click()
    expect(page.get_by_text("is waiting for an IMHSG editor to approve it")).to_be_visible()
    check(page, "roles-provider-3-proposed")

    page.get_by_role("link", name="Review").first.click()
    expect(page.locator("#proposed-changes")).to_contain_text("About two weeks")
    expect(page.get_by_role("button", name="Approve and publish")).to_have_count(0)
    check(page, "roles-provider-4-own-proposal")

    page.goto(f"{base}/admin/directory/service/{service.pk}/history/")
    expect(page.locator("#content")).not_to_contain_text(NOTE)
    expect(page.locator("#content")).not_to_contain_text("Curator notes")
    check(page, "roles-provider-5-history")
    page.locator("#change-history tbody tr").nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Revert")).to_have_count(0)
    expect(page.locator("#content")).not_to_contain_text(NOTE)
    check(page, "roles-provider-6-version")

    # Still live as it was: the proposal waits for an IMHSG editor.
    assert Service.objects.get(pk=service.pk).referral_routes.get().waiting_time != "About two weeks"
