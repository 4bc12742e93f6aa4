"""Issue 18: every admin write checked by role where it happens, and safe against other writers.

Each test here reproduces a hole found on the code before issue 18 (a viewer or an
organisation editor writing through simple-history's form, curator notes in the history, an
approval undoing a later edit, two decisions on one proposal) and shows it closed.
Personas (tests/conftest.py): Ellie, an IMHSG editor; Omar, an organisation editor for Acacia
Family Support; Vic, a viewer.
"""
import threading

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from directory.curation import moderation
from directory.models import ChangeStatus, PendingChange
from directory.curation.roles import IMHSG_EDITORS
from directory.models import Organisation, ReferralRoute, Service, Status
from directory.models import Fact
from tests.directory.curation.admin_forms import admin_url, as_user, change_form_post, propose

pytestmark = pytest.mark.django_db


def acacia():
    return Service.objects.get(slug="acacia")


def edit_as(client, user, service, **changes):
    """A direct edit in the admin (an IMHSG editor's)."""
    response = propose(as_user(client, user), service, **changes)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def version_url(record, history_id):
    return admin_url(f"directory_{record._meta.model_name}_simple_history", record.pk, history_id)


def oldest(record):
    return record.history.order_by("history_date", "history_id").first()


def post_version(client, record, version, **changes):
    """POST a past version's page back, as simple-history's form would, with a field changed."""
    url = version_url(record, version.history_id)
    page = client.get(url)
    data = change_form_post(page, **changes) if page.status_code == 200 and page.context else dict(changes)
    return client.post(url, data)


def snapshot(service):
    service = Service.objects.get(pk=service.pk)
    return ({f.attname: getattr(service, f.attname) for f in Service._meta.concrete_fields if f.name != "modified"},
            {name: sorted(getattr(service, name).values_list("pk", flat=True))
             for name in ("levels", "needs", "coverage_districts")},
            list(service.referral_routes.values()), service.history.count())


# --- Read-only roles cannot write through the history pages -----------------------------

@pytest.fixture
def archived_acacia(imhsg_editor):
    moderation.archive_services(services=Service.objects.filter(slug="acacia"), archived_by=imhsg_editor)
    return acacia()


def test_a_viewer_cannot_rename_archive_or_republish_a_service_through_its_history(client, viewer, archived_acacia):
    service = archived_acacia
    published = service.history.filter(status=Status.PUBLISHED).first()
    before = snapshot(service)
    as_user(client, viewer)
    assert client.get(version_url(service, published.history_id)).status_code == 200  # viewing is allowed
    for changes in ({"name": "Renamed by a viewer"}, {}, {"status": Status.PUBLISHED}):
        assert post_version(client, service, published, **changes).status_code == 403
    assert snapshot(service) == before
    assert acacia().status == Status.ARCHIVED


def test_a_viewer_cannot_rename_an_organisation_or_revert_a_route_through_history(client, viewer, imhsg_editor):
    organisation = Organisation.objects.get(name="Acacia Family Support")
    organisation.name, organisation._history_user = "Acacia (renamed)", imhsg_editor
    organisation.save()
    route = acacia().referral_routes.get()
    old_text = route.how_to_refer
    route.how_to_refer = "Call the team."
    route.save()
    as_user(client, viewer)
    assert post_version(client, organisation, oldest(organisation), name="Viewer's name").status_code == 403
    assert post_version(client, route, oldest(route)).status_code == 403
    assert Organisation.objects.get(pk=organisation.pk).name == "Acacia (renamed)"
    assert ReferralRoute.objects.get(pk=route.pk).how_to_refer == "Call the team." != old_text


def test_an_organisation_editor_cannot_republish_its_archived_service_through_history(
        client, acacia_editor, archived_acacia):
    published = archived_acacia.history.filter(status=Status.PUBLISHED).first()
    before = snapshot(archived_acacia)
    as_user(client, acacia_editor)
    assert post_version(client, archived_acacia, published).status_code == 403
    assert post_version(client, archived_acacia, published, levels=["1"], needs=[]).status_code == 403
    assert snapshot(archived_acacia) == before
    assert not PendingChange.objects.exists()


