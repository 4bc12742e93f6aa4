from django.urls import path, re_path

from directory.openreferral.api import views

app_name = "api"

urlpatterns = [
    path("", views.root, name="root"),
    path("openapi.json", views.openapi, name="openapi"),
    path("docs/", views.docs, name="docs"),
    path("services", views.service_list, name="services"),
    path("services/<str:id>", views.service_detail, name="service"),
    path("service_at_locations", views.service_at_location_list, name="service-at-locations"),
    path("service_at_locations/<str:id>", views.service_at_location_detail, name="service-at-location"),
    path("taxonomies", views.taxonomy_list, name="taxonomies"),
    path("taxonomies/<str:id>", views.taxonomy_detail, name="taxonomy"),
    path("taxonomy_terms", views.taxonomy_term_list, name="taxonomy-terms"),
    path("taxonomy_terms/<str:id>", views.taxonomy_term_detail, name="taxonomy-term"),
    path("organizations", views.organisation_list, name="organizations"),
    path("organizations/<str:id>", views.organisation_detail, name="organization"),
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not-found"),
]
