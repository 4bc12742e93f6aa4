"""How far a venue is from a family: one formula for the whole project, in SQL and in Python
(docs/adr/0002-no-geodjango.md).

Equirectangular: the difference in latitude, and the difference in longitude scaled by the
cosine of the family's latitude, both in degrees, then Pythagoras. Across a city it is within
a few metres of the great-circle distance, and it is plain arithmetic, so SQLite and PostgreSQL
compute it alike (no trigonometry in SQL) and the database can order and filter by it. Search,
the parents' lists, the API's `proximity` and the map's nearest venues all measure with it.
"""
import math

from django.db.models import ExpressionWrapper, F, FloatField

KM_PER_DEGREE = 111.195  # of latitude: the Earth's mean radius (6,371 km) times pi/180


def longitude_scale(lat):
    """How much shorter a degree of longitude is than a degree of latitude at `lat`."""
    return math.cos(math.radians(lat))


def squared_degrees(lat, lon, *, prefix="venue__"):
    """SQL: the squared distance, in degrees of latitude, from (lat, lon) to a row's
    `<prefix>lat`, `<prefix>lon`. Order by it as it is; `km_from_squared_degrees` gives km."""
    scale = longitude_scale(lat)
    dlat = F(f"{prefix}lat") - lat
    dlon = (F(f"{prefix}lon") - lon) * scale
    return ExpressionWrapper(dlat * dlat + dlon * dlon, output_field=FloatField())


def km_from_squared_degrees(d2):
    return math.sqrt(d2) * KM_PER_DEGREE


def degrees_for_km(km):
    """A distance as degrees of latitude, to compare with `squared_degrees`."""
    return km / KM_PER_DEGREE


def distance_km(lat, lon, other_lat, other_lon):
    """The same distance in Python, from (lat, lon), whose latitude scales the longitude, as in SQL."""
    dlat = other_lat - lat
    dlon = (other_lon - lon) * longitude_scale(lat)
    return km_from_squared_degrees(dlat * dlat + dlon * dlon)
