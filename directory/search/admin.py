"""Admin for the words search uses: synonyms and need steps (issue 11).

Kept apart from directory/curation/admin/records.py (curation of records) and imported by config/urls.py.
"""
from django.contrib import admin

from directory.models import NeedStep, SearchSynonym


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    list_display = ["terms", "note"]
    search_fields = ["terms", "note"]
    fields = ["terms", "note"]


@admin.register(NeedStep)
class NeedStepAdmin(admin.ModelAdmin):
    list_display = ["lower", "higher"]
    list_select_related = ["lower", "higher"]
    search_fields = ["lower__name", "higher__name"]
    autocomplete_fields = ["lower", "higher"]
