"""The tables behind provenance: each fact's source (`Fact`), what the seed and an Open Referral
import last wrote (`SeedRecord`, `OrukImportBase`). The rules are in directory/core/provenance.py."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from directory.core.safe_urls import validate_url_scheme

class SourceKind(models.TextChoices):
    NEEDS_ASSESSMENT = "needs_assessment", "The needs assessment (May 2022)"
    PUBLIC_PAGE = "public_page", "A public web page"
    PROVIDER = "provider", "The provider"
    CURATOR = "curator", "An IMHSG curator"
    INFERRED = "inferred", "Inferred (no source states it)"
    # Words the directory team wrote from sourced facts (descriptions for parents): not a source
    # of new facts, and said so on the page until the service or a curator checks them.
    DIRECTORY_TEAM = "directory_team", "Written by the directory team"


# The facts tracked for each kind of record: {field code: label}. The codes are
# not always model field names: "referrer" vouches for a route existing at all.
SERVICE_FACTS = {
    "summary": "summary",
    "parent_description": "description for parents",
    "organisation": "who runs it",
    "phone": "phone",
    "email": "email",
    "url": "website",
    "age_range": "age range",
    "eligibility": "who it is for",
    "cost": "cost",
    "languages": "languages",
    "delivery_modes": "how it is delivered",
    "coverage": "area covered",
    "schedule": "opening times",
    "interventions": "interventions and approaches",
    "capacity": "capacity",
}


ROUTE_FACTS = {
    "referrer": "who can refer",
    "how_to_refer": "how to refer",
    "acceptance_criteria": "acceptance criteria",
    "exclusions": "exclusions",
    "waiting_time": "waiting time",
    "contact": "referral contact",
    "url": "referral link",
}


VENUE_FACTS = {"address": "address"}


ORGANISATION_FACTS = {"url": "website"}


FACT_FIELDS = sorted(set(SERVICE_FACTS) | set(ROUTE_FACTS) | set(VENUE_FACTS) | set(ORGANISATION_FACTS))


class FactQuerySet(models.QuerySet):
    def unconfirmed(self):
        return self.filter(confirmed_on__isnull=True)

    def about_service(self, service):
        """Every fact shown on a service's page, in one query: its own, its routes',
        its venues' and its organisation's."""
        return self.filter(
            Q(service=service) | Q(route__service=service)
            | Q(venue__service_at_locations__service=service) | Q(organisation_id=service.organisation_id)
        ).distinct()

    def confirm(self, user, on=None):
        """Confirm every fact in the queryset; returns how many changed."""
        return self.unconfirmed().update(confirmed_on=on or timezone.localdate(), confirmed_by=user)


class Fact(models.Model):
    """The source of one fact (one field of one record), and whether it is confirmed."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="facts")
    route = models.ForeignKey("directory.ReferralRoute", on_delete=models.CASCADE, null=True, blank=True, related_name="facts")
    venue = models.ForeignKey("directory.Venue", on_delete=models.CASCADE, null=True, blank=True, related_name="facts")
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.CASCADE, null=True, blank=True, related_name="facts"
    )
    field = models.CharField("fact", max_length=30, choices=[(code, code.replace("_", " ")) for code in FACT_FIELDS])
    kind = models.CharField("source", max_length=20, choices=SourceKind.choices)
    section = models.CharField(
        max_length=200, blank=True, help_text="Where in the source, e.g. 'Table 3' of the needs assessment."
    )
    source_url = models.URLField("source address", max_length=500, blank=True, validators=[validate_url_scheme])
    excerpt = models.TextField(blank=True, help_text="The words on the source that state the fact.")
    read_on = models.DateField("source read on", null=True, blank=True)
    note = models.TextField(blank=True, help_text="For curators: caveats, e.g. 'page dated 2020'. Not shown publicly.")
    confirmed_on = models.DateField("confirmed by the IMHSG on", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The service itself said "still right" on its check-in page (issue 20): shown publicly as
    # "checked by the service on <date>", never as the IMHSG's confirmation.
    checked_by_service_on = models.DateField("checked by the service on", null=True, blank=True)
    modified = models.DateTimeField(auto_now=True)

    objects = FactQuerySet.as_manager()

    class Meta:
        ordering = ["field"]
        constraints = [
            models.CheckConstraint(
                name="fact_has_one_owner",
                condition=(
                    Q(service__isnull=False, route__isnull=True, venue__isnull=True, organisation__isnull=True)
                    | Q(service__isnull=True, route__isnull=False, venue__isnull=True, organisation__isnull=True)
                    | Q(service__isnull=True, route__isnull=True, venue__isnull=False, organisation__isnull=True)
                    | Q(service__isnull=True, route__isnull=True, venue__isnull=True, organisation__isnull=False)
                ),
                violation_error_message="A fact belongs to exactly one service, route, venue or organisation.",
            ),
            models.UniqueConstraint(fields=["service", "field"], condition=Q(service__isnull=False), name="fact_unique_service"),
            models.UniqueConstraint(fields=["route", "field"], condition=Q(route__isnull=False), name="fact_unique_route"),
            models.UniqueConstraint(fields=["venue", "field"], condition=Q(venue__isnull=False), name="fact_unique_venue"),
            models.UniqueConstraint(
                fields=["organisation", "field"], condition=Q(organisation__isnull=False), name="fact_unique_organisation"
            ),
        ]

    def __str__(self):
        return f"{self.owner}: {self.field.replace('_', ' ')}"

    @property
    def owner(self):
        return self.service or self.route or self.venue or self.organisation

    @property
    def is_confirmed(self):
        return self.confirmed_on is not None


class SeedRecord(models.Model):
    """What `loadseed` created (or adopted), by a stable key from the seed files.

    The loader creates a record only when its key is absent here, so whatever a
    curator later does to the object (edit, rename, archive, delete) is never
    undone: a deleted object leaves its SeedRecord behind with `object_id` pointing
    nowhere. `values` keeps what was seeded, so `updatereference` can tell a
    curator's edit from a change in the source files.
    """

    key = models.CharField(max_length=255, unique=True)
    model = models.CharField(max_length=60, help_text="app_label.model of the object seeded.")
    object_id = models.CharField(max_length=60, blank=True)
    values = models.JSONField(default=dict, blank=True)
    seeded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self):
        return self.key


class OrukImportBase(models.Model):
    """What the Open Referral feed said about one imported draft the last time `import_oruk`
    read it: the base of the three-way merge that lets a re-import take the feed's changes
    without undoing a curator's (directory/openreferral/importer.py, docs/adr/0011-oruk-api.md).

    Not the service's history: a re-import that keeps a curator's value saves the service
    with that value, so "what the import saved" stops being "what the feed said", and the
    next run would take a curator's edit for the import's own. `values` holds "fields" (the
    mapped fields, related records by primary key, many-to-many sets as sorted lists),
    "routes" ({key: {"pk": the route written, "values": what the feed said}}, the key being
    the feed's route id) and "venues" ({venue pk: {"pk": the placement, "note": ...}}).
    Kept apart from `SeedRecord`, whose rows `loadseed` reads as "what the seed created".
    """

    service = models.OneToOneField("directory.Service", on_delete=models.CASCADE, related_name="oruk_import_base")
    source = models.CharField(max_length=500, blank=True, help_text="The feed's address or file, as given to import_oruk.")
    values = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Open Referral import base"

    def __str__(self):
        return f"{self.service}: as imported from {self.source}"
