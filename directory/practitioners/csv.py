"""The public CSV of published services (a link on /about/)."""
from django.views.decorators.http import require_safe

from django.db.models import Prefetch
from import_export import fields, resources, widgets

from directory.core.caching import content_etag
from directory.core.exports import csv_lines, csv_response
from directory.core.safe_urls import safe_href
from directory.core.spreadsheets import escape_cell
from directory.models import Service
from mapping.models import District

FILENAME = "birmingham-parent-infant-services.csv"


@require_safe
@content_etag(per_visitor=False)
def services_csv(request):
    """Every published service, with only what its public page shows, streamed row by row
    (directory/core/exports.py): 1 query, then 7 prefetches per 2,000 services."""
    resource = PublicServiceResource(base_url=request.build_absolute_uri("/")[:-1])
    return csv_response(resource, PublicServiceResource.queryset(), filename=FILENAME)


# --- What it contains ---------------------------------------------------------------------------

class PublicServiceResource(resources.Resource):
    """Published services with only what their public pages show. Export only."""

    name = fields.Field(attribute="name", column_name="name")
    page = fields.Field(column_name="page")
    organisation = fields.Field(attribute="organisation__name", column_name="organisation")
    summary = fields.Field(attribute="summary", column_name="summary")
    description = fields.Field(attribute="description", column_name="description")
    description_for_parents = fields.Field(attribute="parent_description", column_name="description_for_parents")
    levels = fields.Field(column_name="levels_of_need")
    focus = fields.Field(column_name="focus")
    focus_confirmed = fields.Field(column_name="focus_confirmed")
    age_range = fields.Field(column_name="age_range")
    age_from_months = fields.Field(attribute="age_from_months", column_name="age_from_months")
    age_to_months = fields.Field(attribute="age_to_months", column_name="age_to_months")
    # Where the months cannot say it ("28 days after birth"), the page shows the source's words.
    age_words = fields.Field(attribute="age_words", column_name="age_in_source_words")
    eligibility = fields.Field(attribute="eligibility_description", column_name="parent_eligibility")
    needs = fields.Field(column_name="needs")
    interventions = fields.Field(column_name="interventions")
    delivery_modes = fields.Field(column_name="delivery_modes")
    languages = fields.Field(column_name="languages")
    referral_routes = fields.Field(column_name="referral_routes")
    first_step = fields.Field(column_name="first_step_into_other_support")
    cost = fields.Field(column_name="cost")
    fees = fields.Field(attribute="fees_description", column_name="cost_details")
    schedule = fields.Field(attribute="schedule_description", column_name="opening_times")
    phone = fields.Field(attribute="phone", column_name="phone")
    email = fields.Field(attribute="email", column_name="email")
    website = fields.Field(column_name="website")
    audience = fields.Field(column_name="audience")
    coverage = fields.Field(column_name="coverage")
    districts = fields.Field(column_name="districts")
    locality = fields.Field(attribute="locality", column_name="locality")
    last_checked = fields.Field(attribute="last_reviewed", column_name="last_checked_on",
                                widget=widgets.DateWidget("%Y-%m-%d"))

    def __init__(self, base_url=""):
        super().__init__()
        self.base_url = base_url

    @staticmethod
    def queryset():
        """Published services and what the columns read, in 9 queries whatever their number."""
        return Service.objects.published().select_related("organisation").prefetch_related(
            "levels", "needs", "interventions", "delivery_modes", "languages", "referral_routes",
            Prefetch("coverage_districts", queryset=District.objects.only("pk", "slug", "name")),
        ).order_by("name", "pk")

    def export_field(self, field, instance, **kwargs):
        return escape_cell(super().export_field(field, instance, **kwargs))

    def dehydrate_page(self, service):
        return self.base_url + service.get_absolute_url()

    @staticmethod
    def _names(manager):
        return ", ".join(item.name for item in manager.all())

    def dehydrate_levels(self, service):
        return self._names(service.levels)

    def dehydrate_focus(self, service):
        return service.get_focus_display()

    def dehydrate_focus_confirmed(self, service):
        return "yes" if service.focus_confirmed else "no"

    def dehydrate_age_range(self, service):
        return service.get_age_range_display()

    def dehydrate_needs(self, service):
        return self._names(service.needs)

    def dehydrate_interventions(self, service):
        return self._names(service.interventions)

    def dehydrate_delivery_modes(self, service):
        return self._names(service.delivery_modes)

    def dehydrate_languages(self, service):
        return self._names(service.languages)

    def dehydrate_referral_routes(self, service):
        return "; ".join(
            route.get_referrer_display() + (f" ({route.professions})" if route.professions else "")
            for route in service.referral_routes.all()
        )

    def dehydrate_first_step(self, service):
        return "yes" if service.first_step else "no"

    def dehydrate_cost(self, service):
        return service.get_cost_display() if service.cost else ""

    def dehydrate_website(self, service):
        return safe_href(service.url)

    def dehydrate_audience(self, service):
        return service.get_audience_display()

    def dehydrate_coverage(self, service):
        return service.get_coverage_type_display()

    def dehydrate_districts(self, service):
        return self._names(service.coverage_districts)


def public_services_csv(*, base_url=""):
    """The public CSV's text, as the view streams it."""
    return "".join(csv_lines(PublicServiceResource(base_url=base_url), PublicServiceResource.queryset()))
