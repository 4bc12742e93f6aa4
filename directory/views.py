from django.shortcuts import get_object_or_404, render

from directory import selectors
from directory.presenters import ServiceCard, focus_explanations


def classification_context():
    return {"levels_explained": selectors.level_list(), "focus_explained": focus_explanations()}


def home(request):
    cards = [ServiceCard(service) for service in selectors.service_list_published()]
    return render(request, "directory/home.html", {"cards": cards, **classification_context()})


def about(request):
    return render(request, "directory/about.html", classification_context())


def service_detail(request, slug):
    service = get_object_or_404(selectors.service_list_published(), slug=slug)
    return render(request, "directory/service_detail.html", {"service": service, "card": ServiceCard(service)})