def test_an_organisation_editor_cannot_change_a_published_route_or_its_organisation_through_history(
        client, acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    route.acceptance_criteria = "Newer criteria."
    route.save()
    organisation = acacia().organisation
    as_user(client, acacia_editor)
    assert post_version(client, route, oldest(route)).status_code == 403
    assert post_version(client, organisation, oldest(organisation), name="Omar's organisation").status_code == 403
    assert ReferralRoute.objects.get(pk=route.pk).acceptance_criteria == "Newer criteria."
    assert Organisation.objects.get(pk=organisation.pk).name == "Acacia Family Support"


def test_an_imhsg_editor_reverts_a_service_from_its_history(client, imhsg_editor, archived_acacia):
    """The positive control: the same POST from someone who may publish does revert."""
    published = archived_acacia.history.filter(status=Status.PUBLISHED).first()
    response = post_version(as_user(client, imhsg_editor), archived_acacia, published, name="Ignored: not edited here")
    assert response.status_code == 302
    service = acacia()
    assert service.status == Status.PUBLISHED and service.name == published.name
    assert service.history.first().history_user == imhsg_editor
    assert service.history.first().history_change_reason.startswith("Reverted to the version of")


def test_a_revert_that_would_break_the_publishing_rules_is_refused_in_words(client, imhsg_editor):
    service = acacia()
    service.no_referral_route_reason = ""
    service.save()  # a published version that relied on its route
    version = service.history.first()
    service.referral_routes.all().delete()
    Service.objects.filter(pk=service.pk).update(status=Status.DRAFT)
    response = post_version(as_user(client, imhsg_editor), service, version)
    assert response.status_code == 302
    assert acacia().status == Status.DRAFT
    page = client.get(response.url)
    assert "Not reverted" in page.content.decode()


def test_a_forged_version_id_is_a_404(client, imhsg_editor):
    as_user(client, imhsg_editor)
    other = Service.objects.exclude(slug="acacia").first()
    foreign = other.history.first().history_id
    assert client.get(version_url(acacia(), foreign)).status_code == 404
    assert client.post(version_url(acacia(), foreign)).status_code == 404
    assert client.get(version_url(acacia(), 0).replace("/0/", "/x1/")).status_code == 404


# --- Private fields stay private ----------------------------------------------------------

NOTE = "Private: the provider disputes the waiting time."


def test_organisation_editors_never_read_curator_notes_in_history_or_compare(client, imhsg_editor, acacia_editor):
    edit_as(client, imhsg_editor, acacia(), curator_notes=NOTE)
    service = acacia()
    newer, older = list(service.history.all()[:2])
    pages = {
        "history": admin_url("directory_service_history", service.pk),
        "compare": admin_url("directory_service_compare", service.pk) + f"?older={older.history_id}&newer={newer.history_id}",
        "version": version_url(service, newer.history_id),
    }
    as_user(client, imhsg_editor)
    for name, url in pages.items():
        assert NOTE in client.get(url).content.decode(), name  # the IMHSG sees its notes
    as_user(client, acacia_editor)
    for name, url in pages.items():
        page = client.get(url)
        assert page.status_code == 200, name
        assert NOTE not in page.content.decode() and "Curator notes" not in page.content.decode(), name


# --- Bulk actions check the role on POST ----------------------------------------------------

def test_a_viewer_cannot_confirm_facts_with_the_list_action(client, viewer):
    fact = Fact.objects.filter(confirmed_on__isnull=True).first()
    as_user(client, viewer).post(admin_url("directory_fact_changelist"),
                                 {"action": "confirm", "_selected_action": [fact.pk]})
    fact.refresh_from_db()
    assert fact.confirmed_on is None


@pytest.mark.parametrize("action", ["archive", "restore", "mark_reviewed_today", "confirm_all_facts"])
def test_viewers_and_organisation_editors_cannot_use_the_publishing_actions(client, viewer, acacia_editor,
                                                                            imhsg_editor, action):
    if action == "restore":  # only an archived service has anything to restore
        moderation.archive_services(services=Service.objects.filter(slug="acacia"), archived_by=imhsg_editor)

    def state():
        return snapshot(acacia()), Fact.objects.filter(confirmed_on__isnull=False).count()

    def use_action(user):
        as_user(client, user).post(admin_url("directory_service_changelist"),
                                   {"action": action, "_selected_action": [acacia().pk]})

    for user in (viewer, acacia_editor):
        before = state()
        use_action(user)
        assert state() == before, user.username
    # The same POST from an IMHSG editor does write: what refused the others was their role.
    before = state()
    use_action(imhsg_editor)
    assert state() != before


# --- Concurrent writers never undo each other -------------------------------------------------

def test_approving_an_older_proposal_keeps_an_editors_later_edit(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="Groups for parents who feel low.")
    change = PendingChange.objects.get()
    assert set(change.changes["service"]) == {"summary"}
    edit_as(client, imhsg_editor, acacia(), phone="0121 000 0000 (edited by the IMHSG)")
    review = client.get(admin_url("directory_service_review_change", acacia().pk, change.pk))
    assert [(c.field, c.new) for c in review.context["changes"]] == [("Summary", "Groups for parents who feel low.")]
    assert not review.context["conflicts"]
    client.post(admin_url("directory_service_review_change", acacia().pk, change.pk), {"_approve": "1"})
    service = acacia()
    assert service.summary == "Groups for parents who feel low."
    assert service.phone == "0121 000 0000 (edited by the IMHSG)"  # not silently reverted
    assert PendingChange.objects.get().status == ChangeStatus.APPROVED


@pytest.mark.parametrize("choice, expected", [("live", "The IMHSG's summary."), ("proposed", "Omar's summary.")])
def test_a_field_changed_since_the_proposal_is_settled_by_the_editor(client, acacia_editor, imhsg_editor,
                                                                    choice, expected):
    propose(as_user(client, acacia_editor), acacia(), summary="Omar's summary.", phone="0121 111 1111")
    change = PendingChange.objects.get()
    edit_as(client, imhsg_editor, acacia(), summary="The IMHSG's summary.")
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    review = client.get(url)
    [(conflict, _, _)] = review.context["conflicts"]
    assert (conflict.field, conflict.live, conflict.proposed) == ("Summary", "The IMHSG's summary.", "Omar's summary.")
    assert "Changed since the proposal was made" in review.content.decode()
    # Approving without choosing changes nothing and says why.
    refused = client.post(url, {"_approve": "1"})
    assert refused.status_code == 200 and "choose whether to keep" in refused.content.decode()
    assert acacia().phone != "0121 111 1111" and PendingChange.objects.get().status == ChangeStatus.PENDING
    client.post(url, {"_approve": "1", f"choice:{conflict.key}": choice})
    assert acacia().summary == expected and acacia().phone == "0121 111 1111"


def test_two_editors_approving_the_same_change_exactly_one_wins(client, acacia_editor, imhsg_editor,
                                                                django_user_model):
    second = django_user_model.objects.create_user("ezra", "ezra@example.org", "a-long-password-for-tests",
                                                   is_staff=True)
    second.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    propose(as_user(client, acacia_editor), acacia(), summary="Approved once.")
    change = PendingChange.objects.get()
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    # Both opened the review page; Ellie approves first.
    as_user(client, imhsg_editor).post(url, {"_approve": "1"})
    history = acacia().history.count()
    stale = PendingChange.objects.get()
    stale.status = ChangeStatus.PENDING  # what Ezra's page still believed
    with pytest.raises(moderation.AlreadyDecided):
        moderation.approve_change(change=stale, decided_by=second)
    response = as_user(client, second).post(url, {"_approve": "1"}, follow=True)
    assert "already approved by ellie" in response.content.decode()
    change.refresh_from_db()
    assert (change.status, change.decided_by) == (ChangeStatus.APPROVED, imhsg_editor)
    assert acacia().history.count() == history  # no second write


def test_a_change_already_live_cannot_then_be_rejected(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="Live now.")
    change = PendingChange.objects.get()
    stale = PendingChange.objects.get()
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    with pytest.raises(moderation.AlreadyDecided):
        moderation.reject_change(change=stale, decided_by=imhsg_editor, reason="Too late.")
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED and change.reason == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrent transactions need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_approvals_at_the_same_moment_on_postgresql_one_wins(django_user_model):
    """Two threads, two connections, approving at once: the conditional update lets one through."""
    from directory.seed.loader import load_seed

    load_seed()
    submitter = django_user_model.objects.create_user("omar2", is_staff=True)
    editors = [django_user_model.objects.create_user(f"editor{i}", is_staff=True, is_superuser=True) for i in (1, 2)]
    change = moderation.propose_change(service=acacia(), submitted_by=submitter, changes={
        "service": {"summary": {"base": acacia().summary, "new": "Raced."}}, "routes": [], "venues": []})
    barrier, outcomes = threading.Barrier(2), []

    def approve(editor):
        from django.db import connections

        try:
            barrier.wait()
            moderation.approve_change(change=PendingChange.objects.get(pk=change.pk), decided_by=editor)
            outcomes.append("approved")
        except moderation.AlreadyDecided:
            outcomes.append("already decided")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(editor,)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already decided", "approved"]
    assert acacia().history.filter(history_change_reason__startswith="Approved").count() == 1


def test_a_proposal_applies_only_its_own_route_and_venue_changes(client, acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    propose(as_user(client, acacia_editor), acacia(), **{"referral_routes-0-waiting_time": "About 2 weeks"})
    change = PendingChange.objects.get()
    assert change.changes["routes"] == [{"id": route.pk, "action": "change", "fields": {
        "waiting_time": {"base": route.waiting_time, "new": "About 2 weeks"}}}]
    ReferralRoute.objects.filter(pk=route.pk).update(acceptance_criteria="Edited by the IMHSG meanwhile.")
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    route.refresh_from_db()
    assert route.waiting_time == "About 2 weeks"
    assert route.acceptance_criteria == "Edited by the IMHSG meanwhile."


def test_saving_without_changing_anything_holds_nothing(client, acacia_editor):
    response = propose(as_user(client, acacia_editor), acacia())
    assert response.status_code == 302
    assert not PendingChange.objects.exists()
    assert "Nothing was changed" in client.get(response.url).content.decode()


def test_a_proposal_from_before_issue_18_is_still_reviewed_and_approved(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="From the old form.")
    PendingChange.objects.update(changes=None, base_history_id=None)  # as stored before issue 18
    change = PendingChange.objects.get()
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    review = as_user(client, imhsg_editor).get(url)
    assert ("Summary", "From the old form.") in {(c.field, c.new) for c in review.context["changes"]}
    client.post(url, {"_approve": "1"})
    assert acacia().summary == "From the old form."


# --- Owners -----------------------------------------------------------------------------------

def test_an_imhsg_editor_assigns_an_owner_from_the_curators(client, imhsg_editor, acacia_editor, viewer):
    imhsg_editor.email = "ellie@example.org"
    imhsg_editor.save()
    page = as_user(client, imhsg_editor).get(admin_url("directory_service_change", acacia().pk))
    owners = page.context["adminform"].form.fields["owner"]
    assert set(owners.queryset) == {imhsg_editor}  # neither providers nor viewers own entries
    assert "ellie@example.org" in owners.label_from_instance(imhsg_editor)
    client.post(admin_url("directory_service_change", acacia().pk), change_form_post(page, owner=str(imhsg_editor.pk)))
    assert acacia().owner == imhsg_editor
    forged = client.post(admin_url("directory_service_change", acacia().pk),
                         change_form_post(client.get(admin_url("directory_service_change", acacia().pk)),
                                          owner=str(acacia_editor.pk)))
    assert forged.status_code == 200 and "owner" in forged.context["adminform"].form.errors
    assert acacia().owner == imhsg_editor


def test_a_proposal_is_readable_by_its_submitter_and_viewers_and_decided_only_by_editors(
        client, acacia_editor, viewer, django_user_model):
    from directory.curation.roles import ORGANISATION_EDITORS

    propose(as_user(client, acacia_editor), acacia(), summary="Read, not decided.")
    change = PendingChange.objects.get()
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    mine = client.get(url)
    assert mine.status_code == 200 and "Read, not decided." in mine.content.decode()
    assert 'name="_approve"' not in mine.content.decode() and 'name="_reject"' not in mine.content.decode()
    assert client.post(url, {"_approve": "1"}).status_code == 403
    as_user(client, viewer)
    assert client.get(url).status_code == 200
    assert client.post(url, {"_reject": "1", "reason": "A viewer's reason."}).status_code == 403
    stranger = django_user_model.objects.create_user("olga", is_staff=True)
    stranger.groups.add(Group.objects.get(name=ORGANISATION_EDITORS))
    Organisation.objects.exclude(name="Acacia Family Support").first().editors.add(stranger)
    assert as_user(client, stranger).get(url).status_code == 403
    change.refresh_from_db()
    assert change.status == ChangeStatus.PENDING and acacia().summary != "Read, not decided."


def test_owners_e_mail_is_changed_by_the_owner_or_an_imhsg_editor_only(client, imhsg_editor, viewer, acacia_editor,
                                                                       django_user_model):
    Service.objects.filter(slug="acacia").update(owner=imhsg_editor)
    type(imhsg_editor).objects.filter(pk=imhsg_editor.pk).update(email="")
    page = as_user(client, imhsg_editor).get(admin_url("directory_service_change", acacia().pk))
    assert "no e-mail yet, so reminders cannot reach them" in page.content.decode()
    own = reverse("curator-details")
    assert f'href="{own}"' in page.content.decode()
    client.post(own, {"first_name": "Ellie", "last_name": "Editor", "email": "ellie@example.org"})
    imhsg_editor.refresh_from_db()
    assert imhsg_editor.email == "ellie@example.org"
    # A second IMHSG editor changes Ellie's e-mail; a viewer or provider cannot.
    second = django_user_model.objects.create_user("ezra", "ezra@example.org", "x", is_staff=True)
    second.groups.add(Group.objects.get(name=IMHSG_EDITORS))
    theirs = reverse("curator-details-of", args=[imhsg_editor.pk])
    assert theirs in as_user(client, second).get(admin_url("directory_service_change", acacia().pk)).content.decode()
    client.post(theirs, {"first_name": "Ellie", "last_name": "Editor", "email": "ellie.new@example.org"})
    for user in (viewer, acacia_editor):
        assert as_user(client, user).post(theirs, {"email": "attacker@example.org"}).status_code == 403
    superuser = django_user_model.objects.create_superuser("sam", "sam@example.org", "x")
    assert as_user(client, second).post(reverse("curator-details-of", args=[superuser.pk]),
                                        {"email": "attacker@example.org"}).status_code == 403
    imhsg_editor.refresh_from_db()
    superuser.refresh_from_db()
    assert (imhsg_editor.email, superuser.email) == ("ellie.new@example.org", "sam@example.org")
    viewer_page = as_user(client, viewer).get(admin_url("directory_service_change", acacia().pk)).content.decode()
    assert "ellie.new@example.org" in viewer_page and theirs not in viewer_page  # no link it cannot open


def test_a_viewer_reads_a_fact_without_a_server_error(client, viewer):
    """Found by the roles journey: the fact form assumed its fields were editable (a 500)."""
    fact = Fact.objects.first()
    page = as_user(client, viewer).get(admin_url("directory_fact_change", fact.pk))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_an_organisation_reverts_to_its_own_past_name(client, imhsg_editor):
    """simple-history rebuilds a past organisation with today's values (it excludes the editors
    set); a revert reads the historical row itself."""
    organisation = Organisation.objects.get(name="Acacia Family Support")
    version = organisation.history.first()
    Organisation.objects.filter(pk=organisation.pk).update(name="Renamed without history")
    assert post_version(as_user(client, imhsg_editor), organisation, version).status_code == 302
    assert Organisation.objects.get(pk=organisation.pk).name == "Acacia Family Support"


def test_organisation_editors_are_not_linked_to_the_facts_they_may_not_open(client, acacia_editor, viewer):
    page = as_user(client, acacia_editor).get(admin_url("directory_service_change", acacia().pk)).content.decode()
    assert admin_url("directory_fact_changelist") not in page
    assert client.get(admin_url("directory_fact_changelist")).status_code == 403
    assert admin_url("directory_fact_changelist") in as_user(client, viewer).get(
        admin_url("directory_service_change", acacia().pk)).content.decode()


def test_a_refused_decision_keeps_the_diff_and_the_choices_on_the_page(client, acacia_editor, imhsg_editor):
    propose(as_user(client, acacia_editor), acacia(), summary="Omar's summary.")
    change = PendingChange.objects.get()
    edit_as(client, imhsg_editor, acacia(), summary="The IMHSG's summary.")
    url = admin_url("directory_service_review_change", acacia().pk, change.pk)
    for body in ({"_approve": "1"}, {"_reject": "1", "reason": ""}):
        page = client.post(url, body)
        assert page.context["valid"] and page.context["changes"] and page.context["conflicts"]
        assert 'name="_approve"' in page.content.decode() and "Keep the live value" in page.content.decode()


# --- The writes themselves (directory/moderation.py), called as the admin calls them ------------
# Found by mutation testing (docs/mutation.md): each pins a rule the admin pages above take for
# granted, so a one-word slip in moderation.py fails a test here.

def service_changes(**fields):
    """A proposal's `changes` for the service's own fields, each against its live value."""
    live = acacia()
    return {"service": {name: {"base": moderation.current_value(live, name), "new": new}
                        for name, new in fields.items()}, "routes": [], "venues": []}


def latest(record):
    return record.history.order_by("-history_date", "-history_id").first()


def test_stored_values_are_plain_json_and_sorted():
    from datetime import date, datetime
    from decimal import Decimal

    from directory.models import Level

    levels = Level.objects.filter(name__in=["Targeted", "Universal"])
    assert moderation._jsonable(acacia()) == acacia().pk
    assert moderation._jsonable(date(2026, 3, 1)) == "2026-03-01"
    assert moderation._jsonable(datetime(2026, 3, 1, 9, 30)) == "2026-03-01T09:30:00"
    assert moderation._jsonable(Decimal("1.50")) == "1.50"
    assert moderation._jsonable([3, 1, 2]) == [1, 2, 3] and moderation._jsonable({5, 4}) == [4, 5]
    assert moderation._jsonable(levels) == sorted(levels.values_list("pk", flat=True))
    assert moderation._jsonable("as it is") == "as it is" and moderation._jsonable(None) is None
    service = acacia()
    service.levels.set(levels)
    assert moderation.current_value(service, "levels") == sorted(levels.values_list("pk", flat=True))
    assert moderation.current_value(service, "organisation") == service.organisation_id
    assert moderation.current_value(service, "summary") == service.summary


def test_stored_values_read_in_words_on_the_review_page():
    from directory.models import Level

    targeted, universal = Level.objects.get(name="Targeted"), Level.objects.get(name="Universal")
    for empty in (None, "", []):
        assert moderation.shown(Service, "summary", empty) == "(empty)"
    assert moderation.shown(Service, "levels", [universal.pk, targeted.pk]) == "Targeted, Universal"
    assert moderation.shown(acacia(), "organisation", acacia().organisation_id) == "Acacia Family Support"
    assert moderation.shown(Service, "levels", [999999]) == "(removed)"
    assert moderation.shown(Service, "status", "archived") == "Archived"
    assert moderation.shown(Service, "status", "unknown") == "unknown"
    assert moderation.shown(Service, "focus_confirmed", True) == "Yes"
    assert moderation.shown(Service, "focus_confirmed", False) == "No"
    assert moderation.shown(Service, "age_to_months", 23) == "23"
    assert moderation.label(Service, "parent_description") == "Description for parents"
    assert moderation.label(ReferralRoute, "waiting_time") == "Typical waiting time"


def test_a_proposal_with_nothing_in_it_is_empty():
    assert moderation.is_empty(None) and moderation.is_empty({})
    assert moderation.is_empty({"service": {}, "routes": [], "venues": []})
    assert not moderation.is_empty({"service": {"summary": {"base": "a", "new": "b"}}, "routes": [], "venues": []})
    assert not moderation.is_empty({"service": {}, "routes": [{"id": 1}], "venues": []})
    assert not moderation.is_empty({"service": {}, "routes": [], "venues": [{"id": None}]})


def test_a_new_proposal_replaces_its_authors_waiting_one_only(acacia_editor, imhsg_editor, django_user_model):
    other_author = django_user_model.objects.create_user("olive", is_staff=True)
    theirs = moderation.propose_change(service=acacia(), submitted_by=other_author,
                                       changes=service_changes(summary="Olive's."))
    first = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                      changes=service_changes(summary="First."), data={"summary": ["First."]})
    second = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(summary="Second."))
    statuses = dict(PendingChange.objects.values_list("pk", "status"))
    assert statuses == {theirs.pk: ChangeStatus.PENDING, first.pk: ChangeStatus.SUPERSEDED,
                        second.pk: ChangeStatus.PENDING}
    assert first.data == {"summary": ["First."]} and second.data == {}
    assert second.base_history_id == latest(acacia()).history_id
    assert (second.service_id, second.submitted_by) == (acacia().pk, acacia_editor)
    with pytest.raises(moderation.AlreadyDecided) as refused:
        moderation.approve_change(change=first, decided_by=imhsg_editor)
    assert str(refused.value) == "This proposal was already replaced by a newer proposal."


