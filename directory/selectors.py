"""Reads. Views, the API and tests share these query paths."""
from directory.models import Level, Service


def service_list_published():
    """Published services with everything a card shows: 6 queries whatever the count."""
    return Service.objects.published().for_cards().order_by("name")


def level_list():
    return list(Level.objects.order_by("rank"))
