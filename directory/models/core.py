"""The directory's domain model, named after Open Referral HSDS 3 where it can be.

docs/hsds-mapping.md gives the field-by-field mapping to HSDS / ORUK 3.0.
"""
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from directory.core.safe_urls import validate_url_scheme
from mapping.models import District


def _uuid_field():
    # The Open Referral id of a published object (docs/adr/0011-oruk-api.md): random,
    # never reused, never edited. Imports set it to the source feed's id.
    return models.UUIDField("Open Referral id", default=uuid.uuid4, unique=True, editable=False)


class Sector(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    NHS = "nhs", "NHS"
    LOCAL_AUTHORITY = "local_authority", "Local authority"
    CHILDRENS_TRUST = "childrens_trust", "Children's trust"
    VCS = "vcs", "Voluntary and community sector"
    PARTNERSHIP = "partnership", "Partnership"


class Organisation(models.Model):
    """HSDS `organization`."""

    uuid = _uuid_field()
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    # Blank only for organisations imported from another directory, until a curator sets it.
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True)
    description = models.TextField(blank=True)
    url = models.URLField("website", blank=True, validators=[validate_url_scheme])
    email = models.EmailField(blank=True)
    editors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="edited_organisations",
        help_text="Provider staff (in the 'Organisation editors' group) who may propose changes to this "
                  "organisation's services. Only a superuser can change this.",
    )

    history = HistoricalRecords(excluded_fields=["editors"])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class TaxonomyTerm(models.Model):
    """A term in one of the directory's controlled lists (HSDS `taxonomy_term`)."""

    uuid = _uuid_field()
    code = models.SlugField(max_length=60, unique=True, help_text="A stable identifier used in addresses and the API.")
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self):
        return self.name


class Level(TaxonomyTerm):
    """Level of need, a stepped-care ladder ("Right Help, Right Time")."""

    rank = models.PositiveSmallIntegerField(help_text="Position on the ladder: 1 universal ... 4 specialist.")
    description = models.TextField()

    class Meta:
        ordering = ["rank"]


class Need(TaxonomyTerm):
    """A need or circumstance a family may be facing."""

    class Meta(TaxonomyTerm.Meta):
        pass


class Intervention(TaxonomyTerm):
    """An intervention, approach or assessment a service uses."""

    class Meta(TaxonomyTerm.Meta):
        pass


class DeliveryMode(TaxonomyTerm):
    """How a service is delivered (HSDS attribute), e.g. home visits, groups."""

    class Meta(TaxonomyTerm.Meta):
        pass


class Language(TaxonomyTerm):
    """A language a service is offered in; `code` is ISO 639 (HSDS `language.code`)."""

    class Meta(TaxonomyTerm.Meta):
        pass


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Focus(models.TextChoices):
    SPECIALISED = "specialised", "Specialised"
    ADDITIONAL = "additional", "Additional focus"
    NON_SPECIALISED = "non_specialised", "Non-specialised"


FOCUS_EXPLANATIONS = {
    Focus.SPECIALISED: "Works directly on the relationship between parent and baby.",
    Focus.ADDITIONAL: "A wider service with an added focus on the parent-baby relationship.",
    Focus.NON_SPECIALISED: "Helps families in other ways that also protect the parent-baby relationship.",
}


class AgeRange(models.TextChoices):
    RANGE = "range", "A stated range"
    ANY = "any", "Any age"
    NOT_STATED = "not_stated", "Not stated"