def test_a_rejection_records_who_when_and_a_trimmed_reason(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(summary="Rejected."))
    with pytest.raises(ValidationError) as blank:
        moderation.reject_change(change=change, decided_by=imhsg_editor, reason="   ")
    assert blank.value.messages == ["Give a reason for the submitter before rejecting."]
    with pytest.raises(ValidationError):
        moderation.reject_change(change=change, decided_by=imhsg_editor, reason=None)
    assert PendingChange.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    before = timezone.now()
    moderation.reject_change(change=change, decided_by=imhsg_editor, reason="  " + "x" * 2100 + "  ")
    change = PendingChange.objects.get(pk=change.pk)
    assert change.status == ChangeStatus.REJECTED and change.decided_by == imhsg_editor
    assert change.reason == "x" * 2000 and change.decided_at >= before
    assert acacia().summary != "Rejected."
    with pytest.raises(moderation.AlreadyDecided) as again:
        moderation.reject_change(change=change, decided_by=imhsg_editor, reason="Twice.")
    assert str(again.value) == "This proposal was already rejected by ellie."


def test_an_approval_writes_the_fields_records_who_and_confirms_the_facts(acacia_editor, imhsg_editor):
    from directory.models import Level

    universal = Level.objects.get(name="Universal")
    levels = sorted([universal.pk, *acacia().levels.values_list("pk", flat=True)])
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes=service_changes(
        phone="0121 222 3333", levels=levels, age_to_months=12))
    before = timezone.now()
    assert moderation.approve_change(change=change, decided_by=imhsg_editor) is change
    service = acacia()
    assert (service.phone, service.age_to_months) == ("0121 222 3333", 12)
    assert sorted(service.levels.values_list("pk", flat=True)) == levels
    change.refresh_from_db()
    assert (change.status, change.decided_by, change.reason) == (ChangeStatus.APPROVED, imhsg_editor, "")
    assert change.decided_at >= before
    entry = latest(service)
    assert entry.history_user == imhsg_editor and entry.history_change_reason == "Approved change proposed by omar"
    phone = Fact.objects.get(service=service, field="phone")
    assert (phone.kind, phone.confirmed_by, phone.confirmed_on) == ("curator", imhsg_editor, timezone.localdate())
    assert Fact.objects.get(service=service, field="age_range").confirmed_by == imhsg_editor


