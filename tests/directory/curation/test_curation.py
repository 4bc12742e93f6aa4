"""Issue 10: roles, moderation, history, archive, the dashboard and review reminders.

Personas (tests/conftest.py): Ellie, an IMHSG editor; Omar, an organisation editor for Acacia
Family Support; Vic, a viewer; Sam, a superuser.
"""
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from directory.models import ChangeStatus, PendingChange, ReminderSent
from directory.models import Organisation, Service, Status, Venue
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post, propose

pytestmark = pytest.mark.django_db


def acacia():
    return Service.objects.get(slug="acacia")


def other():
    return Service.objects.get(slug="new-baby-network")


# --- Organisation editors: their own services only -------------------------------------

def test_an_organisation_editor_sees_only_their_organisations_services(client, acacia_editor):
    as_user(client, acacia_editor)
    listing = client.get(admin_url("directory_service_changelist"))
    assert [s.name for s in listing.context["cl"].result_list] == ["Acacia"]
    # A forged id in the address finds nothing (the admin redirects with "doesn't exist").
    response = client.get(admin_url("directory_service_change", other().pk))
    assert response.status_code == 302 and response["Location"].endswith("/admin/")
    # Nor does its history (directory/curation/admin/workflow.py: CompareVersionsMixin.history_view).
    assert client.get(admin_url("directory_service_history", other().pk)).status_code == 404


def test_a_forged_post_to_another_organisations_service_changes_nothing(client, acacia_editor, imhsg_editor):
    as_user(client, imhsg_editor)
    page = client.get(admin_url("directory_service_change", other().pk))
    data = change_form_post(page, summary="Forged by another organisation.")
    as_user(client, acacia_editor)
    client.post(admin_url("directory_service_change", other().pk), data)
    assert other().summary != "Forged by another organisation."
    assert not PendingChange.objects.exists()


def test_an_organisation_editors_change_to_a_published_service_waits_for_approval(client, acacia_editor):
    before = acacia().summary
    response = propose(as_user(client, acacia_editor), acacia(), summary="Acacia's new summary, from Acacia.")
    assert response.status_code == 302 and response["Location"] == admin_url("directory_pendingchange_changelist")
    assert acacia().summary == before
    assert before in client.get("/services/acacia/").content.decode()
    change = PendingChange.objects.get()
    assert (change.service, change.submitted_by, change.status) == (acacia(), acacia_editor, ChangeStatus.PENDING)
    mine = client.get(admin_url("directory_pendingchange_changelist"))
    assert "Waiting for approval" in mine.content.decode()


def test_an_organisation_editor_cannot_publish_approve_delete_or_see_private_notes(client, acacia_editor):
    Service.objects.filter(slug="acacia").update(curator_notes="PRIVATE: funding worry")
    as_user(client, acacia_editor)
    page = client.get(admin_url("directory_service_change", acacia().pk))
    text = page.content.decode()
    assert "PRIVATE: funding worry" not in text
    assert "status" not in page.context["adminform"].form.fields
    assert client.get(admin_url("directory_service_delete", acacia().pk)).status_code == 403
    propose(client, acacia(), summary="Mine.")
    change = PendingChange.objects.get()
    # They may read their own proposal (the queue links to it), never decide it.
    own = client.get(admin_url("directory_service_review_change", acacia().pk, change.pk))
    assert own.status_code == 200 and 'name="_approve"' not in own.content.decode()
    assert client.post(admin_url("directory_service_review_change", acacia().pk, change.pk),
                       {"_approve": "1"}).status_code == 403
    assert client.get(reverse("curation-dashboard")).status_code == 403
    # No action at all: no publish, archive, confirm or delete.
    assert client.get(admin_url("directory_service_changelist")).context["action_form"] is None


def test_an_organisation_editors_new_service_is_a_draft_of_their_organisation(client, acacia_editor):
    from tests.directory.curation.test_admin import new_service_post

    as_user(client, acacia_editor)
    other_org = Organisation.objects.get(name="New Baby Network")
    response = client.post(admin_url("directory_service_add"), new_service_post(organisation=other_org.pk))
    assert response.status_code == 200  # another organisation is not a valid choice
    assert not Service.objects.filter(slug="test-parent-infant-service").exists()
    response = client.post(admin_url("directory_service_add"), new_service_post())
    assert response.status_code == 302
    service = Service.objects.get(slug="test-parent-infant-service")
    assert service.status == Status.DRAFT  # publishing is the IMHSG's
    assert service.facts.get(field="cost").kind == "provider"


