"""Normalise and look up postcodes against the offline Birmingham table."""
import re
from dataclasses import dataclass

from django.db.models import Avg, Count

from mapping.models import District, Postcode

# The UK unit postcode shape: outward code (area + district) then inward code.
# Accepts any case and spacing; see normalise_postcode.
_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")

FOUND = "found"
OUTSIDE = "outside"  # a real postcode just outside the city boundary
UNKNOWN = "unknown"  # well formed, but not in the Birmingham table
INVALID = "invalid"  # not shaped like a postcode at all


def normalise_postcode(raw):
    """Return 'B8 6AB' for any spelling of it (' b86ab ', 'B8  6AB'), or None."""
    if not isinstance(raw, str):
        return None
    compact = re.sub(r"\s+", "", raw).upper()
    if len(compact) > 7:
        return None
    match = _POSTCODE_RE.match(compact)
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


@dataclass(frozen=True)
class PostcodeResult:
    status: str
    query: str
    postcode: str = ""
    lat: float | None = None
    lon: float | None = None
    district: District | None = None
    # A postcode district or sector ("B8", "B8 1"): the point is the centroid of its
    # postcodes, so distances from it are approximate.
    approximate: bool = False
    areas: bool = False  # the lookup accepted postcode districts and sectors too

    @property
    def found(self):
        return self.status == FOUND

    @property
    def message(self):
        """A plain-words explanation for anything but a match in the city."""
        shown = self.postcode or self.query.strip()[:20]
        if self.status == FOUND:
            return ""
        if self.status == OUTSIDE:
            return f"{shown} is just outside Birmingham. This directory lists services for families living in Birmingham."
        if self.status == UNKNOWN:
            return f"We could not find {shown} in our list of Birmingham postcodes. Check the postcode, or choose a district instead."
        if self.areas:
            return "Enter a postcode, like B8 1AA, or its first part, like B8."
        return "Enter a full postcode, like B8 1AA."


def postcode_lookup(raw):
    """Find a postcode in any spelling. One query (with its district joined)."""
    query = raw if isinstance(raw, str) else ""
    postcode = normalise_postcode(query)
    if postcode is None:
        return PostcodeResult(status=INVALID, query=query)
    # The district's boundary GeoJSON is large and no caller of a lookup needs it.
    row = Postcode.objects.select_related("district").defer("district__boundary").filter(postcode=postcode).first()
    if row is None:
        return PostcodeResult(status=UNKNOWN, query=query, postcode=postcode)
    status = FOUND if row.district_id else OUTSIDE
    return PostcodeResult(status=status, query=query, postcode=postcode, lat=row.lat, lon=row.lon, district=row.district)


# A postcode district ("B8", "B15") or sector ("B8 1"): the sector needs its space, since
# "B81" is read as a district.
_AREA_RE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)(?: +([0-9]))?$")


def normalise_area(raw):
    """'b8' -> 'B8', ' b8  1 ' -> 'B8 1', anything else None."""
    if not isinstance(raw, str):
        return None
    match = _AREA_RE.match(" ".join(raw.split()).upper())
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}" if match.group(2) else match.group(1)


def place_lookup(raw):
    """A full postcode, or else a postcode district or sector at the centroid of its
    postcodes (approximate), in the city district most of them are in. Two queries for
    an area (its postcodes grouped by district, then that district)."""
    result = postcode_lookup(raw)
    if result.status != INVALID:
        return result
    area = normalise_area(raw)
    if area is None:
        return PostcodeResult(status=INVALID, query=result.query, areas=True)
    rows = list(
        Postcode.objects.filter(postcode__startswith=f"{area} " if " " not in area else area)
        .values("district").annotate(n=Count("pk"), lat=Avg("lat"), lon=Avg("lon")).order_by("-n", "district")
    )
    total = sum(row["n"] for row in rows)
    if not total:
        return PostcodeResult(status=UNKNOWN, query=raw, postcode=area, approximate=True)
    lat = sum(row["lat"] * row["n"] for row in rows) / total
    lon = sum(row["lon"] * row["n"] for row in rows) / total
    in_city = [row for row in rows if row["district"] is not None]
    if not in_city:
        return PostcodeResult(status=OUTSIDE, query=raw, postcode=area, lat=lat, lon=lon, approximate=True)
    district = District.objects.defer("boundary").get(pk=in_city[0]["district"])
    return PostcodeResult(status=FOUND, query=raw, postcode=area, lat=lat, lon=lon, district=district, approximate=True)