def test_an_approval_that_would_break_the_rules_writes_nothing_and_says_why(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes=service_changes(
        age_from_months=20, age_to_months=3, phone="0121 444 5555"))
    with pytest.raises(ValidationError) as broken:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert all(message.startswith("Service: ") for message in broken.value.messages), broken.value.messages
    assert acacia().phone != "0121 444 5555"
    assert PendingChange.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    # Removing a published service's only route, with no reason given, is a publishing problem.
    route = acacia().referral_routes.get()
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "routes": [{"id": route.pk, "action": "delete", "fields": {}}], "venues": []})
    with pytest.raises(ValidationError) as unpublishable:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert unpublishable.value.messages == [
        "Add at least one referral route, or say why there is none, before publishing."]
    assert ReferralRoute.objects.filter(pk=route.pk).exists()


def test_a_field_error_in_an_approval_is_named_by_its_label(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(email="not an address"))
    with pytest.raises(ValidationError) as broken:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert broken.value.messages == ["Email: Enter a valid email address."]


def test_conflicts_name_each_field_and_count_them(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(summary="Omar's.", phone="0121 111 1111"))
    Service.objects.filter(pk=acacia().pk).update(summary="The IMHSG's.", phone="0121 999 9999")
    found = moderation.review(change)
    assert [(c.key, c.record, c.field, c.live, c.proposed) for c in found.conflicts] == [
        ("service.summary", "Service", "Summary", "The IMHSG's.", "Omar's."),
        ("service.phone", "Service", "Phone", "0121 999 9999", "0121 111 1111")]
    assert found.conflicts[0].base == change.changes["service"]["summary"]["base"]
    with pytest.raises(moderation.Conflicts) as stopped:
        moderation.approve_change(change=change, decided_by=imhsg_editor, choices={"service.summary": "maybe"})
    assert str(stopped.value) == "2 field(s) changed since the proposal was made."
    assert [c.key for c in stopped.value.conflicts] == ["service.summary", "service.phone"]
    moderation.approve_change(change=change, decided_by=imhsg_editor,
                              choices={"service.summary": "live", "service.phone": "proposed"})
    assert (acacia().summary, acacia().phone) == ("The IMHSG's.", "0121 111 1111")
    # A live value that already says what was proposed is no conflict.
    again = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                      changes={"service": {"phone": {"base": "0121 000", "new": "0121 111 1111"}},
                                               "routes": [], "venues": []})
    assert moderation.review(again).conflicts == []


