"""Admin for places and the needs model.

Curators edit the needs model's parameters here; the /needs/ page and the map
follow. Districts, wards and postcodes come from open data via loadseed and
are read-mostly.

Imported explicitly by config/urls.py (SimpleAdminConfig: no autodiscovery, see
docs/adr/0002-no-geodjango.md). Never import leaflet.admin or leaflet.forms here.
"""
from django.contrib import admin

from mapping.models import District, NeedsModelSettings, Postcode, Ward


@admin.register(NeedsModelSettings)
class NeedsModelSettingsAdmin(admin.ModelAdmin):
    """One row of settings: it can be changed but not added twice or deleted."""

    list_display = ["__str__", "disorganised_percent", "demand_percent", "already_seen_percent", "caseload", "modified"]
    fieldsets = [
        (None, {"description": (
            "These numbers drive the needs model on the 'Need and provision' page and the map. Change a number "
            "and its source note together. To try a number without saving it, add it to the page's address, "
            "for example /needs/?caseload=40."
        ), "fields": []}),
        ("Attachment (Table 1)", {"fields": [
            "disorganised_percent", "disorganised_source", "insecure_percent", "insecure_source",
        ]}),
        ("Families needing specialised support", {"fields": [
            "demand_percent", "demand_source", "already_seen_percent", "already_seen_source",
        ]}),
        ("Practitioners (Table 2)", {"fields": ["caseload", "caseload_source"]}),
    ]

    def has_add_permission(self, request):
        """Only if the row is missing (migration 0003 puts it in). Asked on every admin page, so
        only this model's own pages pay the query; elsewhere the answer is simply no."""
        match = getattr(request, "resolver_match", None)
        if not (match and (match.url_name or "").startswith("mapping_needsmodelsettings_")):
            return False
        return super().has_add_permission(request) and not NeedsModelSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


# --- Places (the service admin's autocompletes need these registered) -------------


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    """Read-mostly: boundaries come from open data via loadseed; figures can be corrected."""

    list_display = ["name", "code", "population_under_2", "imd_decile", "deprivation_rank"]
    search_fields = ["name", "code"]
    readonly_fields = ["boundary", "centroid_lat", "centroid_lon"]
    fields = ["name", "slug", "code", "population_under_2", "imd_decile", "deprivation_rank",
              "centroid_lat", "centroid_lon", "boundary"]

    def has_add_permission(self, request):
        # The ten districts are fixed by their boundaries.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Ward)
class WardAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["name", "code"]
    readonly_fields = ["boundary"]

    def has_add_permission(self, request):
        # A ward is its boundary, which comes from open data (loadseed): a ward added here had
        # none, and saving it failed on the database's NOT NULL (a 500).
        return False


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["postcode", "district", "lat", "lon"]
    list_filter = ["district"]
    list_select_related = ["district"]
    search_fields = ["postcode"]
    show_full_result_count = False  # avoids a second COUNT over 39,000 rows on every page
