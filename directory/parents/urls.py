from django.urls import path

from directory.parents import suggest, views

app_name = "parents"

urlpatterns = [
    path("", views.start, name="start"),
    path("support/", views.support, name="support"),
    path("support/all/", views.everything, name="everything"),
    path("topics/<slug:slug>/", views.topic, name="topic"),
    path("services/<slug:slug>/", views.service, name="service"),
    path("saved/", views.saved, name="saved"),
    path("saved/change/", views.saved_change, name="saved-change"),
    path("services/<slug:slug>/suggest/", suggest.parent_suggest_change, name="suggest-change"),
    path("services/<slug:slug>/suggest/thanks/", suggest.parent_suggest_thanks, name="suggest-thanks"),
]