def test_an_approval_adds_changes_and_removes_routes_and_venues_as_proposed(acacia_editor, imhsg_editor):
    from directory.models import ServiceAtLocation, Venue

    route = acacia().referral_routes.get()
    venue = Venue.objects.get(name="Good Hope Hospital")
    kept = ServiceAtLocation.objects.create(service=acacia(), venue=Venue.objects.get(name="Heartlands Hospital"),
                                            note="Tuesdays.")
    gone = ServiceAtLocation.objects.create(service=acacia(), venue=Venue.objects.get(
        name="Birmingham Children's Hospital"))
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {},
        "routes": [
            {"id": route.pk, "action": "change", "fields": {
                "waiting_time": {"base": "", "new": "About 2 weeks"}, "contact": {"base": "", "new": "0121 555"}}},
            {"id": None, "action": "add", "fields": {
                "referrer": {"base": None, "new": "self"}, "method": {"base": None, "new": "phone"},
                "contact": {"base": None, "new": "0121 666 7777"}, "exclusions": {"base": None, "new": ""},
                "is_preferred": {"base": None, "new": False}}}],
        "venues": [
            {"id": None, "action": "add", "fields": {"venue": {"base": None, "new": venue.pk},
                                                     "note": {"base": None, "new": "Fridays."}}},
            {"id": kept.pk, "action": "change", "fields": {"note": {"base": "Tuesdays.", "new": "Wednesdays."}}},
            {"id": gone.pk, "action": "delete", "fields": {}}]})
    found = moderation.review(change)
    assert found.rows == [
        ("Referral route: Professional referral to Acacia", "Typical waiting time", "(empty)", "About 2 weeks"),
        ("Referral route: Professional referral to Acacia", "Referral contact", "(empty)", "0121 555"),
        ("New referral route", "Who can refer", "(none)", "Self-referral (the family can contact the service)"),
        ("New referral route", "How to refer", "(none)", "Phone"),
        ("New referral route", "Referral contact", "(none)", "0121 666 7777"),
        ("New venue", "Venue", "(none)", "Good Hope Hospital (B75 7RR)"),
        ("New venue", "Note", "(none)", "Fridays."),
        ("Venue: Acacia at Heartlands Hospital (B9 5SS)", "Note", "Tuesdays.", "Wednesdays."),
        ("Venue: Acacia at Birmingham Children's Hospital (B4 6NH)", "Removed",
         "Acacia at Birmingham Children's Hospital (B4 6NH)", "(removed)")]
    assert found.conflicts == [] and found.problems == []
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    route.refresh_from_db()
    assert (route.waiting_time, route.contact) == ("About 2 weeks", "0121 555")
    added = acacia().referral_routes.exclude(pk=route.pk).get()
    assert (added.referrer, added.method, added.contact) == ("self", "phone", "0121 666 7777")
    assert {(s.venue.name, s.note) for s in acacia().service_at_locations.all()} == {
        ("Good Hope Hospital", "Fridays."), ("Heartlands Hospital", "Wednesdays.")}
    reason = "Approved change proposed by omar"
    for record in (route, added, kept):
        assert (latest(record).history_user, latest(record).history_change_reason) == (imhsg_editor, reason)
    removed = ServiceAtLocation.history.filter(id=gone.pk, history_type="-").get()
    assert (removed.history_user, removed.history_change_reason) == (imhsg_editor, reason)
    # The routes' facts are the IMHSG's now, confirmed; venues' notes are not facts.
    assert Fact.objects.get(route=route, field="waiting_time").confirmed_by == imhsg_editor
    assert Fact.objects.get(route=route, field="contact").confirmed_by == imhsg_editor
    assert set(Fact.objects.filter(route=added).values_list("field", flat=True)) == {
        "referrer", "how_to_refer", "contact", "exclusions"}


def test_an_inline_field_changed_since_the_proposal_is_a_conflict_the_editor_settles(acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    ReferralRoute.objects.filter(pk=route.pk).update(waiting_time="Three weeks")
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "routes": [{"id": route.pk, "action": "change", "fields": {
            "waiting_time": {"base": "Three weeks", "new": "About 2 weeks"}}}], "venues": []})
    ReferralRoute.objects.filter(pk=route.pk).update(waiting_time="About a month (the IMHSG's)")
    [conflict] = moderation.review(change).conflicts
    assert (conflict.key, conflict.record, conflict.field, conflict.base, conflict.live, conflict.proposed) == (
        f"routes.{route.pk}.waiting_time", "Referral route: Professional referral to Acacia", "Typical waiting time",
        "Three weeks", "About a month (the IMHSG's)", "About 2 weeks")
    history = route.history.count()
    moderation.approve_change(change=change, decided_by=imhsg_editor, choices={conflict.key: "live"})
    route.refresh_from_db()
    assert route.waiting_time == "About a month (the IMHSG's)" and route.history.count() == history  # untouched
    assert PendingChange.objects.get(pk=change.pk).status == ChangeStatus.APPROVED


