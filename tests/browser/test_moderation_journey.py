"""Issue 10: an organisation editor proposes a change; an IMHSG editor reviews the diff and
approves it; the public page shows it; the history shows both steps; a revert restores the old text."""
import pytest
from playwright.sync_api import expect

from directory.models import Service
from tests.browser.steps import sign_in
from tests.conftest import assert_no_axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_SUMMARY = "Friendly groups and one-to-one support for mums and dads who feel low, in pregnancy or with a baby."




def test_a_proposed_change_is_approved_published_recorded_and_reverted(page, seeded_live_server, django_user_model):
    from directory.curation.roles import IMHSG_EDITORS, ORGANISATION_EDITORS
    from directory.models import Organisation
    from django.contrib.auth.models import Group

    omar = django_user_model.objects.create_user("omar", "omar@example.org", "a-long-password-for-tests", is_staff=True)
    omar.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
    Organisation.objects.get(name="Acacia Family Support").editors.add(omar)
    ellie = django_user_model.objects.create_user("ellie", "ellie@example.org", "a-long-password-for-tests", is_staff=True)
    ellie.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    old_summary = Service.objects.get(slug="acacia").summary
    page.set_viewport_size({"width": 1280, "height": 900})

    # Given Omar, Acacia's editor, changes Acacia's summary
    sign_in(page, seeded_live_server, "omar")
    page.goto(seeded_live_server.url + "/admin/directory/service/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.get_by_role("link", name="Acacia", exact=True).click()
    expect(page.get_by_role("heading", name="Change service")).to_be_visible()
    assert_no_axe_violations(page)
    page.fill("#id_summary", NEW_SUMMARY)
    page.locator("input[name=_save]").first.click()

    # Then it waits for approval and the public page is unchanged
    expect(page.get_by_text("is waiting for an IMHSG editor to approve it")).to_be_visible()
    expect(page.get_by_role("cell", name="Waiting for approval")).to_be_visible()
    screenshot(page, "moderation-1-proposed")
    assert_no_axe_violations(page)
    page.goto(seeded_live_server.url + "/services/acacia/")
    expect(page.get_by_text(old_summary)).to_be_visible()

    # When Ellie, an IMHSG editor, opens the queue and reviews the change
    sign_in(page, seeded_live_server, "ellie")
    page.goto(seeded_live_server.url + "/admin/curation/")
    row = page.locator("#curation-counts tr").filter(has_text="Proposed changes waiting for approval")
    expect(row).to_contain_text("1")
    screenshot(page, "moderation-2-dashboard")
    assert_no_axe_violations(page)
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Select proposed change to view")).to_be_visible()
    page.get_by_role("link", name="Review").click()
    diff = page.locator("#proposed-changes")
    expect(diff.locator("tr").filter(has_text="Summary")).to_contain_text(NEW_SUMMARY)
    expect(diff.locator("tr").filter(has_text="Summary")).to_contain_text(old_summary)
    screenshot(page, "moderation-3-review")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved: Acacia now shows the change.")).to_be_visible()

    # Then the public page shows the new text
    page.goto(seeded_live_server.url + "/services/acacia/")
    expect(page.get_by_text(NEW_SUMMARY)).to_be_visible()

    # And the history shows who proposed and who approved
    service = Service.objects.get(slug="acacia")
    page.goto(seeded_live_server.url + f"/admin/directory/service/{service.pk}/history/")
    history = page.locator("#change-history")
    expect(history).to_contain_text("Approved change proposed by omar")
    expect(history).to_contain_text("ellie")
    screenshot(page, "moderation-4-history")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Compare two versions").click()
    expect(page.get_by_role("heading", name="Compare two versions of Acacia")).to_be_visible()
    expect(page.locator("#version-changes")).to_contain_text(NEW_SUMMARY)
    assert_no_axe_violations(page)

    # When Ellie reverts to the version before the change
    page.goto(seeded_live_server.url + f"/admin/directory/service/{service.pk}/history/")
    page.locator("#change-history tbody tr").nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("button", name="Revert").first).to_be_visible()
    screenshot(page, "moderation-5-revert")
    page.get_by_role("button", name="Revert").first.click()

    # Then the old text is back on the public page
    page.goto(seeded_live_server.url + "/services/acacia/")
    expect(page.get_by_text(old_summary)).to_be_visible()
    assert_no_axe_violations(page)


@pytest.mark.parametrize("size", [{"width": 390, "height": 844}, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def test_a_field_changed_since_a_proposal_is_settled_by_the_editor(page, seeded_live_server, django_user_model, size):
    """Issue 18: Omar proposes a summary; Ellie edits the summary meanwhile; on review she sees
    both, keeps her own, and Omar's other change (the phone) still applies."""
    from django.contrib.auth.models import Group

    from directory.curation.roles import IMHSG_EDITORS, ORGANISATION_EDITORS
    from directory.models import Organisation

    omar = django_user_model.objects.create_user("omar", "omar@example.org", "a-long-password-for-tests", is_staff=True)
    omar.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
    Organisation.objects.get(name="Acacia Family Support").editors.add(omar)
    ellie = django_user_model.objects.create_user("ellie", "ellie@example.org", "a-long-password-for-tests", is_staff=True)
    ellie.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    page.set_viewport_size(size)
    service = Service.objects.get(slug="acacia")

    sign_in(page, seeded_live_server, "omar")
    page.goto(seeded_live_server.url + f"/admin/directory/service/{service.pk}/change/")
    page.fill("#id_summary", NEW_SUMMARY)
    page.fill("#id_phone", "0121 301 5990 (option 3)")
    page.locator("input[name=_save]").first.click()
    expect(page.get_by_text("is waiting for an IMHSG editor to approve it")).to_be_visible()

    sign_in(page, seeded_live_server, "ellie")
    page.goto(seeded_live_server.url + f"/admin/directory/service/{service.pk}/change/")
    page.fill("#id_summary", "Peer support for parents who feel low, from pregnancy until the baby is two.")
    page.locator("input[name=_save]").first.click()
    page.goto(seeded_live_server.url + "/admin/directory/pendingchange/")
    page.get_by_role("link", name="Review").click()
    conflicts = page.locator("#conflicts")
    expect(conflicts).to_contain_text("Changed since the proposal was made")
    expect(conflicts).to_contain_text(NEW_SUMMARY)
    screenshot(page, "moderation-6-conflict")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("choose whether to keep the live value")).to_be_visible()
    page.get_by_label("Keep the live value", exact=False).check()
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text("Approved: Acacia now shows the change.")).to_be_visible()
    assert_no_axe_violations(page)
    service.refresh_from_db()
    assert service.summary.startswith("Peer support for parents who feel low")
    assert service.phone == "0121 301 5990 (option 3)"
