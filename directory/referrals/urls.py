from django.urls import path

from directory.referrals import views

app_name = "referrals"

urlpatterns = [
    path("services/<slug:slug>/refer/<int:route_id>/", views.refer, name="refer"),
    path("referrals/<int:route_id>/prepared/", views.prepared, name="prepared"),
]