def test_a_proposal_for_a_route_removed_since_cannot_be_approved(acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    ReferralRoute.objects.create(service=acacia(), referrer="self")
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [
            {"id": route.pk, "action": "change", "fields": {"waiting_time": {"base": "", "new": "Soon"}}}]})
    ReferralRoute.objects.filter(pk=route.pk).delete()
    assert moderation.review(change).problems == [
        f"Referral route {route.pk} was removed since the proposal was made; its changes cannot apply."]
    with pytest.raises(ValidationError) as refused:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert refused.value.messages == moderation.review(change).problems
    assert PendingChange.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    # Removing a route that is already gone has nothing left to do, and is no problem.
    removal = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": route.pk, "action": "delete", "fields": {}}]})
    assert moderation.review(removal) == moderation.Review()
    moderation.approve_change(change=removal, decided_by=imhsg_editor)
    assert PendingChange.objects.get(pk=removal.pk).status == ChangeStatus.APPROVED


def test_an_invalid_new_route_is_refused_with_the_routes_name(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": None, "action": "add", "fields": {
            "referrer": {"base": None, "new": "self"}, "url": {"base": None, "new": "javascript:alert(1)"}}}]})
    with pytest.raises(ValidationError) as refused:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert refused.value.messages and all(m.startswith("New referral route: ") for m in refused.value.messages)
    assert acacia().referral_routes.count() == 1
    route = acacia().referral_routes.get()
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": route.pk, "action": "change", "fields": {
            "referrer": {"base": "professional", "new": "nobody"}}}]})
    with pytest.raises(ValidationError) as refused:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert refused.value.messages == ["Referral route: nobody to Acacia: Value 'nobody' is not a valid choice."]


# --- Archive, restore, mark reviewed, confirm facts ------------------------------------------------

def test_archive_and_restore_change_only_what_they_must_and_say_how_many(imhsg_editor):
    published = Service.objects.filter(slug__in=["acacia", "new-baby-network"])
    assert moderation.archive_services(services=published, archived_by=imhsg_editor) == 2
    assert set(published.values_list("status", flat=True)) == {Status.ARCHIVED}
    entry = latest(acacia())
    assert (entry.history_user, entry.history_change_reason) == (imhsg_editor, "Archived")
    history = acacia().history.count()
    assert moderation.archive_services(services=published, archived_by=imhsg_editor) == 0  # already archived
    assert acacia().history.count() == history
    # Restoring publishes those that meet the rules and counts the rest.
    Service.objects.filter(slug="new-baby-network").update(summary=" ")
    assert moderation.restore_services(services=published, restored_by=imhsg_editor) == (1, 1)
    assert acacia().status == Status.PUBLISHED
    assert Service.objects.get(slug="new-baby-network").status == Status.ARCHIVED
    entry = latest(acacia())
    assert (entry.history_user, entry.history_change_reason) == (imhsg_editor, "Restored")


def test_restoring_counts_each_services_own_routes(imhsg_editor):
    routed = Service.objects.filter(referral_routes__isnull=False, no_referral_route_reason="").distinct()
    both = Service.objects.filter(pk__in=[acacia().pk, routed.exclude(pk=acacia().pk).first().pk])
    moderation.archive_services(services=both, archived_by=imhsg_editor)
    assert moderation.restore_services(services=both, restored_by=imhsg_editor) == (2, 0)
    ReferralRoute.objects.filter(service=acacia()).delete()
    moderation.archive_services(services=both, archived_by=imhsg_editor)
    assert moderation.restore_services(services=both, restored_by=imhsg_editor) == (1, 1)
    assert acacia().status == Status.ARCHIVED


def test_marking_reviewed_sets_the_next_review_a_year_on_in_the_history(imhsg_editor):
    from datetime import date

    services = Service.objects.filter(slug__in=["acacia", "new-baby-network"])
    assert moderation.mark_reviewed(services=services, reviewed_by=imhsg_editor, today=date(2026, 1, 15)) == 2
    assert set(services.values_list("last_reviewed", "next_review_due")) == {(date(2026, 1, 15), date(2027, 1, 15))}
    entry = latest(acacia())
    assert (entry.history_user, entry.history_change_reason) == (imhsg_editor, "Marked as checked today")
    assert moderation.mark_reviewed(services=services.filter(slug="acacia"), reviewed_by=imhsg_editor) == 1
    assert acacia().last_reviewed == timezone.localdate()


def test_confirming_facts_confirms_only_those_chosen_and_counts_them(imhsg_editor):
    chosen = Fact.objects.filter(service=acacia(), confirmed_on__isnull=True)
    count = chosen.count()
    assert count and moderation.confirm_facts(facts=chosen, confirmed_by=imhsg_editor) == count
    assert not Fact.objects.filter(service=acacia(), confirmed_on__isnull=True).exists()
    assert Fact.objects.filter(confirmed_by=imhsg_editor).count() == count
    assert Fact.objects.filter(confirmed_on__isnull=True).exists()  # the others are left alone


# --- Revert -------------------------------------------------------------------------------------

def test_a_revert_brings_back_fields_and_sets_and_names_the_version(imhsg_editor):
    from directory.models import Level

    service = acacia()
    version = latest(service)
    old = (service.summary, service.phone, sorted(service.levels.values_list("pk", flat=True)), service.uuid)
    service.summary, service.phone, service._history_user = "Newer summary.", "0121 987 6543", imhsg_editor
    service.save()
    service.levels.set(Level.objects.all())
    history = service.history.count()
    changed = moderation.revert_to_version(record=acacia(), history_id=version.history_id, reverted_by=imhsg_editor)
    assert changed == ["summary", "phone", "levels"]
    service = acacia()
    assert (service.summary, service.phone, sorted(service.levels.values_list("pk", flat=True)), service.uuid) == old
    entry = latest(service)
    assert entry.history_user == imhsg_editor and service.history.count() > history
    assert entry.history_change_reason == f"Reverted to the version of {version.history_date:%-d %b %Y %H:%M}"
    # The reverted facts are the IMHSG's, confirmed today.
    phone = Fact.objects.get(service=service, field="phone")
    assert (phone.kind, phone.confirmed_by, phone.confirmed_on) == ("curator", imhsg_editor, timezone.localdate())
    # Reverting to what the record already says changes and records nothing.
    history = service.history.count()
    assert moderation.revert_to_version(record=service, history_id=latest(service).history_id,
                                        reverted_by=imhsg_editor) == []
    assert service.history.count() == history


