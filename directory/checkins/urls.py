from django.urls import path

from directory.checkins import views

app_name = "checkins"

urlpatterns = [
    path("check/<str:token>/", views.check_view, name="check"),
    path("check/<str:token>/thanks/", views.thanks_view, name="thanks"),
]
