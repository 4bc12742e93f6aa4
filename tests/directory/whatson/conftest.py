"""Shared helpers for the what's-on tests (issue 23). Venues are test venues at real Birmingham
postcodes (the postcode table is the seed's); names are obviously fictional."""
from datetime import date, time

import pytest

from directory.models import Service, ServiceAtLocation, Session, SessionException, Status, TermDate, Venue
from mapping.postcodes import postcode_lookup

EYFS = "Birmingham Forward Steps: Early Years and Family Support"


def venue(name="Test Family Hub", postcode="B8 1AA"):
    result = postcode_lookup(postcode)
    assert result.found, postcode
    place = Venue(name=name, address="1 Example Street")
    place.locate(result)
    place.save()
    return place


def place_for(service, at=None):
    return ServiceAtLocation.objects.create(service=service, venue=at or venue())


def session(service=None, *, place=None, status=Status.PUBLISHED, **fields):
    service = service or Service.objects.get(name=EYFS)
    values = {"freq": "WEEKLY", "byday": "TU", "opens_at": time(10), "closes_at": time(11, 30), **fields}
    made = Session(service=service, place=place, status=status, **values)
    made.full_clean()
    made.save()
    return made


def cancel(on, when, note=""):
    return SessionException.objects.create(session=on, date=when, kind="cancelled", note=note)


def term(first, last, name="Test term"):
    return TermDate.objects.create(name=name, first_day=first, last_day=last, source="Test: example.org")


@pytest.fixture
def eyfs():
    return Service.objects.get(name=EYFS)


# A fixed Monday, so tests never depend on the day they run.
MONDAY = date(2026, 11, 30)