def test_a_revert_never_copies_identity_or_bookkeeping(imhsg_editor):
    route = acacia().referral_routes.get()
    version = latest(route)
    ReferralRoute.objects.filter(pk=route.pk).update(waiting_time="Changed since.")
    changed = moderation.revert_to_version(record=route, history_id=version.history_id, reverted_by=imhsg_editor)
    assert changed == ["waiting_time"]
    route.refresh_from_db()
    assert route.waiting_time == version.waiting_time
    assert set(moderation.NOT_REVERTED) == {"id", "uuid", "created", "modified"}


def test_a_revert_to_an_invalid_or_unpublishable_version_is_refused_in_words(imhsg_editor):
    service = acacia()
    Service.objects.filter(pk=service.pk).update(email="not an address")
    broken = latest(Service.objects.get(pk=service.pk))
    service = acacia()
    service._history_user = imhsg_editor
    service.save()  # a version with the bad e-mail, then a good one
    Service.objects.filter(pk=service.pk).update(email="")
    service = acacia()
    service.save()
    bad = service.history.filter(email="not an address").first()
    assert bad is not None, broken
    with pytest.raises(ValidationError) as refused:
        moderation.revert_to_version(record=service, history_id=bad.history_id, reverted_by=imhsg_editor)
    assert refused.value.messages == ["Enter a valid email address."]
    assert acacia().email == ""
    # A published service whose route has gone cannot go back to a version without a reason.
    Service.objects.filter(pk=service.pk).update(no_referral_route_reason="Being confirmed.")
    service = acacia()
    service.save()
    ReferralRoute.objects.filter(service=service).delete()
    without = service.history.filter(no_referral_route_reason="").first()
    with pytest.raises(ValidationError) as unpublishable:
        moderation.revert_to_version(record=acacia(), history_id=without.history_id, reverted_by=imhsg_editor)
    assert "Add at least one referral route, or say why there is none, before publishing." in (
        unpublishable.value.messages)
    assert acacia().no_referral_route_reason == "Being confirmed."


# --- What a change form proposes --------------------------------------------------------------

def test_a_change_form_proposes_each_changed_field_route_and_venue_against_its_live_value(client, acacia_editor):
    from directory.models import Level, ServiceAtLocation, Venue

    service = acacia()
    route = service.referral_routes.get()
    sal = ServiceAtLocation.objects.create(service=service, venue=Venue.objects.get(name="Heartlands Hospital"))
    universal = Level.objects.get(name="Universal")
    page = as_user(client, acacia_editor).get(admin_url("directory_service_change", service.pk))
    data = change_form_post(page, summary="Proposed summary.",
                            levels=[str(pk) for pk in sorted([universal.pk, *service.levels.values_list("pk", flat=True)])],
                            **{"referral_routes-0-waiting_time": "About 2 weeks",
                               "service_at_locations-0-DELETE": "on"})
    # A new route in the empty extra form.
    prefix = f"referral_routes-{data['referral_routes-TOTAL_FORMS']}"
    data["referral_routes-TOTAL_FORMS"] = str(int(data["referral_routes-TOTAL_FORMS"]) + 1)
    data.update({f"{prefix}-referrer": "self", f"{prefix}-contact": "0121 666 7777", f"{prefix}-order": "1"})
    assert client.post(admin_url("directory_service_change", service.pk), data).status_code == 302
    changes = PendingChange.objects.get().changes
    assert changes["service"] == {
        "summary": {"base": service.summary, "new": "Proposed summary."},
        "levels": {"base": sorted(service.levels.values_list("pk", flat=True)),
                   "new": sorted([universal.pk, *service.levels.values_list("pk", flat=True)])}}
    [changed, added] = changes["routes"]
    assert changed == {"id": route.pk, "action": "change",
                       "fields": {"waiting_time": {"base": "", "new": "About 2 weeks"}}}
    assert (added["id"], added["action"]) == (None, "add")
    assert added["fields"]["referrer"] == {"base": None, "new": "self"}
    assert added["fields"]["contact"] == {"base": None, "new": "0121 666 7777"}
    assert not set(added["fields"]) & moderation.SKIPPED
    [removed] = changes["venues"]
    assert (removed["id"], removed["action"]) == (sal.pk, "delete")
    assert removed["fields"]["venue"] == {"base": sal.venue_id, "new": None}
    assert not set(removed["fields"]) & moderation.SKIPPED
    assert acacia().summary == service.summary  # held, not written


def test_a_decision_refused_as_already_made_carries_the_proposal(acacia_editor, imhsg_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(summary="Decided once."))
    stale = PendingChange.objects.get(pk=change.pk)
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    with pytest.raises(moderation.AlreadyDecided) as refused:
        moderation.reject_change(change=stale, decided_by=imhsg_editor, reason="Late.")
    assert refused.value.change == stale and refused.value.change.status == ChangeStatus.APPROVED


def test_approving_and_reverting_check_the_form_rules_but_not_an_address_set_elsewhere(acacia_editor, imhsg_editor):
    """A slug the admin never validates again (set by an import or by hand, here with a dot)
    does not block a change to other fields, nor a revert."""
    Service.objects.filter(slug="acacia").update(slug="acacia.2019")
    service = Service.objects.get(slug="acacia.2019")
    service.save()  # a version with that address
    version = latest(service)
    change = moderation.propose_change(service=service, submitted_by=acacia_editor, changes={
        "service": {"phone": {"base": service.phone, "new": "0121 303 0303"}}, "routes": [], "venues": []})
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert Service.objects.get(pk=service.pk).phone == "0121 303 0303"
    assert moderation.revert_to_version(record=Service.objects.get(pk=service.pk), history_id=version.history_id,
                                        reverted_by=imhsg_editor) == ["phone"]


def test_a_revert_keeps_the_records_identity(imhsg_editor):
    import uuid as uuid_module

    service = acacia()
    version = latest(service)
    new_uuid = uuid_module.uuid4()
    Service.objects.filter(pk=service.pk).update(uuid=new_uuid, phone="0121 000 1111")
    assert moderation.revert_to_version(record=acacia(), history_id=version.history_id,
                                        reverted_by=imhsg_editor) == ["phone"]
    assert acacia().uuid == new_uuid and acacia().phone == version.phone


def test_a_proposal_never_reaches_another_services_routes(acacia_editor, imhsg_editor):
    theirs = ReferralRoute.objects.exclude(service=acacia()).first()
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": theirs.pk, "action": "delete", "fields": {}}]})
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert ReferralRoute.objects.filter(pk=theirs.pk).exists()
    forged = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": theirs.pk, "action": "change", "fields": {
            "waiting_time": {"base": theirs.waiting_time, "new": "Forged"}}}]})
    assert moderation.review(forged).rows == [] and len(moderation.review(forged).problems) == 1
    with pytest.raises(ValidationError):
        moderation.approve_change(change=forged, decided_by=imhsg_editor)
    assert ReferralRoute.objects.get(pk=theirs.pk).waiting_time == theirs.waiting_time