class Cost(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    FREE = "free", "Free"
    PAID = "paid", "Paid"
    VARIES = "varies", "Varies"


class Audience(models.TextChoices):
    EVERYONE = "everyone", "Parents and professionals"
    PROFESSIONALS = "professionals", "Professionals only"


class CoverageType(models.TextChoices):
    CITY_WIDE = "city_wide", "City-wide"
    DISTRICTS = "districts", "Chosen districts"
    LOCALITY = "locality", "A named locality"


def age_q(start, end):
    """Services for a baby aged start..end months (inclusive). Ranges 'not stated' and 'any'
    always match: an unrecorded range must never silently exclude a service (DESIGN.md)."""
    return (
        Q(age_range__in=[AgeRange.ANY, AgeRange.NOT_STATED])
        | Q(age_range=AgeRange.RANGE, age_from_months__lte=end, age_to_months__gte=start)
    )


def in_district_q(district):
    """A service is "in" a district if it is city-wide, lists the district,
    names a locality inside it, or has a venue there (DESIGN.md).

    The definition of the rule. Queries read it from the maintained table `ServiceDistrict`
    (`ServiceQuerySet.in_district`, docs/adr/0012); tests check the two agree. Combine with
    .distinct() when it is used across the venue join.
    """
    return Q(coverage_type=CoverageType.CITY_WIDE) | local_in_district_q(district)


def local_in_district_q(district):
    """Local to a district: the district listed, a locality in it, or (for a service that is not
    city-wide) a venue there. A city-wide service is in every district and local in none
    (`ServiceDistrict.is_local`). Combine with .distinct(), as in_district_q."""
    # A city-wide service's venue (a hospital) does not make it local to that district (issue 22):
    # "local" is a service for that district, or with a venue there and no wider area.
    return (
        Q(coverage_districts=district)
        | Q(locality_district=district)
        | (Q(service_at_locations__venue__district=district) & ~Q(coverage_type=CoverageType.CITY_WIDE))
    )


class ServiceQuerySet(models.QuerySet):
    """The query rules that search, the map, the parents' view and the admin share. They
    live on the model so that filters and selectors both depend on it, not on each other."""

    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def for_age(self, start, end=None):
        """Services for a baby aged start..end months (inclusive); see `age_q`."""
        return self.filter(age_q(start, start if end is None else end))

    def in_district(self, district):
        """The rule of `in_district_q`, read from the maintained table `ServiceDistrict`: one
        indexed subquery instead of an OR of four, no duplicate rows (docs/adr/0012)."""
        from directory.models.search import ServiceDistrict  # defined after the services it indexes

        return self.filter(pk__in=ServiceDistrict.objects.filter(district=district).values("service_id"))

    def for_parents(self):
        """Published services a parent may see: not marked 'professionals only'."""
        return self.published().exclude(audience=Audience.PROFESSIONALS)

    def with_parent_access(self):
        """Annotate `is_direct`: the family can use the service without being referred,
        because one of its routes is a self-referral, is offered to every family, or is a
        drop-in. Anything else (a professional must refer, or no route recorded yet) is
        for the parents' view's "Ask your health visitor, midwife or GP" section."""
        direct = ReferralRoute.objects.filter(
            Q(referrer__in=[Referrer.SELF, Referrer.AUTOMATIC]) | Q(method=ReferralMethod.DROP_IN),
            service=models.OuterRef("pk"),
        )
        return self.annotate(is_direct=models.Exists(direct))

    # Set by directory.search (its AppConfig.ready): the data layer does not import search.
    attach_card_terms = None

    def for_cards(self):
        """What a list of services shows, in a fixed number of queries (3): the services with
        their organisations, their referral routes, and their levels, needs and coverage
        districts in one query (directory/search/terms.py, attach_card_terms).

        Districts come without their boundary GeoJSON (about 12 kB each), which a
        card never shows.
        """
        clone = self.select_related("organisation").prefetch_related("referral_routes")
        clone._card_terms = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._card_terms = getattr(self, "_card_terms", False)
        return clone

    def _fetch_all(self):
        fetched = self._result_cache is not None
        super()._fetch_all()
        if (not fetched and getattr(self, "_card_terms", False) and self._result_cache
                and isinstance(self._result_cache[0], Service) and self.attach_card_terms is not None):
            self.attach_card_terms(self._result_cache)


class Service(models.Model):
    """HSDS `service`, with the seed's classification and structured referral information."""

    uuid = _uuid_field()
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True, help_text="The end of the service page's address, e.g. acacia for /services/acacia/.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    summary = models.TextField(
        blank=True, help_text="One or two plain sentences: what the service does and for whom. Needed to publish."
    )
    description = models.TextField(blank=True)
    parent_description = models.TextField(
        "description for parents", blank=True,
        help_text=(
            "What parents see, in plain, warm words a 10-year-old could read: what happens there and who it "
            "is for. No levels, team names or abbreviations. Until it is written, parents see the summary."
        ),
    )

    levels = models.ManyToManyField(
        Level,
        related_name="services",
        verbose_name="levels of need",
        help_text=(
            "Which families the service works with. Universal: all families. Targeted: families who need some help. "
            "Statutory: families working with children's social care. Specialist: needs a specialist skill set "
            "(e.g. CAMHS). Tick every level that applies."
        ),
    )
    focus = models.CharField(
        "focus on the parent-infant relationship",
        max_length=16,
        choices=Focus.choices,
        help_text=(
            "How much the service works on the relationship itself. Specialised: that is its main work. "
            "Additional focus: a wider service that also works on it. Non-specialised: helps in other ways. "
            "This is not the level: a specialist service need not be specialised."
        ),
    )
    focus_confirmed = models.BooleanField(
        default=False, help_text="Tick once the IMHSG has confirmed the focus with the service."
    )

    age_range = models.CharField(
        "child age range", max_length=10, choices=AgeRange.choices, default=AgeRange.NOT_STATED,
        help_text="'Not stated' keeps the service in every age search, marked 'age range not recorded'.",
    )
    # The months below are what search filters on; they cannot say "28 days". When the source
    # words an age range more finely, pages show these words instead (docs/adr/0018-citations-and-ages.md).
    age_words = models.CharField(
        "ages in the source's words", max_length=120, blank=True,
        help_text="Only where the months cannot say it, e.g. 'pregnancy to 28 days after birth'. Shown instead of the range.",
    )
    age_from_months = models.SmallIntegerField(
        "from (months)", null=True, blank=True,
        help_text="Baby's age in months; pregnancy counts as negative months (-9 = from conception, 0 = birth).",
    )
    age_to_months = models.SmallIntegerField(
        "to (months)", null=True, blank=True, help_text="Inclusive: 23 means up to the second birthday."
    )
    eligibility_description = models.TextField(
        "parent eligibility", blank=True, help_text="Who the parent or carer must be, e.g. 'teenage parents'."
    )
    parent_min_age_years = models.PositiveSmallIntegerField("parent's minimum age (years)", null=True, blank=True)
    parent_max_age_years = models.PositiveSmallIntegerField("parent's maximum age (years)", null=True, blank=True)

    needs = models.ManyToManyField(Need, blank=True, related_name="services", verbose_name="needs addressed")
    interventions = models.ManyToManyField(
        Intervention, blank=True, related_name="services", verbose_name="interventions and approaches"
    )
    delivery_modes = models.ManyToManyField(DeliveryMode, blank=True, related_name="services")
    languages = models.ManyToManyField(Language, blank=True, related_name="services")

    # The needs assessment: "children's centres or health visitors are the preferred referral route
    # to access parent-infant relationship support". A way *into other support*, not a route into
    # this service: parents' pages and search offer these when nothing else fits or a family is unsure.
    first_step = models.BooleanField(
        "a first step into other support", default=False,
        help_text=(
            "Tick only where a source names the service as a preferred first route for families into other "
            "support (the needs assessment names health visitors and children's centres)."
        ),
    )

    # Best match must not put first a service most families cannot use (issue 22): a hospital's
    # own patients, one pilot's area. Set from a source, like first_step.
    named_group_only = models.BooleanField(
        "only for a named group", default=False,
        help_text=(
            "Tick when only the patients or clients of a named hospital, team or pilot can use it, so most "
            "families cannot (e.g. children under a Birmingham Children's Hospital consultant). Search then "
            "ranks it below services open to the family, and says why."
        ),
    )

    cost = models.CharField(max_length=6, choices=Cost.choices, blank=True, default=Cost.NOT_STATED)
    fees_description = models.TextField("cost details", blank=True)
    schedule_description = models.TextField("opening times", blank=True)

    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    url = models.URLField("website", blank=True, validators=[validate_url_scheme])

    audience = models.CharField(
        max_length=13, choices=Audience.choices, default=Audience.EVERYONE,
        help_text="'Professionals only' hides the service from the parents' view.",
    )
    coverage_type = models.CharField("coverage", max_length=10, choices=CoverageType.choices, default=CoverageType.CITY_WIDE)
    coverage_districts = models.ManyToManyField(
        District, blank=True, related_name="services", help_text="For 'chosen districts' coverage."
    )
    locality = models.CharField(max_length=120, blank=True, help_text="For 'a named locality', e.g. 'Kings Heath'.")
    locality_district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="locality_services",
        help_text="The district the locality is in, if it is in one.",
    )
    commissioned_by = models.CharField(max_length=200, blank=True)
    alert = models.TextField(blank=True, help_text="A short-term notice shown at the top of the service page.")

    no_referral_route_reason = models.TextField(
        "why no referral route", blank=True,
        help_text="Needed to publish a service with no referral route, e.g. 'Referral route not yet confirmed'.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_services",
        help_text="The curator responsible for keeping this entry true.",
    )
    last_reviewed = models.DateField("last checked on", null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    curator_notes = models.TextField(blank=True, help_text="Private: never shown to the public or in the API.")
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    objects = ServiceQuerySet.as_manager()
    # Every change, by whom and why (docs/adr/0008); many-to-many fields are tracked too.
    history = HistoricalRecords(
        m2m_fields=[levels, needs, interventions, delivery_modes, languages, coverage_districts],
        excluded_fields=["modified"],
    )

    class Meta:
        ordering = ["name"]
        permissions = [
            ("publish_service", "Can publish, archive and restore services"),
            ("moderate_service", "Can approve or reject changes proposed by organisation editors"),
        ]
        constraints = [
            models.CheckConstraint(
                name="service_age_range_consistent",
                condition=(
                    Q(age_range=AgeRange.RANGE, age_from_months__isnull=False, age_to_months__isnull=False,
                      age_from_months__lte=models.F("age_to_months"))
                    | (~Q(age_range=AgeRange.RANGE) & Q(age_from_months__isnull=True, age_to_months__isnull=True))
                ),
                violation_error_message="Give both ages with 'from' no later than 'to', or choose 'any age' or 'not stated'.",
            ),
            models.CheckConstraint(
                name="service_age_from_pregnancy",
                condition=Q(age_from_months__isnull=True) | Q(age_from_months__gte=-9),
                violation_error_message="Ages start at -9 months (conception).",
            ),
            models.CheckConstraint(
                name="service_focus_valid",
                condition=Q(focus__in=Focus.values),
                violation_error_message="Choose one focus.",
            ),
            models.CheckConstraint(
                name="service_status_valid",
                condition=Q(status__in=Status.values),
                violation_error_message="Choose draft, published or archived.",
            ),
            models.CheckConstraint(
                name="service_published_has_summary",
                condition=~Q(status=Status.PUBLISHED) | ~Q(summary=""),
                violation_error_message="A published service needs a summary.",
            ),
            models.CheckConstraint(
                name="service_parent_age_order",
                condition=Q(parent_min_age_years__isnull=True) | Q(parent_max_age_years__isnull=True)
                | Q(parent_min_age_years__lte=models.F("parent_max_age_years")),
                violation_error_message="The parent's minimum age must not be above the maximum.",
            ),
        ]
        indexes = [
            models.Index(fields=["age_range", "age_from_months", "age_to_months"]),
            # The admin's list in its own order (name, then newest first, which the admin adds to make
            # the order total) read from the index, a page at a time; the referral routes' list and
            # the dashboard's route gaps, ordered by their service's name, start from it too
            # (docs/adr/0027). Without it every list page sorted all 100,000 services.
            models.Index(fields=["name", "-id"], name="service_admin_order"),
            # The admin's sorts by a column, then by name (ServiceAdmin.get_queryset). Status has
            # (status, name, id) already (migration 0003); the review date its own index.
            models.Index(fields=["focus", "name"], name="service_admin_focus"),
            models.Index(fields=["focus_confirmed", "name"], name="service_admin_focus_confirmed"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("directory:service-detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if self.coverage_type == CoverageType.LOCALITY and not self.locality:
            errors["locality"] = "Name the locality, or choose another kind of coverage."
        if self.age_range == AgeRange.RANGE and (self.age_from_months is None or self.age_to_months is None):
            errors["age_from_months"] = "Give both ages for a stated range, or choose 'any age' or 'not stated'."
        if self.age_range != AgeRange.RANGE:
            self.age_from_months = self.age_to_months = None
        if errors:
            raise ValidationError(errors)

    def publishing_problems(self, route_count):
        """Why this service cannot be published yet, in plain words (empty list = it can).

        `route_count` is passed in because the routes may be unsaved admin inlines.
        """
        problems = []
        if not self.summary.strip():
            problems.append("Write a summary before publishing.")
        if route_count == 0 and not self.no_referral_route_reason.strip():
            problems.append("Add at least one referral route, or say why there is none, before publishing.")
        return problems


class Referrer(models.TextChoices):
    SELF = "self", "Self-referral (the family can contact the service)"
    PROFESSIONAL = "professional", "Professional referral"
    AUTOMATIC = "automatic", "Automatic (every family is offered it)"


class ReferralMethod(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    ONLINE_FORM = "online_form", "Online form"
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    REFERRAL_CENTRE = "referral_centre", "Referral management centre"
    ASK_HEALTH_VISITOR = "ask_health_visitor", "Ask your health visitor"
    DROP_IN = "drop_in", "Drop in"
    LETTER = "letter", "Letter"


class Consent(models.TextChoices):
    NOT_STATED = "", "Not recorded"
    YES = "yes", "Yes, the family's consent is needed"
    NO = "no", "No"


class ReferralRoute(models.Model):
    """One way into a service: who may refer, how, and the criteria for acceptance."""

    uuid = _uuid_field()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="referral_routes")
    referrer = models.CharField("who can refer", max_length=12, choices=Referrer.choices)
    professions = models.CharField(
        "which professionals", max_length=200, blank=True, help_text="e.g. 'Health visitor, midwife, GP'."
    )
    method = models.CharField("how to refer", max_length=20, choices=ReferralMethod.choices, blank=True)
    how_to_refer = models.TextField("how to refer, in words", blank=True)
    acceptance_criteria = models.TextField(blank=True, help_text="Who the service accepts, and any thresholds.")
    exclusions = models.TextField(blank=True)
    waiting_time = models.CharField("typical waiting time", max_length=120, blank=True)
    consent_required = models.CharField(max_length=3, choices=Consent.choices, blank=True)
    url = models.URLField("referral link", blank=True, validators=[validate_url_scheme])
    contact = models.CharField("referral contact", max_length=200, blank=True, help_text="A phone number or email for referrals.")
    is_preferred = models.BooleanField("preferred route", default=False)
    order = models.PositiveSmallIntegerField(default=0)
    # Issue 24: what a referral by this route must carry, and the service's own consent rules,
    # in the service's words. Empty means the service has not told us: pages say so, never guess.
    information_needed = models.TextField(
        "what to include", blank=True,
        help_text="What the service asks a referral to include, one item per line, as the service states it "
                  "(e.g. 'GP name and practice'). Leave empty if the service has not said.",
    )
    consent_rules = models.TextField(
        "the service's consent rules", blank=True,
        help_text="The service's own rules about the family's consent to the referral, in its words.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["service", "order", "id"]

    def __str__(self):
        return f"{self.get_referrer_display()} to {self.service}"

    @property
    def information_items(self):
        """`information_needed` as a list, one item per non-empty line."""
        return [line.strip(" -\u2022\t") for line in self.information_needed.splitlines() if line.strip(" -\u2022\t")]


class Venue(models.Model):
    """HSDS `location` (physical): where a service is delivered. Shared between services."""

    uuid = _uuid_field()
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, help_text="A Birmingham postcode; the map position comes from it.")
    lat = models.FloatField(null=True, blank=True, editable=False)
    lon = models.FloatField(null=True, blank=True, editable=False)
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, editable=False, related_name="venues")
    accessibility = models.TextField("accessibility notes", blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "postcode"], name="venue_unique_name_postcode"),
        ]

    def __str__(self):
        return f"{self.name} ({self.postcode})" if self.postcode else self.name

    def clean(self):
        from mapping.postcodes import postcode_lookup

        result = postcode_lookup(self.postcode)
        if result.status in ("invalid", "unknown"):
            raise ValidationError({"postcode": result.message})
        self.locate(result)

    def locate(self, result):
        """Take position and district from a postcode lookup result."""
        self.postcode = result.postcode
        self.lat, self.lon, self.district = result.lat, result.lon, result.district


class ServiceAtLocation(models.Model):
    """HSDS `service_at_location`: a service delivered at a venue."""

    uuid = _uuid_field()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_at_locations")
    venue = models.ForeignKey(Venue, on_delete=models.PROTECT, related_name="service_at_locations")
    note = models.CharField(max_length=200, blank=True, help_text="e.g. 'consultation to staff only'.")

    history = HistoricalRecords()

    class Meta:
        ordering = ["service", "venue__name"]
        constraints = [models.UniqueConstraint(fields=["service", "venue"], name="service_venue_unique")]
        verbose_name = "venue"

    def __str__(self):
        return f"{self.service} at {self.venue}"


# --- The parents' view -----------------------------------------------------------

class ServiceCapacity(models.Model):
    """A service's capacity for work on the parent-infant relationship in one district it serves
    (issue 22, recommendation 8e: where need is least met). Recorded by the IMHSG or the service,
    with its source like any fact (the service's "capacity" Fact). Either measure may be given;
    practitioner time compares with Table 2's "practitioners for specialised support"."""

    service = models.ForeignKey("directory.Service", on_delete=models.CASCADE, related_name="capacities")
    district = models.ForeignKey("mapping.District", on_delete=models.CASCADE, related_name="capacities")
    practitioner_wte = models.DecimalField(
        "practitioner time (whole-time equivalent)", max_digits=6, decimal_places=2, null=True, blank=True,
        help_text="Practitioners' time for parent-infant relationship work in this district, e.g. 0.8.",
    )
    families_per_year = models.PositiveIntegerField(
        "families a year", null=True, blank=True, help_text="Families the service can support in a year here.",
    )
    as_of = models.DateField("figures for", null=True, blank=True, help_text="The date or year the figures describe.")
    note = models.CharField(max_length=300, blank=True, help_text="Caveats, e.g. 'shared with Solihull'.")

    class Meta:
        verbose_name_plural = "service capacities"
        ordering = ["district__name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "district"], name="capacity_one_per_district"),
            models.CheckConstraint(
                name="capacity_has_a_figure",
                condition=Q(practitioner_wte__isnull=False) | Q(families_per_year__isnull=False),
                violation_error_message="Give the practitioner time, the families a year, or both.",
            ),
            models.CheckConstraint(name="capacity_wte_not_negative",
                                   condition=Q(practitioner_wte__isnull=True) | Q(practitioner_wte__gte=0)),
        ]

    def __str__(self):
        return f"{self.service} in {self.district}"


class ParentTopic(models.Model):
    """A warm, plain heading the parents' view groups services under ("Feeding, sleep and
    crying"), curated by the IMHSG and mapped onto the needs taxonomy, so it uses the same
    service records as everything else (docs/adr/0007-parents-view.md)."""

    name = models.CharField(max_length=120, unique=True, help_text="Plain words a parent would use.")
    slug = models.SlugField(max_length=120, unique=True, help_text="The end of the topic's address, e.g. young-parents for /parents/topics/young-parents/.")
    intro = models.TextField(
        help_text="One or two warm sentences at the top of the topic page. Celebrate asking for help; never blame."
    )
    order = models.PositiveSmallIntegerField(default=0, help_text="Topics are listed in this order.")
    needs = models.ManyToManyField(
        Need, blank=True, related_name="parent_topics",
        help_text="Services that address any of these needs are listed under this topic.",
    )
    delivery_modes = models.ManyToManyField(
        DeliveryMode, blank=True, related_name="parent_topics",
        help_text="Services delivered in any of these ways are listed too (e.g. groups for 'Meet other parents').",
    )

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("parents:topic", kwargs={"slug": self.slug})


class UrgentHelp(models.Model):
    """A line in the 'Need help now?' box on every parent page, after 999 and NHS 111
    (which are fixed in the template). Curators add crisis lines here; nothing is invented."""

    name = models.CharField(max_length=120, help_text="e.g. the name of a crisis line.")
    description = models.CharField(max_length=300, blank=True, help_text="When to use it, in plain words.")
    phone = models.CharField(max_length=40, blank=True, help_text="As the service publishes it.")
    url = models.URLField("website", blank=True, validators=[validate_url_scheme])
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField("show on parent pages", default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = "urgent help line"
        constraints = [
            models.CheckConstraint(
                name="urgenthelp_has_phone_or_url", condition=~Q(phone="") | ~Q(url=""),
                violation_error_message="Give a phone number or a website.",
            ),
        ]

    def __str__(self):
        return self.name



# --- Search ------------------------------------------------------------------------

class SearchSynonym(models.Model):
    """Words people use that mean the same thing in a search ("dad", "father", "fathers").
    A keyword that is one of the terms also finds services that use any other term
    (docs/adr/0004-search.md). Curated by the IMHSG."""

    terms = models.CharField(
        max_length=300, unique=True,
        help_text="Two or more words or phrases that mean the same, separated by commas, e.g. 'PND, postnatal depression'.",
    )
    note = models.CharField(max_length=200, blank=True, help_text="Why these go together, for other curators.")

    class Meta:
        ordering = ["terms"]
        verbose_name = "search synonym"

    def __str__(self):
        return self.terms

    @staticmethod
    def split(text):
        """'PND,  Postnatal depression' -> ['pnd', 'postnatal depression'] (lower case, single spaces)."""
        return [" ".join(term.split()).lower() for term in text.split(",") if term.strip()]

    def clean(self):
        terms = self.split(self.terms or "")
        if len(terms) < 2:
            raise ValidationError({"terms": "Give at least two words or phrases, separated by commas."})
        bad = [t for t in terms if not all(ch.isalnum() or ch in " -'" for ch in t)]
        if bad:
            raise ValidationError({"terms": f"Use letters, numbers, spaces, hyphens and apostrophes only ({bad[0]})."})
        self.terms = ", ".join(dict.fromkeys(terms))


class NeedStep(models.Model):
    """One step on the stepped-care ladder between two needs: `lower` (e.g. mild to moderate
    perinatal mental health) and `higher` (moderate to severe). The service page's ladder
    then reaches services for the related need, not only for the same one."""

    lower = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="steps_up",
                              help_text="The need with less severity, e.g. 'mild to moderate'.")
    higher = models.ForeignKey(Need, on_delete=models.CASCADE, related_name="steps_down",
                               help_text="The need one step up, e.g. 'moderate to severe'.")

    class Meta:
        ordering = ["lower__name"]
        verbose_name = "need step up and down"
        verbose_name_plural = "need steps up and down"
        constraints = [
            models.UniqueConstraint(fields=["lower", "higher"], name="needstep_unique"),
            models.CheckConstraint(name="needstep_not_itself", condition=~Q(lower=models.F("higher")),
                                   violation_error_message="A need cannot be a step up from itself."),
        ]

    def __str__(self):
        return f"{self.lower} \u2192 {self.higher}"



class ContentVersion(models.Model):
    """A slot of a kind's version: a number that changes whenever anything of that kind the
    public sees changes (directory/core/content.py). Cached pages, fragments and ETags are keyed by it, so no
    cache can outlive the content it was made from (docs/adr/0013)."""

    value = models.BigIntegerField(default=1)
    # Which kind of content this slot versions (directory/core/content.py KINDS).
    kind = models.CharField(max_length=16, default="services")

    class Meta:
        verbose_name = "content version"

    def __str__(self):
        return f"Content version {self.value}"

