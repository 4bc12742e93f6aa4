"""Places: the ten districts, their wards, and every Birmingham postcode.

No GeoDjango (docs/adr/0002-no-geodjango.md): boundaries are stored as
GeoJSON geometry objects and points as latitude/longitude floats.
"""
from django.db import models


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
