from django.urls import path

from directory import parents

app_name = "parents"

urlpatterns = [
    path("", parents.start, name="start"),
    path("support/", parents.support, name="support"),
    path("support/all/", parents.everything, name="everything"),
    path("topics/<slug:slug>/", parents.topic, name="topic"),
    path("services/<slug:slug>/", parents.service, name="service"),
    path("saved/", parents.saved, name="saved"),
    path("saved/change/", parents.saved_change, name="saved-change"),
]