def test_every_entry_of_a_proposal_applies_after_one_with_nothing_to_do(acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    second = ReferralRoute.objects.create(service=acacia(), referrer="self", order=1)
    gone = ReferralRoute.objects.create(service=acacia(), referrer="automatic", order=2)
    gone_pk = gone.pk
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [
            {"id": gone_pk, "action": "delete", "fields": {}},  # removed meanwhile: nothing to do
            {"id": route.pk, "action": "change", "fields": {"waiting_time": {"base": "", "new": "Kept live"}}},
            {"id": second.pk, "action": "delete", "fields": {}},
            {"id": None, "action": "add", "fields": {"referrer": {"base": None, "new": "self"},
                                                     "contact": {"base": None, "new": "0121 777"}}},
        ]})
    gone.delete()
    ReferralRoute.objects.filter(pk=route.pk).update(waiting_time="The IMHSG's")
    key = f"routes.{route.pk}.waiting_time"
    assert [row[:2] for row in moderation.review(change).rows] == [
        ("Referral route: Professional referral to Acacia", "Typical waiting time"),
        ("Referral route: Self-referral (the family can contact the service) to Acacia", "Removed"),
        ("New referral route", "Who can refer"), ("New referral route", "Referral contact")]
    moderation.approve_change(change=change, decided_by=imhsg_editor, choices={key: "live"})
    assert ReferralRoute.objects.get(pk=route.pk).waiting_time == "The IMHSG's"
    assert not ReferralRoute.objects.filter(pk=second.pk).exists()
    assert acacia().referral_routes.filter(contact="0121 777").exists()


def test_a_route_field_kept_live_keeps_its_source(acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "venues": [], "routes": [{"id": route.pk, "action": "change", "fields": {
            "waiting_time": {"base": "", "new": "Proposed wait"}, "contact": {"base": "", "new": "0121 888"}}}]})
    ReferralRoute.objects.filter(pk=route.pk).update(waiting_time="The IMHSG's wait")
    before = Fact.objects.filter(route=route, field="waiting_time").values("kind", "confirmed_by").first()
    moderation.approve_change(change=change, decided_by=imhsg_editor,
                              choices={f"routes.{route.pk}.waiting_time": "live"})
    assert Fact.objects.filter(route=route, field="waiting_time").values("kind", "confirmed_by").first() == before
    assert Fact.objects.get(route=route, field="contact").confirmed_by == imhsg_editor


def test_a_venue_added_since_the_proposal_is_refused_in_words_not_a_server_error(acacia_editor, imhsg_editor):
    """Found by mutation testing: the new placement's unique (service, venue) rule was left
    out of its check, so the save failed in the database (a 500 on the review page)."""
    from directory.models import ServiceAtLocation, Venue

    venue = Venue.objects.get(name="Good Hope Hospital")
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={
        "service": {}, "routes": [], "venues": [{"id": None, "action": "add", "fields": {
            "venue": {"base": None, "new": venue.pk}, "note": {"base": None, "new": "Fridays."}}}]})
    ServiceAtLocation.objects.create(service=acacia(), venue=venue)  # an IMHSG editor added it meanwhile
    with pytest.raises(ValidationError) as refused:
        moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert refused.value.messages == ["New venue: Venue with this Service and Venue already exists."]
    assert PendingChange.objects.get(pk=change.pk).status == ChangeStatus.PENDING


def test_a_proposal_reads_each_service_field_as_now_and_proposed(acacia_editor):
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                       changes=service_changes(phone="0121 404 0404", summary="Shorter."))
    assert moderation.review(change).rows == [("Service", "Phone", acacia().phone or "(empty)", "0121 404 0404"),
                                              ("Service", "Summary", acacia().summary, "Shorter.")]


def test_a_proposal_stored_with_only_some_parts_is_reviewed_and_approved(acacia_editor, imhsg_editor):
    route = acacia().referral_routes.get()
    change = moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes={"routes": [
        {"id": route.pk, "action": "change", "fields": {"waiting_time": {"base": "", "new": "A week"}}}]})
    assert [row[1:] for row in moderation.review(change).rows] == [("Typical waiting time", "(empty)", "A week")]
    moderation.approve_change(change=change, decided_by=imhsg_editor)
    assert ReferralRoute.objects.get(pk=route.pk).waiting_time == "A week"
    only_service = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                             changes={"service": {"phone": {"base": acacia().phone, "new": "0121 1"}}})
    moderation.approve_change(change=only_service, decided_by=imhsg_editor)
    assert acacia().phone == "0121 1"


def test_a_new_proposal_leaves_the_authors_other_services_and_decided_proposals_alone(acacia_editor, imhsg_editor):
    other = Service.objects.exclude(pk=acacia().pk).first()
    elsewhere = moderation.propose_change(service=other, submitted_by=acacia_editor, changes={
        "service": {"phone": {"base": other.phone, "new": "0121 5"}}})
    decided = moderation.propose_change(service=acacia(), submitted_by=acacia_editor,
                                        changes=service_changes(phone="0121 6"))
    moderation.approve_change(change=decided, decided_by=imhsg_editor)
    moderation.propose_change(service=acacia(), submitted_by=acacia_editor, changes=service_changes(phone="0121 7"))
    assert PendingChange.objects.get(pk=elsewhere.pk).status == ChangeStatus.PENDING
    assert PendingChange.objects.get(pk=decided.pk).status == ChangeStatus.APPROVED


def test_a_proposals_base_is_the_services_latest_history_entry_by_date_then_id(acacia_editor):
    from datetime import timedelta

    service = acacia()
    service.save()
    service.save()
    newest, previous = service.history.order_by("-history_id")[:2]
    # Two entries at the same moment: the later one (higher id) is the base.
    type(newest).objects.filter(history_id=previous.history_id).update(history_date=newest.history_date)
    change = moderation.propose_change(service=service, submitted_by=acacia_editor, changes=service_changes(phone="1"))
    assert change.base_history_id == newest.history_id
    # An entry dated later than one made after it (a clock set back) is still the latest.
    type(newest).objects.filter(history_id=previous.history_id).update(
        history_date=newest.history_date + timedelta(minutes=5))
    change = moderation.propose_change(service=service, submitted_by=acacia_editor, changes=service_changes(phone="2"))
    assert change.base_history_id == previous.history_id


def test_a_change_form_skips_unchanged_rows_and_reads_every_row_after_a_removed_one(client, acacia_editor):
    first = acacia().referral_routes.get()
    second = ReferralRoute.objects.create(service=acacia(), referrer="self", order=1)
    third = ReferralRoute.objects.create(service=acacia(), referrer="automatic", order=2)
    page = as_user(client, acacia_editor).get(admin_url("directory_service_change", acacia().pk))
    data = change_form_post(page, **{"referral_routes-0-DELETE": "on",
                                     "referral_routes-2-waiting_time": "Three days"})
    assert client.post(admin_url("directory_service_change", acacia().pk), data).status_code == 302
    routes = PendingChange.objects.get().changes["routes"]
    assert [(r["id"], r["action"]) for r in routes] == [(first.pk, "delete"), (third.pk, "change")]
    assert routes[1]["fields"] == {"waiting_time": {"base": "", "new": "Three days"}}
    assert second.pk not in [r["id"] for r in routes]
