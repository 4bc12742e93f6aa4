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
from django.db import connection
from django.urls import reverse

from directory.curation import moderation
from directory.models import ChangeStatus, PendingChange
from directory.curation.roles import IMHSG_EDITORS
from directory.models import Organisation, ReferralRoute, Service, Status
from directory.models import Fact
from tests.directory.curation.admin_forms import change_form_post

pytestmark = pytest.mark.django_db


def admin_url(name, *args):
    return reverse(f"admin:{name}", args=args)


def acacia():
    return Service.objects.get(slug="acacia")


def as_user(client, user):
    client.force_login(user)
    return client


def propose(client, service, **changes):
    page = client.get(admin_url("directory_service_change", service.pk))
    assert page.status_code == 200
    return client.post(admin_url("directory_service_change", service.pk), change_form_post(page, **changes))


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
