"""The curation workflow: roles, changes held for approval, review reminders (issue 10).

Roles are groups, kept up to date by `migrate` (`ensure_roles`):
- IMHSG editors edit and publish anything and moderate proposed changes.
- Organisation editors are provider staff tied to organisations (`Organisation.editors`);
  they see only their organisations' services, routes and venues, and their changes to
  a published service are held as a `PendingChange` until an IMHSG editor approves.
- Viewers (commissioners, IMHSG members) can read the admin and the dashboard.
No group can delete anything or manage users, groups or permissions: curators archive,
and hard deletion is a superuser's act (recorded in the history).
"""

IMHSG_EDITORS = "IMHSG editors"
ORGANISATION_EDITORS = "Organisation editors"
VIEWERS = "Viewers"
LEGACY_CURATORS = "IMHSG curators"  # the one group before roles; renamed to IMHSG editors

APPS = ["directory", "mapping"]
# What an organisation editor may do: propose changes to its own services (with their
# routes and venues), add drafts, add venues. Everything else is read-only to them.
ORGANISATION_EDITOR_PERMISSIONS = [
    "directory.view_service", "directory.add_service", "directory.change_service",
    "directory.view_referralroute", "directory.add_referralroute", "directory.change_referralroute",
    "directory.delete_referralroute",  # removing a route is part of a proposed change, never immediate
    "directory.view_serviceatlocation", "directory.add_serviceatlocation", "directory.change_serviceatlocation",
    "directory.delete_serviceatlocation",
    "directory.view_venue", "directory.add_venue", "directory.change_venue",
    "directory.view_organisation", "directory.view_pendingchange",
    "directory.view_need", "directory.view_intervention", "directory.view_deliverymode", "directory.view_language",
    "directory.view_level", "mapping.view_district",
    # Regular sessions of their services (issue 23): drafts until an IMHSG editor publishes them.
    "directory.view_session", "directory.add_session", "directory.change_session",
    "directory.view_sessionexception", "directory.add_sessionexception", "directory.change_sessionexception",
    "directory.delete_sessionexception", "directory.view_termdate",
]


def ensure_roles(sender=None, **kwargs):
    """Create or update the three role groups with their permissions. Idempotent; runs after migrate."""
    from django.contrib.auth.models import Group, Permission

    if Group.objects.filter(name=LEGACY_CURATORS).exists() and not Group.objects.filter(name=IMHSG_EDITORS).exists():
        Group.objects.filter(name=LEGACY_CURATORS).update(name=IMHSG_EDITORS)
    everything = Permission.objects.filter(content_type__app_label__in=APPS).select_related("content_type")
    # Inline rows (routes, venues of a service) are removed as part of editing the service, so
    # "delete" on those two is an edit of the service; deleting a record itself is for superusers.
    # A service's private check-in contact (issue 20) is removed the same way, by IMHSG editors only.
    # A session's changed date (cancelled or moved, issue 23) is removed the same way.
    inline_deletes = {"delete_referralroute", "delete_serviceatlocation", "delete_checkincontact",
                      "delete_sessionexception"}
    editors = [p for p in everything if not p.codename.startswith("delete_") or p.codename in inline_deletes]
    viewers = [p for p in everything if p.codename.startswith("view_")]
    wanted = set(ORGANISATION_EDITOR_PERMISSIONS)
    organisation = [p for p in everything if f"{p.content_type.app_label}.{p.codename}" in wanted]
    for name, permissions in ((IMHSG_EDITORS, editors), (ORGANISATION_EDITORS, organisation), (VIEWERS, viewers)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def is_imhsg_editor(user):
    return user.is_active and (user.is_superuser or user.has_perm("directory.moderate_service"))


def is_organisation_editor(user):
    """Provider staff: may change services, but not moderate. Their reach is their organisations."""
    return user.is_active and not is_imhsg_editor(user) and user.groups.filter(name=ORGANISATION_EDITORS).exists()


def can_moderate(user):
    """Approve or reject proposed changes, publish, archive, restore, revert: IMHSG editors."""
    return is_imhsg_editor(user)


def can_revert(user):
    """Reverting writes the live record directly, so it is a publishing act: never a held change,
    never a viewer's. (django-simple-history would let anyone who may view a record post its
    history form; the admin refuses that POST unless this is true.)"""
    return is_imhsg_editor(user)


# Fields that are the IMHSG's own: never shown to organisation editors, in any form, list,
# history entry or comparison (ADR 8). The public never sees them either (public selectors
# and the API name the fields they show).
PRIVATE_FIELDS = {"service": {"curator_notes"}}


def hidden_fields(user, model):
    """The fields of `model` that `user` may not read."""
    return set(PRIVATE_FIELDS.get(model._meta.model_name, ())) if is_organisation_editor(user) else set()


def can_open_dashboard(user):
    """Who may open the curation dashboard (admin_curation.dashboard_view applies the same
    rule): anyone who may view services, bar organisation editors, whose reach is their own
    services. The admin home links to it only for them."""
    return user.is_active and user.has_perm("directory.view_service") and not is_organisation_editor(user)


def organisation_ids(user):
    """The organisations an organisation editor works for (cached on the user for the request)."""
    if not hasattr(user, "_organisation_ids"):
        user._organisation_ids = set(user.edited_organisations.values_list("pk", flat=True))
    return user._organisation_ids








def curators():
    """Who can own a service: active staff who curate for the IMHSG (editors and superusers)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    return (get_user_model().objects.filter(is_active=True, is_staff=True)
            .filter(Q(is_superuser=True) | Q(groups__name=IMHSG_EDITORS)).distinct()
            .order_by("first_name", "last_name", "username"))
