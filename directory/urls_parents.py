from django.urls import path

from directory import parents
from directory import views_suggestions

app_name = "parents"

urlpatterns = [
    path("", parents.start, name="start"),
    path("support/", parents.support, name="support"),
    path("support/all/", parents.everything, name="everything"),
    path("topics/<slug:slug>/", parents.topic, name="topic"),
    path("services/<slug:slug>/", parents.service, name="service"),
    path("saved/", parents.saved, name="saved"),
    path("saved/change/", parents.saved_change, name="saved-change"),
    path("services/<slug:slug>/suggest/", views_suggestions.parent_suggest_change, name="suggest-change"),
    path("services/<slug:slug>/suggest/thanks/", views_suggestions.parent_suggest_thanks, name="suggest-thanks"),
]
