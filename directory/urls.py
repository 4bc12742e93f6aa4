from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("search/", views.search, name="search"),
    path("services/<slug:slug>/", views.service_detail, name="service-detail"),
    path("shortlist/", views.shortlist, name="shortlist"),
    path("shortlist/change/", views.shortlist_update, name="shortlist-change"),
]
