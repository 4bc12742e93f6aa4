"""Places: the ten districts, their wards, and every Birmingham postcode.

No GeoDjango (docs/adr/0002-no-geodjango.md): boundaries are stored as
GeoJSON geometry objects and points as latitude/longitude floats.
"""
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from mapping.needs import ATTACHMENT_OVER_100


class District(models.Model):
    """One of Birmingham's ten districts (the 2010-2024 constituencies)."""

    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in addresses, e.g. ?district=hall-green")
    code = models.CharField("ONS code", max_length=9, unique=True)
    boundary = models.JSONField(help_text="GeoJSON geometry (WGS84), from ONS boundaries.")
    centroid_lat = models.FloatField()
    centroid_lon = models.FloatField()
    population_under_2 = models.PositiveIntegerField("population under two (2020)")
    imd_decile = models.PositiveSmallIntegerField(
        "IMD 2019 decile", help_text="1 is among the most deprived tenth of England."
    )
    deprivation_rank = models.PositiveSmallIntegerField(
        "deprivation rank in the city", help_text="1 is the most deprived of the ten districts."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(imd_decile__gte=1, imd_decile__lte=10), name="district_imd_decile_1_10"),
        ]

    def __str__(self):
        return self.name


class Ward(models.Model):
    """A 2018 ward; its district is the best-fit district by area (wards do not nest)."""

    name = models.CharField(max_length=80)
    code = models.CharField("ONS code", max_length=9, unique=True)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="wards")
    boundary = models.JSONField(help_text="GeoJSON geometry (WGS84).")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Postcode(models.Model):
    """A unit postcode in or within 1 km of the city, for offline geocoding.

    `district` is empty for postcodes just outside the city boundary.
    """

    postcode = models.CharField(max_length=8, primary_key=True, help_text="Normalised, e.g. 'B8 6AB'.")
    lat = models.FloatField()
    lon = models.FloatField()
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="postcodes")

    class Meta:
        ordering = ["postcode"]

    def __str__(self):
        return self.postcode


PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class NeedsModelSettings(models.Model):
    """The needs model's parameters (DESIGN.md "The needs model"; the seed's Tables 1 and 2).

    A single row, edited by curators in the admin; the defaults are the seed's
    and are put in by a data migration. Each parameter carries its source note.
    mapping/needs.py does the arithmetic.
    """

    disorganised_percent = models.DecimalField(
        "disorganised attachment (% of babies)", max_digits=5, decimal_places=2, validators=PERCENT,
        help_text="Share of babies under two modelled to have a disorganised attachment. The seed uses 20% for "
        "Birmingham (15% in a low-adversity reference population).",
    )
    disorganised_source = models.TextField("source of the disorganised attachment rate", blank=True)
    insecure_percent = models.DecimalField(
        "insecure attachment (% of babies)", max_digits=5, decimal_places=2, validators=PERCENT,
        help_text="Share of babies under two modelled to have an insecure attachment. The seed uses 30%.",
    )
    insecure_source = models.TextField("source of the insecure attachment rate", blank=True)
    demand_percent = models.DecimalField(
        "families likely to take up specialised support (% of disorganised)", max_digits=5, decimal_places=2, validators=PERCENT,
        help_text="Of the babies with a disorganised attachment, the share whose families are likely to need and "
        "take up specialised parent-infant support. The seed uses 45% (2,760 families).",
    )
    demand_source = models.TextField("source of the take-up share", blank=True)
    already_seen_percent = models.DecimalField(
        "already seen by the perinatal mental health service (%)", max_digits=5, decimal_places=2, validators=PERCENT,
        help_text="Share of those families already supported by the Community Perinatal Mental Health Service, "
        "taken off the total. The seed uses 12.3% (leaving 2,420 families).",
    )
    already_seen_source = models.TextField("source of the perinatal mental health share", blank=True)
    caseload = models.PositiveSmallIntegerField(
        "families per practitioner per year", validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="How many families one full-time specialised practitioner can see in a year. The seed uses 52.",
    )
    caseload_source = models.TextField("source of the caseload", blank=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "needs model settings"
        verbose_name_plural = "needs model settings"
        constraints = [
            models.CheckConstraint(
                name="needs_percentages_0_100",
                condition=Q(disorganised_percent__gte=0, disorganised_percent__lte=100)
                & Q(insecure_percent__gte=0, insecure_percent__lte=100)
                & Q(demand_percent__gte=0, demand_percent__lte=100)
                & Q(already_seen_percent__gte=0, already_seen_percent__lte=100),
                violation_error_message="Percentages must be between 0 and 100.",
            ),
            models.CheckConstraint(
                name="needs_caseload_positive", condition=Q(caseload__gte=1),
                violation_error_message="A practitioner must see at least one family a year.",
            ),
        ]

    def __str__(self):
        return "Needs model settings"

    def clean(self):
        # Secure attachment is what is left (the seed's Table 1: 50% + 30% + 20%), so it cannot go below zero.
        if (self.insecure_percent or 0) + (self.disorganised_percent or 0) > 100:
            raise ValidationError({"insecure_percent": ATTACHMENT_OVER_100})