def test_an_organisation_editor_cannot_change_a_published_services_venue_directly(client, acacia_editor):
    hospital = Venue.objects.get(name="Heartlands Hospital")
    acacia().service_at_locations.create(venue=hospital)
    as_user(client, acacia_editor)
    response = client.post(admin_url("directory_venue_change", hospital.pk),
                           {"name": "Renamed", "postcode": hospital.postcode, "address": "", "accessibility": ""})
    assert response.status_code == 403
    assert Venue.objects.get(pk=hospital.pk).name == "Heartlands Hospital"
    # Venues of other organisations' services are not even listed.
    assert client.get(admin_url("directory_venue_change", Venue.objects.get(name="Good Hope Hospital").pk)).status_code == 302


# --- IMHSG editors moderate ------------------------------------------------------------

def test_an_imhsg_editor_sees_the_diff_and_approves(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="Friendly groups for mums and dads who feel low.",
            phone="0121 301 5990 (option 2)")
    change = PendingChange.objects.get()
    as_user(client, imhsg_editor)
    review = client.get(admin_url("directory_service_review_change", acacia().pk, change.pk))
    assert review.status_code == 200
    diff = {(c.field, c.new) for c in review.context["changes"]}
    assert ("Summary", "Friendly groups for mums and dads who feel low.") in diff
    assert ("Phone", "0121 301 5990 (option 2)") in diff
    assert len(review.context["changes"]) == 2
    client.post(admin_url("directory_service_review_change", acacia().pk, change.pk), {"_approve": "1"})
    assert acacia().summary == "Friendly groups for mums and dads who feel low."
    assert "Friendly groups for mums and dads" in client.get("/services/acacia/").content.decode()
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ChangeStatus.APPROVED, imhsg_editor)
    latest = acacia().history.first()
    assert latest.history_user == imhsg_editor and "proposed by omar" in latest.history_change_reason
    assert acacia().facts.get(field="phone").confirmed_on == timezone.localdate()


def test_a_rejection_needs_a_reason_which_the_submitter_sees(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="Too much.")
    change = PendingChange.objects.get()
    as_user(client, imhsg_editor)
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    assert "Give a reason" in client.post(url, {"_reject": "1", "reason": ""}).content.decode()
    client.post(url, {"_reject": "1", "reason": "Please keep <b>plain</b> words."})
    change.refresh_from_db()
    assert change.status == ChangeStatus.REJECTED and acacia().summary != "Too much."
    mine = as_user(client, acacia_editor).get(admin_url("directory_pendingchange_changelist")).content.decode()
    assert "Please keep &lt;b&gt;plain&lt;/b&gt; words." in mine  # escaped
    # A decided change cannot be approved later.
    as_user(client, imhsg_editor).post(url, {"_approve": "1"})
    assert acacia().summary != "Too much."


def test_a_blank_summary_is_refused_beside_the_field_before_it_is_held(client, acacia_editor):
    response = propose(as_user(client, acacia_editor), acacia(), summary="")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["summary"] == ["A published service needs a summary."]
    assert not PendingChange.objects.exists()


