from django.urls import path

from mapping import views

app_name = "mapping"

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/districts.geojson", views.districts_geojson, name="districts-geojson"),
    path("map/markers.geojson", views.markers_geojson, name="markers-geojson"),
    path("map/wards.geojson", views.wards_geojson, name="wards-geojson"),
    path("map/districts/<slug:slug>/panel/", views.district_panel, name="district-panel"),
    path("needs/", views.needs_page, name="needs"),
]
