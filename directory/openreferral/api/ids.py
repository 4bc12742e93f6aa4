"""Open Referral ids for what has no row of its own.

Objects with a row (services, organisations, venues, service-at-locations, taxonomy terms)
carry a random `uuid` field. Everything else the API publishes is derived with uuid5 from
this project's namespace and something that never changes, so it is the same in every
response and never reused: the six taxonomies and the focus terms (fixed names), and the
small nested records (a service's phone, cost option, language entry, attribute ...),
named after their parent's uuid.
"""
import uuid

# uuid5(NAMESPACE_URL, "https://github.com/birmingham-parent-infant-directory/open-referral"). Never change it.
NAMESPACE = uuid.UUID("d21ae36f-3f15-55bb-ad7a-31bbbd8f8837")


def derived_id(*parts):
    """A stable uuid, as a string, for the thing named by `parts`."""
    return str(uuid.uuid5(NAMESPACE, ":".join(str(part) for part in parts)))


def parse_uuid(raw):
    """The canonical string of a uuid written in `raw` (any case, with or without braces or
    hyphens, as Python reads it), else None. ASCII only."""
    if not isinstance(raw, str) or len(raw) > 45 or not raw.isascii():
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None