def test_a_proposal_that_no_longer_applies_says_why(client, acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    propose(as_user(client, acacia_editor), acacia(), **{"referral_routes-0-how_to_refer": "Call us."})
    change = PendingChange.objects.get()
    route.delete()  # meanwhile, an IMHSG editor removed that route
    review = as_user(client, imhsg_editor).get(admin_url("directory_service_review_change", acacia().pk, change.pk))
    assert review.status_code == 200
    assert not review.context["valid"] and review.context["errors"]
    assert 'name="_approve"' not in review.content.decode()


# --- History, compare, revert ----------------------------------------------------------------

def test_history_records_who_changed_what_and_a_revert_restores_it(client, imhsg_editor):
    as_user(client, imhsg_editor)
    old = acacia().summary
    propose(client, acacia(), summary="Edited once.")
    assert acacia().summary == "Edited once."
    versions = list(acacia().history.all())
    assert versions[0].history_user == imhsg_editor and versions[-1].history_change_reason.startswith("Loaded from the seed")
    compare = client.get(admin_url("directory_service_compare", acacia().pk),
                         {"older": versions[1].history_id, "newer": versions[0].history_id})
    assert ("Summary", old, "Edited once.") in {(c.field, c.old, c.new) for c in compare.context["changes"]}
    # Revert: the history form of the older version, saved.
    revert_url = admin_url("directory_service_simple_history", acacia().pk, versions[1].history_id)
    page = client.get(revert_url)
    assert page.status_code == 200
    data = change_form_post(page)
    client.post(revert_url, data)
    assert acacia().summary == old


def test_bulk_actions_and_archive_are_recorded_and_restorable(client, imhsg_editor):
    as_user(client, imhsg_editor)
    changelist = admin_url("directory_service_changelist")
    client.post(changelist, {"action": "mark_reviewed_today", "_selected_action": [acacia().pk]})
    assert acacia().last_reviewed == timezone.localdate()
    assert acacia().history.first().history_change_reason == "Marked as checked today"
    client.post(changelist, {"action": "archive", "_selected_action": [acacia().pk]})
    assert acacia().status == Status.ARCHIVED
    assert client.get("/services/acacia/").status_code == 404
    assert "Acacia" not in client.get("/search/?q=acacia").content.decode().split("<main")[1]
    client.post(changelist, {"action": "restore", "_selected_action": [acacia().pk]})
    assert acacia().status == Status.PUBLISHED
    assert client.get("/services/acacia/").status_code == 200


def test_nobody_but_a_superuser_deletes_or_manages_users(client, imhsg_editor, django_user_model):
    as_user(client, imhsg_editor)
    assert client.get(admin_url("directory_service_delete", acacia().pk)).status_code == 403
    client.post(admin_url("directory_service_changelist"),
                {"action": "delete_selected", "_selected_action": [acacia().pk], "post": "yes"})
    assert Service.objects.filter(slug="acacia").exists()
    assert client.get(admin_url("mapping_postcode_changelist")).context["action_form"] is None  # no bulk delete
    assert client.get(admin_url("auth_user_changelist")).status_code == 403
    assert client.get(admin_url("auth_group_changelist")).status_code == 403
    superuser = django_user_model.objects.create_superuser("sam", "sam@example.org", "a-long-password-for-tests")
    as_user(client, superuser).post(admin_url("directory_service_delete", other().pk), {"post": "yes"})
    assert not Service.objects.filter(slug="new-baby-network").exists()
    deleted = Service.history.filter(slug="new-baby-network", history_type="-").get()
    assert deleted.history_user == superuser


def test_a_viewer_reads_but_cannot_change(client, viewer):
    as_user(client, viewer)
    assert client.get(admin_url("directory_service_changelist")).status_code == 200
    page = client.get(admin_url("directory_service_change", acacia().pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert client.post(admin_url("directory_service_change", acacia().pk), {"summary": "x"}).status_code == 403
    assert client.get(reverse("curation-dashboard")).status_code == 200


# --- Dashboard --------------------------------------------------------------------------------

def test_the_dashboard_counts_the_seed_content_and_links_to_each_list(client, imhsg_editor, django_assert_num_queries):
    as_user(client, imhsg_editor)
    # Session, user, perms (2); services, their routes, their check-in contacts (issue 26: a pass over
    # each, not a probe per service), facts, proposals, suggestions; what people searched for
    # (issue 22): the totals, and the searches that found nothing and 1 or 2 services; referral
    # preparation (issue 24): the routes lacking criteria or what to include (count, rows), the summaries prepared.
    with django_assert_num_queries(10 + 3 + 3):
        response = client.get(reverse("curation-dashboard"))
    counts = {c.label: c.count for c in response.context["counts"]}
    assert counts["Overdue for review"] == 0  # seeded reviews are spread over six months
    assert counts["Due for review in the next 30 days"] == 4
    assert counts["Missing a referral route"] == 13
    assert counts["Missing acceptance criteria"] == 20
    assert counts["Missing contact details"] == 18
    assert counts["Published without a description for parents"] == 0  # the seed writes all 25 (issue 21)
    assert counts["Focus not yet confirmed"] == 25
    assert counts["Facts not yet confirmed"] > 100
    assert counts["New suggestions from the public"] == 0
    for item in response.context["counts"]:
        listing = client.get(item.url)
        assert listing.status_code == 200, item.url
        assert listing.context["cl"].result_count == item.count, item.label


def test_the_moderation_queue_runs_a_fixed_number_of_queries(client, acacia_editor, imhsg_editor,
                                                              django_assert_num_queries):
    for text in ("One.", "Two.", "Three."):
        PendingChange.objects.create(service=acacia(), submitted_by=acacia_editor, data={"summary": [text]})
    as_user(client, imhsg_editor)
    with django_assert_num_queries(7):
        assert client.get(admin_url("directory_pendingchange_changelist")).status_code == 200
    for text in ("Four.", "Five."):
        PendingChange.objects.create(service=other(), submitted_by=acacia_editor, data={"summary": [text]})
    with django_assert_num_queries(7):
        assert client.get(admin_url("directory_pendingchange_changelist")).status_code == 200


def test_seeded_reviews_are_spread_out():
    dates = list(Service.objects.values_list("next_review_due", flat=True))
    assert len(set(dates)) == 25 and min(dates) > timezone.localdate()


# --- Review reminders ---------------------------------------------------------------------------

def test_send_review_reminders_sends_each_owner_one_digest_a_day(imhsg_editor, acacia_editor, django_user_model):
    today = timezone.localdate()
    Service.objects.filter(slug="acacia").update(owner=acacia_editor, next_review_due=today - timedelta(days=3))
    Service.objects.filter(slug="new-baby-network").update(owner=imhsg_editor, next_review_due=today + timedelta(days=10))
    Service.objects.filter(slug="anawim-birmingham-centre-for-women").update(
        owner=imhsg_editor, next_review_due=today + timedelta(days=60))  # not due: not listed
    Service.objects.filter(slug="st-basils-youth-homelessness-service").update(
        owner=imhsg_editor, next_review_due=today, status=Status.ARCHIVED)  # archived: not listed
    out = StringIO()
    call_command("send_review_reminders", stdout=out)
    assert "2 digests sent" in out.getvalue()
    by_person = {message.to[0]: message.body for message in mail.outbox}
    assert "Overdue for review" in by_person["omar@example.org"] and "Acacia" in by_person["omar@example.org"]
    assert "New Baby Network" in by_person["ellie@example.org"]
    assert "Anawim" not in by_person["ellie@example.org"] and "St Basils" not in by_person["ellie@example.org"]
    call_command("send_review_reminders", stdout=out)
    assert len(mail.outbox) == 2 and "2 owners already reminded today" in out.getvalue()
    assert ReminderSent.objects.count() == 2


def test_the_dashboard_the_review_filter_and_the_reminders_agree_at_the_30_day_boundary(client, imhsg_editor):
    """One review window (directory/curation/review.py) for all three: overdue up to and including
    today, due soon from tomorrow to 30 days on, nothing at 31 days."""
    today = timezone.localdate()
    Service.objects.update(owner=imhsg_editor, next_review_due=today + timedelta(days=400))
    slugs = list(Service.objects.order_by("slug").values_list("slug", flat=True)[:6])
    due = dict(zip(slugs, [-1, 0, 1, 30, 31, None]))
    for slug, days in due.items():
        Service.objects.filter(slug=slug).update(next_review_due=None if days is None else today + timedelta(days=days))
    overdue = {slug for slug, days in due.items() if days in (-1, 0)}
    soon = {slug for slug, days in due.items() if days in (1, 30)}

    as_user(client, imhsg_editor)
    counts = {c.label: c.count for c in client.get(reverse("curation-dashboard")).context["counts"]}
    assert counts["Overdue for review"] == 2 and counts["Due for review in the next 30 days"] == 2

    def listed(query):
        listing = client.get(admin_url("directory_service_changelist") + f"?{query}")
        return {service.slug for service in listing.context["cl"].result_list}

    assert listed("review=overdue") == overdue
    assert listed("review=soon") == soon

    call_command("send_review_reminders", stdout=StringIO())
    (message,) = mail.outbox
    overdue_part, _, soon_part = message.body.partition("Due in the next 30 days:")
    names = dict(Service.objects.values_list("slug", "name"))
    assert {slug for slug in names if f"- {names[slug]} (" in overdue_part} == overdue
    assert {slug for slug in names if f"- {names[slug]} (" in soon_part} == soon


def test_an_organisation_editor_can_neither_import_nor_export(client, acacia_editor):
    as_user(client, acacia_editor)
    assert client.get(admin_url("directory_service_import")).status_code == 403
    assert client.get(admin_url("directory_service_export")).status_code == 403
    assert client.get(admin_url("directory_suggestion_changelist")).status_code == 403


# --- The roles themselves (ensure_roles, run after every migrate) -----------------------------

def role_permissions(name):
    from django.contrib.auth.models import Group

    return {f"{p.content_type.app_label}.{p.codename}"
            for p in Group.objects.get(name=name).permissions.select_related("content_type")}


def test_the_three_roles_hold_exactly_their_permissions(django_assert_num_queries):
    from django.contrib.auth.models import Permission

    from directory.curation import roles as curation

    with django_assert_num_queries(8):  # the permissions in one query, not one per permission
        curation.ensure_roles()
    editors = role_permissions(curation.IMHSG_EDITORS)
    everything = {f"{p.content_type.app_label}.{p.codename}"
                  for p in Permission.objects.filter(content_type__app_label__in=["directory", "mapping"])}
    # IMHSG editors: everything in the directory and the map but deleting, bar the three inline rows
    # (routes, venues and the private check-in contact of a service, and a session's changed date: issue 23).
    inline_deletes = {"directory.delete_referralroute", "directory.delete_serviceatlocation",
                      "directory.delete_checkincontact", "directory.delete_sessionexception"}
    assert {"directory.change_service", "directory.moderate_service", "mapping.change_postcode"} <= editors
    assert {p for p in editors if ".delete_" in p} == inline_deletes
    assert editors == {p for p in everything if ".delete_" not in p} | inline_deletes
    # Viewers: every view permission there, and nothing else.
    viewers = role_permissions(curation.VIEWERS)
    assert "directory.view_service" in viewers and "mapping.view_district" in viewers
    assert viewers == {p for p in everything if ".view_" in p}
    # Organisation editors: the listed permissions, no more (no publish, no moderate, no delete of a service).
    organisation = role_permissions(curation.ORGANISATION_EDITORS)
    assert organisation == set(curation.ORGANISATION_EDITOR_PERMISSIONS)
    assert "directory.moderate_service" not in organisation and "directory.delete_service" not in organisation
    # Nor may they publish a session or touch a knowledge-sharing event (issue 23).
    assert "directory.publish_session" not in organisation
    assert not {p for p in organisation if "knowledgeevent" in p}


def test_the_old_curators_group_becomes_the_imhsg_editors_with_its_members(django_user_model):
    from django.contrib.auth.models import Group

    from directory.curation import roles as curation

    Group.objects.filter(name=curation.IMHSG_EDITORS).delete()
    legacy = Group.objects.create(name=curation.LEGACY_CURATORS)
    user = django_user_model.objects.create_user("lee", "lee@example.org", "a-long-password-for-tests", is_staff=True)
    user.groups.add(legacy)
    curation.ensure_roles()
    assert not Group.objects.filter(name=curation.LEGACY_CURATORS).exists()
    renamed = Group.objects.get(name=curation.IMHSG_EDITORS)
    assert renamed.pk == legacy.pk and list(renamed.user_set.all()) == [user]
    assert curation.is_imhsg_editor(django_user_model.objects.get(pk=user.pk))


def test_an_old_curators_group_beside_the_imhsg_editors_is_left_alone():
    from django.contrib.auth.models import Group

    from directory.curation import roles as curation

    editors = Group.objects.get(name=curation.IMHSG_EDITORS)
    legacy = Group.objects.create(name=curation.LEGACY_CURATORS)
    curation.ensure_roles()
    assert Group.objects.get(name=curation.IMHSG_EDITORS).pk == editors.pk
    assert Group.objects.get(name=curation.LEGACY_CURATORS).pk == legacy.pk
    assert not legacy.permissions.exists()


def test_an_organisation_editors_organisations_are_read_once_per_request(acacia_editor, django_assert_num_queries):
    from directory.curation import roles as curation

    with django_assert_num_queries(1):
        ids = curation.organisation_ids(acacia_editor)
    assert ids == {Organisation.objects.get(name="Acacia Family Support").pk}
    with django_assert_num_queries(0):
        assert curation.organisation_ids(acacia_editor) == ids


def test_a_proposed_change_names_its_service_author_and_status(acacia_editor):
    change = PendingChange.objects.create(service=acacia(), submitted_by=acacia_editor, data={"summary": ["x"]})
    assert str(change) == "Change to Acacia by omar (waiting for approval)"


# --- Found by deliberate mistakes in directory/curation/admin (issue 19) -------------------------
# Each test below failed when one line of records.py or workflow.py was changed, where the whole
# suite had stayed green: the mistake is named in its docstring.

def test_an_organisation_editor_cannot_set_what_the_imhsg_decides_even_on_their_own_draft(
        client, acacia_editor, imhsg_editor):
    """Mistake: a field dropped from ServiceAdmin.ORGANISATION_EDITOR_READONLY. A draft of their
    own is saved directly, so a forged value would land on the record at once."""
    from tests.directory.curation.test_admin import new_service_post

    as_user(client, acacia_editor)
    assert client.post(admin_url("directory_service_add"), new_service_post()).status_code == 302
    draft = Service.objects.get(slug="test-parent-infant-service")
    decided = ("status", "focus_confirmed", "owner_id", "last_reviewed", "next_review_due")
    before = Service.objects.filter(pk=draft.pk).values(*decided).get()
    page = client.get(admin_url("directory_service_change", draft.pk))
    assert not {"status", "focus_confirmed", "owner", "last_reviewed", "next_review_due"} & set(
        page.context["adminform"].form.fields)
    forged = change_form_post(page, summary="Edited by Omar.", status="published", focus_confirmed="on",
                              owner=str(imhsg_editor.pk), last_reviewed="2020-01-01", next_review_due="2030-01-01")
    assert client.post(admin_url("directory_service_change", draft.pk), forged).status_code == 302
    assert Service.objects.get(pk=draft.pk).summary == "Edited by Omar."  # the save itself went through
    assert Service.objects.filter(pk=draft.pk).values(*decided).get() == before


def test_only_a_superuser_chooses_who_edits_an_organisation(client, imhsg_editor, acacia_editor, django_user_model):
    """Mistake: OrganisationAdmin.get_readonly_fields leaving `editors` editable for everyone. An
    organisation editor's reach is a superuser's decision (issue 10)."""
    network = Organisation.objects.get(name="New Baby Network")
    url = admin_url("directory_organisation_change", network.pk)
    page = as_user(client, imhsg_editor).get(url)
    assert "editors" not in page.context["adminform"].form.fields
    assert client.post(url, change_form_post(page, editors=[str(acacia_editor.pk)])).status_code == 302
    assert not network.editors.exists()
    superuser = django_user_model.objects.create_superuser("sam", "sam@example.org", "a-long-password-for-tests")
    page = as_user(client, superuser).get(url)
    assert client.post(url, change_form_post(page, editors=[str(acacia_editor.pk)])).status_code == 302
    assert list(network.editors.all()) == [acacia_editor]


def test_an_organisation_editor_is_not_shown_the_owners_e_mail(client, imhsg_editor, acacia_editor):
    """Mistake: ServiceAdmin.owner_contact answering organisation editors too. The owner is the
    IMHSG's curator: providers see who (the read-only field), not their e-mail."""
    type(imhsg_editor).objects.filter(pk=imhsg_editor.pk).update(email="ellie.owner@example.org")
    Service.objects.filter(slug="acacia").update(owner=imhsg_editor)
    page = as_user(client, acacia_editor).get(admin_url("directory_service_change", acacia().pk))
    assert page.status_code == 200 and page.context["owner_contact"] is None
    assert "ellie.owner@example.org" not in page.content.decode()
    # The IMHSG sees where reminders go.
    assert "ellie.owner@example.org" in as_user(client, imhsg_editor).get(
        admin_url("directory_service_change", acacia().pk)).content.decode()


def test_an_imhsg_editor_is_not_linked_to_a_superusers_details(client, imhsg_editor, django_user_model):
    """Mistake: ServiceAdmin.owner_contact linking an IMHSG editor to a superuser owner's details,
    a page that answers them 403 (only a superuser changes a superuser's details)."""
    superuser = django_user_model.objects.create_superuser("sam", "sam@example.org", "a-long-password-for-tests")
    Service.objects.filter(slug="acacia").update(owner=superuser)
    page = as_user(client, imhsg_editor).get(admin_url("directory_service_change", acacia().pk))
    theirs = reverse("curator-details-of", args=[superuser.pk])
    assert page.context["owner_contact"] == {"name": "sam", "email": "sam@example.org", "url": None}
    assert theirs not in page.content.decode()
    assert client.get(theirs).status_code == 403  # what the link would have led to


def test_an_organisation_editor_sees_only_their_own_proposals_on_the_service_page(
        client, acacia_editor, imhsg_editor, django_user_model):
    """Mistake: ModeratedServiceMixin.change_view listing every pending proposal to an
    organisation editor, with links to reviews they may not open (another editor's)."""
    from django.contrib.auth.models import Group

    from directory.curation.roles import ORGANISATION_EDITORS

    colleague = django_user_model.objects.create_user("ola", "ola@example.org", "a-long-password-for-tests",
                                                      is_staff=True)
    colleague.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
    acacia().organisation.editors.add(colleague)
    propose(as_user(client, colleague), acacia(), summary="Ola's proposal.")
    theirs = PendingChange.objects.get(submitted_by=colleague)
    propose(as_user(client, acacia_editor), acacia(), phone="0121 000 0000 (Omar's proposal)")
    mine = PendingChange.objects.get(submitted_by=acacia_editor)
    page = client.get(admin_url("directory_service_change", acacia().pk))
    assert page.context["pending_changes"] == [mine]
    assert admin_url("directory_service_review_change", acacia().pk, theirs.pk) not in page.content.decode()
    assert client.get(admin_url("directory_service_review_change", acacia().pk, theirs.pk)).status_code == 403
    # An IMHSG editor is shown both, to review.
    page = as_user(client, imhsg_editor).get(admin_url("directory_service_change", acacia().pk))
    assert set(page.context["pending_changes"]) == {mine, theirs}


def test_an_old_proposal_whose_form_no_longer_validates_cannot_be_approved(client, acacia_editor, imhsg_editor):
    """Mistake: ModeratedServiceMixin._decide approving while the review shows errors. A proposal
    stored before issue 18 kept only its form; when that form no longer validates, the page
    says why and hides the button, and a POST must be refused too (it reached approve_change
    with nothing to apply: a 500)."""
    change = PendingChange.objects.create(service=acacia(), submitted_by=acacia_editor, changes=None,
                                          data={"summary": ["Only the summary: the form is incomplete."]})
    before = (acacia().summary, acacia().history.count())
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    review = as_user(client, imhsg_editor).get(url)
    assert review.context["errors"] and 'name="_approve"' not in review.content.decode()
    response = client.post(url, {"_approve": "1"})
    assert response.status_code == 200 and response.context["errors"]
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
    assert (acacia().summary, acacia().history.count()) == before


def test_a_proposal_that_no_longer_applies_cannot_be_approved(client, acacia_editor, imhsg_editor):
    """The page hides the button when a proposal no longer applies; a POST is refused as well
    (by the view, and again by moderation.approve_change, which checks the proposal itself)."""
    route = acacia().referral_routes.get()
    propose(as_user(client, acacia_editor), acacia(), summary="Call us instead.",
            **{"referral_routes-0-how_to_refer": "Call us."})
    change = PendingChange.objects.get()
    route.delete()  # meanwhile, an IMHSG editor removed that route
    before = (acacia().summary, acacia().history.count())
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    response = as_user(client, imhsg_editor).post(url, {"_approve": "1"})
    assert response.status_code == 200 and response.context["errors"]
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING
    assert (acacia().summary, acacia().history.count()) == before


@pytest.mark.parametrize("email", ["not-an-address", "ellie@", "@example.org", "ellie@example.org\nBcc: x@example.org",
                                   "a" * 250 + "@example.org"])
def test_your_details_refuses_a_bad_e_mail_in_words_and_keeps_the_old_one(client, imhsg_editor, email):
    """The e-mail review reminders reach: a typo must not replace a working address."""
    type(imhsg_editor).objects.filter(pk=imhsg_editor.pk).update(email="ellie.owner@example.org")
    as_user(client, imhsg_editor)
    response = client.post(reverse("curator-details"), {"first_name": "Ellie", "last_name": "<b>Owner</b>",
                                                        "email": email})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    imhsg_editor.refresh_from_db()
    assert imhsg_editor.email == "ellie.owner@example.org" and imhsg_editor.last_name != "<b>Owner</b>"
    assert "<b>Owner</b>" not in response.content.decode()  # what was typed comes back escaped
