from django.urls import path

from directory import views
from directory import views_bulk, views_suggestions

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("search/", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
    path("shortlist/", views.shortlist, name="shortlist"),
    path("shortlist/change/", views.shortlist_update, name="shortlist-change"),
    path("services/<slug:slug>/suggest/", views_suggestions.suggest_change, name="suggest-change"),
    path("services/<slug:slug>/suggest/thanks/", views_suggestions.suggest_thanks, name="suggest-thanks"),
    path("services.csv", views_bulk.services_csv, name="services-csv"),
]
