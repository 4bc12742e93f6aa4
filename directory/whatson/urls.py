from django.urls import path

from directory.whatson import views

app_name = "whatson"

urlpatterns = [
    path("parents/whats-on/", views.whats_on, name="whats-on"),
    path("parents/whats-on/calendar.ics", views.whats_on_ics, name="whats-on-ics"),
    path("services/<slug:slug>/calendar.ics", views.service_ics, name="service-ics"),
    path("events/", views.events, name="events"),
    path("events/calendar.ics", views.events_ics, name="events-ics"),
    path("events/<slug:slug>/", views.event, name="event"),
]
