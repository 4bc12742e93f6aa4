"""Journey: an IMHSG curator signs in and adds a service with two referral routes and a venue."""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from tests.conftest import assert_no_axe_violations, screenshot

# Transactional, so pytest-django runs them after the tests that share the seeded database.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_autocomplete(page, field_id, text):
    """Pick `text` in a Django admin autocomplete (select2) for the <select id=field_id>."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def sign_in_as_cara(page, live_server):
    page.goto(live_server.url + "/admin/")
    expect(page.get_by_role("heading", name="Sign in to curate the directory")).to_be_visible()
    assert_no_axe_violations(page)
    page.fill("#id_username", "cara")
    page.fill("#id_password", "a-long-curator-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Log out").or_(page.get_by_role("button", name="Log out"))).to_be_visible()


def test_a_curator_adds_a_service_with_two_routes_and_a_venue(page, seeded_live_server, curator):
    # Given Cara, a curator, signs in
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_as_cara(page, seeded_live_server)

    # When she adds a service
    page.goto(seeded_live_server.url + "/admin/directory/service/add/")
    page.fill("#id_name", "Curator journey test service")
    choose_autocomplete(page, "id_organisation", "Acacia Family Support")
    page.select_option("#id_status", "published")
    page.fill("#id_summary", "Support for parents and babies, added in a browser test.")
    page.get_by_label("Targeted").check()
    page.select_option("#id_focus", "specialised")
    page.select_option("#id_age_range", "range")
    page.fill("#id_age_from_months", "-9")
    page.fill("#id_age_to_months", "23")
    choose_autocomplete(page, "id_needs", "Bonding and the parent-infant relationship")

    # with two referral routes
    page.get_by_role("button", name="Add another Referral route").click()
    page.get_by_role("button", name="Add another Referral route").click()
    page.select_option("#id_referral_routes-0-referrer", "professional")
    page.fill("#id_referral_routes-0-professions", "Health visitor, midwife")
    page.fill("#id_referral_routes-0-acceptance_criteria", "Baby under two and a concern about the relationship.")
    page.select_option("#id_referral_routes-1-referrer", "self")

    # and a venue
    page.get_by_role("button", name="Add another Venue").click()
    choose_autocomplete(page, "id_service_at_locations-0-venue", "Heartlands Hospital")
    screenshot(page, "admin-add-service")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Save", exact=True).first.click()

    # Then the service is saved, published, with both routes and the venue
    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    service = Service.objects.get(name="Curator journey test service")
    assert service.status == "published" and service.organisation.name == "Acacia Family Support"
    assert sorted(r.referrer for r in service.referral_routes.all()) == ["professional", "self"]
    assert [sal.venue.name for sal in service.service_at_locations.all()] == ["Heartlands Hospital"]
    screenshot(page, "admin-service-saved")
    assert_no_axe_violations(page)


def test_a_curator_is_told_in_plain_words_why_a_service_cannot_be_published(page, seeded_live_server, curator):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in_as_cara(page, seeded_live_server)
    page.goto(seeded_live_server.url + "/admin/directory/service/add/")
    page.fill("#id_name", "Incomplete service")
    choose_autocomplete(page, "id_organisation", "Anawim")
    page.select_option("#id_status", "published")
    page.get_by_label("Universal").check()
    page.select_option("#id_focus", "additional")
    page.get_by_role("button", name="Save", exact=True).first.click()
    expect(page.get_by_text("A published service needs a summary.")).to_be_visible()
    expect(page.get_by_text("Add at least one referral route, or say why there is none, before publishing.")).to_be_visible()
    assert not Service.objects.filter(name="Incomplete service").exists()
    screenshot(page, "admin-publish-refused")
    assert_no_axe_violations(page)
