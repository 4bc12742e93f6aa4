"""Normalise and look up postcodes against the offline Birmingham table."""
import re
from dataclasses import dataclass

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
