from django.urls import path

from directory.practitioners import csv, views
from directory.suggestions import views as suggestions

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("search/", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
    path("shortlist/", views.shortlist, name="shortlist"),
    path("shortlist/change/", views.shortlist_update, name="shortlist-change"),
    path("services/<slug:slug>/suggest/", suggestions.suggest_change, name="suggest-change"),
    path("services/<slug:slug>/suggest/thanks/", suggestions.suggest_thanks, name="suggest-thanks"),
    path("services.csv", csv.services_csv, name="services-csv"),
]
