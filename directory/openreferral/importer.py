"""Import services from an Open Referral UK 3.0 feed (`manage.py import_oruk`).

Rules (docs/adr/0011-oruk-api.md):
- The source is a feed's address (its `/` must say version HSDS-UK-3.0; every page of
  `/services` is read, then each `/services/{id}`), or a JSON file holding one service,
  a list of services, a `/services` page, a list of pages, or `{"services": [...]}`.
- Everything is read and checked before anything is written; a problem (bad JSON, another
  version, a missing required field, text no database can store, absurd nesting or numbers)
  stops the run with a message naming the record and field, and nothing is written. The
  writes are one transaction: all or nothing.
- Records are matched by their ORUK id, which becomes their `uuid` here, so a second run
  updates instead of duplicating. New services are drafts, for curators to classify and
  publish. A service that is published or archived here is the curators' and is skipped.
  Organisations and venues that exist (by id, or by name / name and postcode) are reused
  as they are.
- A draft is updated by a three-way merge (directory/openreferral/merge.py): the feed's changes are
  taken where a curator has not changed the same thing since the last import; a curator's
  edit is kept, and a conflict is reported and noted on the draft; a route or venue is
  removed only if the import made it, nobody touched it and the feed dropped it.
- A service may give only `organization_id` (the specification allows it): the organisation
  is one embedded in another service of the feed, one a live feed's `/organizations/{id}`
  gives, or one already here with that id; failing all three, the service is skipped with
  the reason, and the rest of the feed is imported.
- A live feed is paged with care: a page that repeats an earlier one, says another
  `page_number`, lists a service twice, or more than MAX_PAGES pages, stop the run with a
  message. An Open Referral UK 1.0 or 2.0 feed (`pc_` fields, `regular_schedules` ...) is
  refused as such.
- HTML in the feed's text is turned into plain text (directory/openreferral/plain_text.py),
  and the draft's notes say so. Everything the feed gives that our model cannot hold
  (structured schedules, contacts, accreditations, assured dates, organisation identifiers,
  cost option dates, other phone numbers, fields we do not know) or that is cut to fit
  (funding, areas served) is written into the draft's curator notes, in a block each import
  replaces (IMPORT_NOTES_START ... IMPORT_NOTES_END), so the notes describe the last import.
- Every fact taken from the feed records its source (the feed's address, or the provider
  for a file); nothing is invented. What does not fit our model (another directory's
  taxonomy terms, a location outside Birmingham, an unsafe link) is listed in the draft's
  curator notes and in the report.
"""
import json
import math
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from directory.openreferral.api.ids import parse_uuid
from directory.openreferral.api.taxonomies import FOCUS, TAXONOMIES, TAXONOMIES_BY_ID, focus_terms
from directory.models import (
    AgeRange, Audience, Consent, Cost, CoverageType, Focus, Organisation, ReferralMethod, ReferralRoute, Referrer,
    Sector, Service, ServiceAtLocation, Status, Venue,
)
from directory.openreferral.plain_text import has_markup, plain_text
from directory.openreferral.merge import (
    CONFLICT, IMPORT_REASON, M2M, MISSING, ROUTE_FIELDS, TAKE, attname, content_key, decide, field_conflict, history_base, ours_values,
    parts, route_conflict, route_name, route_values,
)
from directory.models import OrukImportBase, SourceKind
from directory.core.provenance import record_fact
from directory.core.safe_urls import is_safe_url
from directory.search.tables import deferred_refresh
from mapping.models import District
from mapping.postcodes import postcode_lookup
from directory.whatson.oruk import import_schedules, is_structured  # issue 23: schedules kept as sessions

VERSIONS = ("HSDS-UK-3.0", "3.0")
ORUK_2_MARKERS = {"regular_schedules", "eligibilitys", "service_taxonomys", "physical_addresses", "reviews"}
STATUSES = {"active", "inactive", "defunct", "temporarily closed"}
# 1,000 pages of 50 are 50,000 services, more than any council lists: a feed that goes on is
# looping (its last_page never true), and the run stops with a message.
MAX_PAGES = 1_000
IMPORT_NOTES_START = "[Import notes: written by each import of the feed, replacing the last]"
IMPORT_NOTES_END = "[End of import notes]"
# An ORUK 3.0 service nests about eight levels deep (service, locations, addresses ...).
MAX_DEPTH = 64
TIMEOUT = 30


class FeedError(Exception):
    """The feed cannot be imported; `problems` says why, one line each."""

    def __init__(self, problems):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (name, why)
    warnings: list = field(default_factory=list)  # (service name, what)

    def lines(self):
        out = [f"{len(self.created)} created, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
               f"{len(self.skipped)} skipped."]
        out += [f"Skipped {name}: {why}" for name, why in self.skipped]
        out += [f"{name}: {what}" for name, what in self.warnings]
        return out


# --- Reading ------------------------------------------------------------------

def _fetch_json(url):
    request = urllib.request.Request(url, headers={"Accept": "application/json",
                                                   "User-Agent": "birmingham-parent-infant-directory import_oruk"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (http(s) only, checked)
            body = response.read()
    except OSError as error:
        raise FeedError([f"{url}: could not be read ({error})."]) from error
    return parse_json(body, url)


def parse_json(raw, where):
    """Parsed JSON from bytes, or a FeedError saying in one line what is wrong with them.

    Stricter than json.loads, so that nothing odd reaches the database: UTF-8 only (with an
    optional byte-order mark); no NaN or Infinity (not JSON, and no number of years);
    numbers of at most 40 digits and finite. Nesting deeper than Python's recursion limit
    is refused here; check_services refuses anything deeper than MAX_DEPTH.
    """
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FeedError([f"{where}: not UTF-8 text (byte {error.start + 1} is not UTF-8)."]) from None
    too_deep = FeedError([f"{where}: nested too deeply (more than {MAX_DEPTH} levels) to be a feed."])
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_int=_int, parse_float=_float)
    except RecursionError:
        raise too_deep from None
    except ValueError as error:
        raise FeedError([f"{where}: not valid JSON ({error})."]) from None
    if _depth(data) > MAX_DEPTH:
        raise too_deep
    return data


def _depth(data):
    """How deeply `data` nests, found without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(value, dict):
            stack += [(item, depth + 1) for item in value.values()]
        elif isinstance(value, list):
            stack += [(item, depth + 1) for item in value]
    return deepest


MAX_DIGITS = 40


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _int(digits):
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number with more than {MAX_DIGITS} digits")
    return int(digits)


def _float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"a number too large: {text[:40]}")
    return value


def _check_version(version, where):
    if version is not None and str(version) not in VERSIONS:
        raise FeedError([f"{where}: version {str(version)[:40]!r} is not Open Referral UK 3.0 (HSDS-UK-3.0)."])


def read_url(url, *, fetch=_fetch_json, progress=None, max_pages=MAX_PAGES):
    """(services, {service id: its address}) from a live feed. Stops with a FeedError, before
    reading any service, on a feed that does not page properly: a repeated page, a page that
    says another page_number, a service listed twice, or more than `max_pages` pages."""
    base = url.rstrip("/").removesuffix("/services")
    root = fetch(base + "/")
    if not isinstance(root, dict) or "version" not in root:
        raise FeedError([f"{base}/: not an Open Referral API root (no version)."])
    _check_version(root["version"], f"{base}/")
    ids, where, pages, page = [], {}, {}, 1
    while True:
        if page > max_pages:
            raise FeedError([f"{base}/services: still not at the last page after {max_pages} pages, so the "
                             "feed seems to loop (its last_page is never true). Nothing was read further."])
        address = f"{base}/services?page={page}"
        listing = fetch(address)
        if not isinstance(listing, dict) or not isinstance(listing.get("contents"), list):
            raise FeedError([f"{address}: not a page of services (no contents)."])
        number = listing.get("page_number")
        if number is not None and (isinstance(number, bool) or str(number) != str(page)):
            raise FeedError([f"{address}: says it is page {_shown(number)}, so the feed does not page as the "
                             "specification says (it may ignore the page parameter)."])
        page_ids = [str(item.get("id")) for item in listing["contents"] if isinstance(item, dict)]
        if page_ids and tuple(page_ids) in pages:
            raise FeedError([f"{address}: repeats page {pages[tuple(page_ids)]}, so the feed does not page as the "
                             "specification says (it may ignore the page parameter)."])
        pages[tuple(page_ids)] = page
        for service_id in page_ids:
            if service_id in where:
                raise FeedError([f"{address}: service {_shown(service_id)} was already listed on page "
                                 f"{where[service_id]}: each service must be listed once."])
            where[service_id] = page
        ids += page_ids
        total_pages = listing.get("total_pages")
        if (listing.get("last_page", True) is not False or not listing["contents"]
                or not isinstance(total_pages, int) or page >= total_pages):
            break
        page += 1
    services, addresses = [], {}
    for number, service_id in enumerate(ids, 1):
        if parse_uuid(str(service_id)) is None:
            raise FeedError([f"{base}/services: a service's id {str(service_id)[:60]!r} is not a UUID."])
        address = f"{base}/services/{urllib.parse.quote(str(service_id))}"
        services.append(fetch(address))
        addresses[str(service_id)] = address
        if progress:
            progress(number, len(ids), "read")
    _fetch_organisations(base, services, fetch)
    return services, addresses


def _fetch_organisations(base, services, fetch):
    """For services that give only `organization_id`, with no other service of the feed
    embedding that organisation: the feed's `/organizations/{id}` (optional in the
    specification, so a failure only leaves the service to be skipped)."""
    embedded = {organisation_id for _service, organisation_id, organisation in _organisation_refs(services)
                if organisation is not None}
    wanted = {organisation_id for _service, organisation_id, organisation in _organisation_refs(services)
              if organisation is None and organisation_id and organisation_id not in embedded}
    found = {}
    for organisation_id in sorted(wanted):
        try:
            data = fetch(f"{base}/organizations/{organisation_id}")
        except FeedError:
            continue
        if isinstance(data, dict) and parse_uuid(str(data.get("id"))) == organisation_id:
            found[organisation_id] = {key: value for key, value in data.items() if key != "services"}
    for service in services:
        if isinstance(service, dict) and service.get("organization") is None:
            organisation_id = parse_uuid(str(service.get("organization_id") or ""))
            if organisation_id in found:
                service["organization"] = found[organisation_id]


def _organisation_refs(services):
    """(service, organisation id or None, embedded organisation dict or None) for each service."""
    for service in services:
        if not isinstance(service, dict):
            continue
        organisation = service.get("organization")
        if isinstance(organisation, dict):
            yield service, parse_uuid(str(organisation.get("id") or "")), organisation
        elif organisation is None:
            yield service, parse_uuid(str(service.get("organization_id") or "")), None


def attach_organisations(services, where):
    """(services to import, [(name, why skipped)]): a service that gives only `organization_id`
    gets the organisation another service of the feed embeds, or the one here with that id;
    failing both (or with no organisation at all) it is skipped, with the reason. One query."""
    from_feed = {organisation_id: organisation for _service, organisation_id, organisation in _organisation_refs(services)
                 if organisation is not None and organisation_id}
    wanted = {organisation_id for _service, organisation_id, organisation in _organisation_refs(services)
              if organisation is None and organisation_id and organisation_id not in from_feed}
    here = {str(o.uuid): {"id": str(o.uuid), "name": o.name, "description": o.description}
            for o in Organisation.objects.filter(uuid__in=wanted)} if wanted else {}
    kept, skipped = [], []
    for service in services:
        if not isinstance(service, dict) or service.get("organization") is not None:
            kept.append(service)
            continue
        name = _shown(service.get("name") or service.get("id") or "a service without a name")
        organisation_id = parse_uuid(str(service.get("organization_id") or ""))
        organisation = from_feed.get(organisation_id) or here.get(organisation_id)
        if organisation is None:
            why = (f"its organization_id {organisation_id} is neither described in the feed nor an organisation "
                   "here; import it again once the organisation is known." if organisation_id else
                   "it names no organisation (no organization or organization_id), and every service here "
                   "belongs to one.")
            skipped.append((name, why))
            continue
        kept.append({**service, "organization": organisation})
    return kept, skipped


def read_file(path):
    """Services from a JSON file (see the module docstring for the shapes accepted)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise FeedError([f"{path}: could not be read ({error.strerror})."]) from error
    return services_in(parse_json(raw, path), str(path))


def services_in(data, where):
    if isinstance(data, dict):
        _check_version(data.get("version"), where)
        if isinstance(data.get("services"), list):
            return data["services"]
        if isinstance(data.get("contents"), list):
            return data["contents"]
        if "id" in data and "name" in data:
            return [data]
        raise FeedError([f"{where}: neither a service, a page of services nor {{\"services\": [...]}}."])
    if isinstance(data, list):
        if data and all(isinstance(item, dict) and isinstance(item.get("contents"), list) for item in data):
            for item in data:
                _check_version(item.get("version"), where)
            return [service for page in data for service in page["contents"]]
        return data
    raise FeedError([f"{where}: expected a JSON object or list."])


# --- Checking -------------------------------------------------------------------

def legacy_fields(services):
    """The fields that mark an Open Referral UK 1.0 or 2.0 feed (`pc_...`, `regular_schedules` ...)."""
    found = set()
    for service in services:
        if isinstance(service, dict):
            found |= {key for key in service if isinstance(key, str) and key.startswith("pc_")}
            found |= ORUK_2_MARKERS & set(service)
    return sorted(found)


def check_services(services, where):
    """Problems that stop the import, one line each naming the record and field."""
    legacy = legacy_fields(services)
    if legacy:
        shown = ", ".join(legacy[:6]) + (" ..." if len(legacy) > 6 else "")
        return [f"{where}: this is an Open Referral UK 1.0 or 2.0 feed (it has {shown}), not 3.0. Only version 3.0 "
                "can be imported: ask its publisher for their 3.0 feed (its / says version HSDS-UK-3.0)."]
    problems, seen = [], set()
    for number, service in enumerate(services, 1):
        label = f"{where}, service {number}"
        if not isinstance(service, dict):
            problems.append(f"{label}: not a JSON object.")
            continue
        if service.get("name"):
            label += f" ({_shown(service['name'])})"
        unreadable = _unstorable(service)
        if unreadable:
            # Nothing else is looked at: the record's shape cannot be trusted.
            problems.append(f"{label}{unreadable}")
            continue
        service_id = parse_uuid(service.get("id")) if isinstance(service.get("id"), str) else None
        if service_id is None:
            problems.append(f"{label}, field 'id': missing or not a UUID.")
        elif service_id in seen:
            problems.append(f"{label}, field 'id': {service_id} appears twice.")
        seen.add(service_id)
        if not isinstance(service.get("name"), str) or not service["name"].strip():
            problems.append(f"{label}, field 'name': missing.")
        elif len(service["name"].strip()) > 200:
            problems.append(f"{label}, field 'name': longer than 200 characters.")
        if not isinstance(service.get("status"), str) or service["status"] not in STATUSES:
            problems.append(f"{label}, field 'status': missing or not one of {', '.join(sorted(STATUSES))}.")
        organisation = service.get("organization")
        if not isinstance(organisation, dict):
            problems.append(f"{label}, field 'organization': missing (every service here belongs to an organisation).")
        else:
            if parse_uuid(organisation.get("id")) is None if isinstance(organisation.get("id"), str) else True:
                problems.append(f"{label}, field 'organization.id': missing or not a UUID.")
            if not isinstance(organisation.get("name"), str) or not organisation["name"].strip():
                problems.append(f"{label}, field 'organization.name': missing.")
            elif len(organisation["name"].strip()) > 200:
                problems.append(f"{label}, field 'organization.name': longer than 200 characters.")
        for name in ("minimum_age", "maximum_age"):
            value = service.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))
                                      or not 0 <= value <= 150):  # also refuses NaN
                problems.append(f"{label}, field '{name}': not a number of years from 0 to 150.")
        for name in ("attributes", "languages", "service_at_locations", "service_areas", "cost_options", "phones",
                     "schedules", "funding", "x_referral_routes"):
            if service.get(name) is not None and not isinstance(service[name], list):
                problems.append(f"{label}, field '{name}': not a list.")
    return problems


def _shown(value, length=60):
    """A value for a message: short, and printable whatever it holds."""
    text = str(value)[:length]
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


def _unstorable(service):
    """', field ...: why' for the first value no database could store (a NUL character,
    which PostgreSQL refuses and SQLite would keep; an unpaired surrogate, which is not
    Unicode at all) or for nesting deeper than MAX_DEPTH; else "". Checked the same way on
    every database, before anything is written; iterative, so no depth can overflow it."""
    stack = [((), service)]
    while stack:
        path, value = stack.pop()
        if len(path) > MAX_DEPTH:
            return f": nested too deeply (more than {MAX_DEPTH} levels) to be a feed."
        if isinstance(value, dict):
            stack += [(path + (str(key),), item) for key, item in reversed(list(value.items()))]
        elif isinstance(value, list):
            stack += [(path + (f"[{index}]",), item) for index, item in reversed(list(enumerate(value)))]
        elif isinstance(value, str):
            where = _shown(".".join(path).replace(".[", "["), 120)
            if "\x00" in value:
                return f", field '{where}': holds a NUL character (\\u0000), which cannot be stored."
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return f", field '{where}': holds an unpaired surrogate (\\ud800-\\udfff), which is not text."
    return ""


# --- Mapping ----------------------------------------------------------------------

def _records(value):
    """The JSON objects in a list; nothing for anything else (a feed's optional lists are lenient)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value, max_length=None):
    text = value.strip() if isinstance(value, str) else ""
    return text[:max_length] if max_length else text


def _safe_url(value, warn, what):
    text = _text(value)
    if not text:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        warn(f"{what} {text[:80]!r} left out: not an http(s) address.")
        return ""
    if not is_safe_url(text) or len(text) > 200:
        warn(f"{what} left out: not a usable address.")
        return ""
    return text


def _email(value, warn, what):
    text = _text(value)
    if not text:
        return ""
    try:
        validate_email(text)
    except ValidationError:
        warn(f"{what} {text[:80]!r} left out: not an email address.")
        return ""
    return text


def _ages(service, notes):
    """(age_range, from, to) in months. Our own extension wins; else ORUK years."""
    months = service.get("x_age_months")
    if isinstance(months, dict) and months.get("range") in AgeRange.values:
        start, end = months.get("from"), months.get("to")
        if months["range"] != AgeRange.RANGE:
            return months["range"], None, None
        if isinstance(start, int) and isinstance(end, int) and -9 <= start <= end <= 32767:
            return AgeRange.RANGE, start, end
    minimum, maximum = service.get("minimum_age"), service.get("maximum_age")
    if maximum is None:
        if minimum is not None:
            notes.append(f"The source gives a minimum age of {minimum} years and no maximum: set the age range.")
        return AgeRange.NOT_STATED, None, None
    start = round(Decimal(str(minimum)) * 12) if minimum is not None else 0
    end = max(round(Decimal(str(maximum)) * 12) - 1, 0)
    if start > end:
        notes.append(f"The source's ages ({minimum} to {maximum} years) do not make a range: set the age range.")
        return AgeRange.NOT_STATED, None, None
    return AgeRange.RANGE, int(start), int(end)


class Vocabulary:
    """Our taxonomy terms, found by id or by taxonomy and code. A few queries, once per run."""

    def __init__(self):
        self.by_id, self.by_code = {}, {}
        for taxonomy in TAXONOMIES:
            rows = focus_terms() if taxonomy is FOCUS else list(taxonomy.model.objects.all())
            for row in rows:
                key = (taxonomy.key, row.code)
                value = row.code if taxonomy is FOCUS else row
                self.by_id[str(row.id if taxonomy is FOCUS else row.uuid)] = (taxonomy.key, value)
                self.by_code[key] = (taxonomy.key, value)

    def resolve(self, attribute):
        """(taxonomy key, our term) or None for a term of another taxonomy."""
        term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
        term_id = parse_uuid(str(attribute.get("taxonomy_term_id") or term.get("id") or ""))
        if term_id in self.by_id:
            return self.by_id[term_id]
        taxonomy = TAXONOMIES_BY_ID.get(parse_uuid(str(term.get("taxonomy_id") or "")) or "")
        code = term.get("code") or term.get("term")
        if taxonomy is not None and isinstance(code, str):
            return self.by_code.get((taxonomy.key, code))
        return None


def _term_label(attribute):
    term = attribute.get("taxonomy_term") if isinstance(attribute.get("taxonomy_term"), dict) else {}
    name = _text(term.get("name")) or _text(term.get("term")) or str(attribute.get("taxonomy_term_id") or "?")
    taxonomy = _text(term.get("taxonomy"))
    return f"{name} ({taxonomy})" if taxonomy else name


@dataclass
class Mapped:
    """A feed service mapped onto our fields, before anything is written."""

    id: str
    name: str
    fields: dict
    terms: dict  # taxonomy key -> set of our terms (rows, or focus codes)
    districts: list
    routes: list  # (key, values), or None when the feed says nothing about routes
    locations: list  # (sal id, location dict, note, PostcodeResult)
    organisation: dict
    notes: list
    warnings: list
    source_address: str
    schedules: list = field(default_factory=list)  # the feed's structured schedules (issue 23)


def _cut(text, max_length, what, notes):
    """`text` cut to `max_length`, with the whole of it in the notes when it did not fit."""
    if len(text) <= max_length:
        return text
    notes.append(f"{what}, in full (cut to {max_length} characters here): {text}")
    return text[:max_length]


def _amount(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ""
    return f"{value:.2f}".removesuffix(".00") if value else "0"


def _cost_line(option, prose):
    """A cost option in words: "Option: amount (description)"; "" when it says nothing."""
    description = prose(option.get("amount_description"), "cost_options.amount_description")
    label = _text(option.get("option"))
    if not description and not option.get("amount") and label.lower() in {"", *(str(c.label).lower() for c in Cost)}:
        return ""  # "Free", amount 0: what the cost itself says
    words = [label, _amount(option.get("amount"))]
    head = ": ".join(word for word in words if word)
    return f"{head} ({description})" if head and description else head or description


def _contact_line(contact, kept):
    """A contact in words, without the phone number and e-mail the service keeps (`kept`)."""
    parts = [_text(contact.get(name)) for name in ("name", "title", "department", "email")]
    parts += [_text(phone.get("number")) for phone in _records(contact.get("phones"))]
    return ", ".join(part for part in parts if part and part not in kept)


# The service fields this import reads (or knows it cannot keep and notes separately).
KNOWN_FIELDS = {
    "id", "organization_id", "name", "description", "url", "email", "status", "fees", "fees_description",
    "minimum_age", "maximum_age", "alert", "last_modified", "schedules", "service_areas", "service_at_locations",
    "languages", "organization", "funding", "cost_options", "contacts", "phones", "attributes",
    "eligibility_description", "application_process", "accreditations", "assured_date", "assurer_email",
    "x_extension_version", "x_summary", "x_description", "x_page_url", "x_parent_age_years", "x_focus",
    "x_referral_routes", "x_no_referral_route_reason", "x_coverage", "x_audience", "x_cost", "x_provenance",
    "x_age_months",
}


def _note_unkept(service, notes):
    """Notes for what the feed gives that the directory has no place for."""
    if _text(service.get("accreditations")):
        notes.append(f"Accreditations in the source, not kept: {plain_text(_text(service['accreditations']))}")
    if service.get("assured_date") or service.get("assurer_email"):
        notes.append(f"The source says it was assured on {_shown(service.get('assured_date') or '?')} by "
                     f"{_shown(service.get('assurer_email') or '?')}: not kept (the review date here is the IMHSG's).")
    organisation = service.get("organization") if isinstance(service.get("organization"), dict) else {}
    identifiers = [", ".join(_text(i.get(k)) for k in ("identifier_scheme", "identifier_type", "identifier")
                             if _text(i.get(k))) for i in _records(organisation.get("organization_identifiers"))]
    if any(identifiers):
        notes.append("The organisation's identifiers in the source, not kept: "
                     + "; ".join(i for i in identifiers if i) + ".")
    unknown = sorted(key for key in service if isinstance(key, str) and key not in KNOWN_FIELDS
                     and service[key] not in (None, "", [], {}))
    if unknown:
        notes.append("Fields of the source not kept: " + ", ".join(_shown(key, 40) for key in unknown[:20]) + ".")


def map_service(service, vocabulary, districts, source_address):
    notes, warnings = [], []

    def warn(text):
        warnings.append(text)
        notes.append(text)

    converted = []

    def prose(value, what, max_length=None):
        """Text from the feed, with any HTML turned into plain text (and noted)."""
        text = _text(value)
        if has_markup(text):
            text = plain_text(text)
            if text != _text(value) and what not in converted:
                converted.append(what)
        return text[:max_length] if max_length else text

    name = _text(service["name"], 200)
    summary = prose(service.get("x_summary"), "x_summary")
    description = prose(service.get("description"), "description")
    if "x_description" in service:
        description = prose(service.get("x_description"), "x_description")
    elif summary and description.startswith(summary):
        description = description[len(summary):].strip()
    age_range, age_from, age_to = _ages(service, notes)
    terms = {taxonomy.key: set() for taxonomy in TAXONOMIES}
    foreign = []
    for attribute in _records(service.get("attributes")):
        found = vocabulary.resolve(attribute)
        if found:
            terms[found[0]].add(found[1])
        else:
            foreign.append(_term_label(attribute))
    for language in service.get("languages") or []:
        code = language.get("code") if isinstance(language, dict) else None
        found = vocabulary.by_code.get(("language", code)) if isinstance(code, str) else None
        if found:
            terms["language"].add(found[1])
        elif isinstance(language, dict) and (language.get("name") or code):
            foreign.append(f"{language.get('name') or code} (language)")
    if foreign:
        notes.append("Terms from the source to classify: " + "; ".join(sorted(set(foreign))) + ".")

    focus = next(iter(terms.pop("focus")), None)
    focus_extension = service.get("x_focus") if isinstance(service.get("x_focus"), dict) else {}
    if focus is None and focus_extension.get("value") in Focus.values:
        focus = focus_extension["value"]
    if focus is None:
        focus = Focus.NON_SPECIALISED
        notes.append("The source does not give a focus on the parent-infant relationship: 'non-specialised' is a "
                     "placeholder until a curator sets it.")

    cost_options = _records(service.get("cost_options"))
    cost, fees = "", prose(service.get("fees_description"), "fees_description") or prose(service.get("fees"), "fees")
    if service.get("x_cost") in Cost.values:
        cost = service["x_cost"]
    else:
        amounts = [option.get("amount") for option in cost_options]
        if amounts and all(amount == 0 for amount in amounts):
            cost = Cost.FREE
        elif any(isinstance(amount, (int, float)) and amount > 0 for amount in amounts):
            cost = Cost.PAID
    if not fees:
        # The directory holds a cost (free, paid, varies) and the cost details in words: each
        # option becomes a line of those words.
        fees = "\n".join(line for line in (_cost_line(option, prose) for option in cost_options) if line)
    dated = [option for option in cost_options if option.get("valid_from") or option.get("valid_to")]
    if dated:
        notes.append("Cost options' dates in the source, not kept: " + "; ".join(
            f"{_text(o.get('option')) or 'an option'} from {_shown(o.get('valid_from') or '?')} "
            f"to {_shown(o.get('valid_to') or '?')}" for o in dated) + ".")

    phones = _records(service.get("phones"))
    for contact in _records(service.get("contacts")):
        phones += _records(contact.get("phones"))
    phone = _text(phones[0].get("number")) if phones else ""
    if len(phone) > 40:
        warn(f"Phone number {phone[:60]!r} left out: too long.")
        phone = ""
    others = sorted({_text(p.get("number")) for p in phones[1:] if _text(p.get("number"))} - {phone})
    if others:
        notes.append("Other phone numbers in the source, not kept (one is held): " + ", ".join(others) + ".")
    kept = {phone, _text(service.get("email"))}
    contacts = [_contact_line(contact, kept) for contact in _records(service.get("contacts"))]
    if any(contacts):
        notes.append("Contacts in the source, not kept (the directory holds no named contacts): "
                     + "; ".join(c for c in contacts if c) + ".")

    coverage = service.get("x_coverage") if isinstance(service.get("x_coverage"), dict) else None
    chosen_districts = []
    if coverage and coverage.get("type") in CoverageType.values:
        coverage_type = coverage["type"]
        codes = [d.get("ons_code") for d in _records(coverage.get("districts"))]
        chosen_districts = [districts[code] for code in codes if isinstance(code, str) and code in districts]
        locality = _cut(_text(coverage.get("locality")), 120, "Locality", notes)
        locality_district = coverage.get("locality_district") or {}
        code = locality_district.get("ons_code") if isinstance(locality_district, dict) else None
        locality_district = districts.get(code) if isinstance(code, str) else None
    else:
        areas = [_text(area.get("name")) for area in _records(service.get("service_areas"))]
        areas = [area for area in areas if area]
        by_name = {district.name.lower(): district for district in districts.values()}
        locality, locality_district = "", None
        if not areas:
            coverage_type = CoverageType.CITY_WIDE
            notes.append("The source does not say what area the service covers: 'city-wide' is a placeholder.")
        elif any(area.lower() == "birmingham" for area in areas):
            coverage_type = CoverageType.CITY_WIDE
        elif all(area.lower() in by_name for area in areas):
            coverage_type = CoverageType.DISTRICTS
            chosen_districts = [by_name[area.lower()] for area in areas]
        else:
            coverage_type, locality = CoverageType.LOCALITY, _cut(", ".join(areas), 120, "Areas served", notes)

    # Routes travel only in our own extension; without it, curators' routes on a draft stay.
    # Each is (key, values): the key (the feed's route id, else what the route says) is how a
    # re-import finds the route it wrote last time (directory/openreferral/merge.py).
    routes = [] if isinstance(service.get("x_referral_routes"), list) else None
    for route in service.get("x_referral_routes") or []:
        if not isinstance(route, dict) or route.get("referrer") not in Referrer.values:
            warn("A referral route without a known 'referrer' was left out.")
            continue
        values = {
            "referrer": route["referrer"],
            "professions": _text(route.get("professions"), 200),
            "method": route.get("method") if route.get("method") in ReferralMethod.values else "",
            "how_to_refer": prose(route.get("how_to_refer"), "how_to_refer"),
            "acceptance_criteria": prose(route.get("acceptance_criteria"), "acceptance_criteria"),
            "exclusions": prose(route.get("exclusions"), "exclusions"),
            "waiting_time": _text(route.get("waiting_time"), 120),
            "consent_required": route.get("consent_required") if route.get("consent_required") in Consent.values else "",
            "url": _safe_url(route.get("url"), warn, "A referral link"),
            "contact": _text(route.get("contact"), 200),
            "is_preferred": route.get("is_preferred") is True,
        }
        key = parse_uuid(route["id"]) if isinstance(route.get("id"), str) else None
        if key is None or key in {known for known, _ in routes}:
            key = content_key(values)
        while key in {known for known, _ in routes}:  # the same route twice
            key += "+"
        routes.append((key, values))
    if routes is None and _text(service.get("application_process")):
        notes.append(f"How to apply, from the source (enter it as referral routes): "
                     f"{prose(service['application_process'], 'application_process')}")

    locations = []
    for sal in service.get("service_at_locations") or []:
        if not (isinstance(sal, dict) and isinstance(sal.get("location"), dict)):
            continue
        location = sal["location"]
        addresses = _records(location.get("addresses"))
        postcode = _text(addresses[0].get("postal_code")) if addresses else ""
        result = postcode_lookup(postcode)
        if not result.found:
            label = _text(location.get("name")) or (_text(addresses[0].get("address_1")) if addresses else "")
            warn(f"Location {label or '(no name)'} ({postcode or 'no postcode'}) left out: not a Birmingham postcode "
                 "we know.")
            continue
        locations.append((parse_uuid(str(sal.get("id") or "")), location, prose(sal.get("description"), "service_at_locations.description", 200), result))

    if service.get("status") != "active":
        notes.append(f"The source lists this service as {service['status']}.")
    parent_ages = service.get("x_parent_age_years") if isinstance(service.get("x_parent_age_years"), dict) else {}

    def parent_age(key):
        value = parent_ages.get(key)
        return value if isinstance(value, int) and 0 <= value <= 150 else None

    parent_min, parent_max = parent_age("min"), parent_age("max")
    if parent_min is not None and parent_max is not None and parent_min > parent_max:
        parent_min = parent_max = None
    # Schedules that say when become sessions (directory/whatson/oruk.py); the rest are words.
    schedules = [prose(s.get("description"), "schedules.description") for s in _records(service.get("schedules"))
                 if not is_structured(s)]
    funding = [_text(f.get("source")) for f in _records(service.get("funding"))]
    _note_unkept(service, notes)
    fields = {
        "name": name, "summary": summary, "description": description,
        "url": _safe_url(service.get("url"), warn, "The website"),
        "email": _email(service.get("email"), warn, "The email"),
        "phone": phone,
        "age_range": age_range, "age_from_months": age_from, "age_to_months": age_to,
        "eligibility_description": prose(service.get("eligibility_description"), "eligibility_description"),
        "parent_min_age_years": parent_min, "parent_max_age_years": parent_max,
        "cost": cost, "fees_description": fees,
        "schedule_description": "\n".join(s for s in schedules if s),
        "commissioned_by": _cut("; ".join(f for f in funding if f), 200, "Funding", notes),
        "alert": prose(service.get("alert"), "alert"),
        "audience": service.get("x_audience") if service.get("x_audience") in Audience.values else Audience.EVERYONE,
        "focus": focus,
        "coverage_type": coverage_type, "locality": locality, "locality_district": locality_district,
        "no_referral_route_reason": _text(service.get("x_no_referral_route_reason")),
    }
    if converted:
        notes.append("The source's " + ", ".join(converted) + " held HTML: converted to plain text (paragraphs, "
                     "lists and links kept as text). Check the wording.")
    return Mapped(id=parse_uuid(service["id"]), name=name, fields=fields, terms=terms, districts=chosen_districts,
                  routes=routes, locations=locations, organisation=service["organization"], notes=notes,
                  warnings=warnings, source_address=source_address,
                  schedules=[s for s in _records(service.get("schedules")) if is_structured(s)])


# --- Writing ----------------------------------------------------------------------

def _unique_slug(model, name, fallback):
    base = slugify(name)[:180] or fallback
    slug, number = base, 1
    while model.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base}-{number}"
    return slug


class Writer:
    def __init__(self, *, source, kind, source_url, reason):
        self.source, self.kind, self.source_url, self.reason = source, kind, source_url, reason
        self.today = timezone.localdate()

    def fact(self, owner, fieldname, address):
        extra = {"section": "Open Referral feed"}
        if self.kind == SourceKind.PUBLIC_PAGE:
            extra |= {"source_url": address or self.source_url, "read_on": self.today}
        else:
            extra |= {"note": f"Imported from {self.source}."}
        record_fact(owner=owner, field=fieldname, kind=self.kind, **extra)

    def find_organisation(self, data):
        """The organisation here that the feed's stands for (same id, or same name), or None."""
        return (Organisation.objects.filter(uuid=parse_uuid(data["id"])).first()
                or Organisation.objects.filter(name__iexact=_text(data["name"], 200)).first())

    def organisation(self, data, warn):
        found = self.find_organisation(data)
        if found:
            return found, False
        name = _text(data["name"], 200)
        organisation = Organisation(
            uuid=parse_uuid(data["id"]), name=name, slug=_unique_slug(Organisation, name, "organisation"),
            sector=data.get("x_sector") if data.get("x_sector") in Sector.values else "",
            description=plain_text(_text(data.get("description"))),
            url=_safe_url(data.get("website") or data.get("url"), warn, "The organisation's website"),
            email=_email(data.get("email"), warn, "The organisation's email"),
        )
        organisation.full_clean()
        organisation._change_reason = self.reason
        organisation.save()
        return organisation, True

    def venue(self, location, result):
        """The venue for a location whose postcode we know (`result`): reused, or created."""
        addresses = _records(location.get("addresses"))
        address = addresses[0] if addresses else {}
        name = _text(location.get("name"), 200) or _text(address.get("address_1"), 200)
        location_id = parse_uuid(str(location.get("id") or ""))
        found = ((location_id and Venue.objects.filter(uuid=location_id).first())
                 or Venue.objects.filter(name=name or result.postcode, postcode=result.postcode).first())
        if found:
            return found, False
        lines = [_text(address.get(k)) for k in ("address_1", "address_2") if _text(address.get(k))]
        if lines == [name]:
            lines = []  # addressed by its name alone (as our own API does for a venue without a street address)
        venue = Venue(name=name or result.postcode,
                      address=_text(", ".join(lines), 300),
                      accessibility="\n".join(_text(a.get("description")) for a in _records(location.get("accessibility"))
                                              if _text(a.get("description"))))
        if location_id:
            venue.uuid = location_id
        venue.locate(result)
        venue._change_reason = self.reason
        venue.save()
        return venue, True

    def service(self, mapped, report):
        """Create one draft, or merge the feed's changes into one without undoing a curator's
        (directory/openreferral/merge.py). Returns nothing; adds to the report."""
        def warn(text):
            mapped.warnings.append(text)
            mapped.notes.append(text)

        # Locked until the import commits, so two imports never merge into one draft at once.
        existing = Service.objects.select_for_update().filter(uuid=mapped.id).first()
        if existing and existing.status != Status.DRAFT:
            report.skipped.append((mapped.name, f"it is {existing.get_status_display().lower()} here; "
                                                "curators' records are never overwritten by an import."))
            return
        members = [*mapped.fields, *M2M, "organisation"]
        theirs = self.theirs(mapped)
        conflicts = []
        if existing is None:
            organisation, new_organisation = self.organisation(mapped.organisation, warn)
            theirs["organisation"] = organisation.pk
            service = Service(uuid=mapped.id, status=Status.DRAFT, slug=_unique_slug(Service, mapped.name, "service"),
                              organisation=organisation, **mapped.fields)
            service.curator_notes = with_import_notes("", self.import_notes(mapped))
            service.full_clean(exclude=["slug"])
            service._change_reason = self.reason  # also names the many-to-many changes' history rows
            service.save()
            stored, base, taken, changed = None, {}, set(members), True
        else:
            service, new_organisation = existing, False
            stored = OrukImportBase.objects.filter(service=service).first()
            base = stored.values if stored else history_base(service, members)
            before = _snapshot(service)
            ours = ours_values(service, members)
            taken = set()
            for part in parts(members):
                was = tuple(base.get("fields", {}).get(member, MISSING) for member in part)
                now, new = tuple(ours[member] for member in part), tuple(theirs[member] for member in part)
                decision = decide(was, now, new)
                if decision == TAKE:
                    taken.update(part)
                elif decision == CONFLICT:
                    conflicts.append(field_conflict(part, was, now, new))
            for member in taken - set(M2M):
                if member == "organisation":
                    service.organisation, new_organisation = self.organisation(mapped.organisation, warn)
                    theirs["organisation"] = service.organisation_id
                else:
                    setattr(service, attname(member), theirs[member])
            service._change_reason = self.reason
            changed = False
        routes = base.get("routes") or {}
        if mapped.routes is not None:
            routes, routes_changed = self.merge_routes(service, mapped.routes, routes, conflicts)
            changed |= routes_changed
        venues, venues_changed = self.merge_venues(service, mapped, base.get("venues") or {}, conflicts)
        changed |= venues_changed
        noted = len(mapped.notes)
        changed |= import_schedules(service, mapped.schedules, source=self.source, reason=self.reason, warn=warn)
        if existing is None and len(mapped.notes) > noted:
            # A new draft's notes were written before its schedules were read: add what they left out.
            service.curator_notes = with_import_notes("", self.import_notes(mapped))
            service.save(update_fields=["curator_notes"])
        if existing is not None:
            # The import's own notes describe this run, replacing the last run's; a curator's
            # notes and earlier conflicts stay.
            service.curator_notes = with_import_notes(service.curator_notes, self.import_notes(mapped))
            if conflicts:
                service.curator_notes = "\n".join(
                    [service.curator_notes] * bool(service.curator_notes)
                    + [f"Import of {self.today.isoformat()} from {self.source}: {text}" for text in conflicts])
            service.full_clean(exclude=["slug"])
            if _snapshot(service) != before:
                service.save()
                changed = True
        for member in taken & set(M2M):
            manager = getattr(service, member)
            if sorted(manager.values_list("pk", flat=True)) != theirs[member]:
                manager.set(theirs[member])
                changed = True
        self.service_facts(service, mapped, new_organisation, taken)
        self.remember(service, stored, {"fields": theirs, "routes": routes, "venues": venues})
        report.warnings += [(mapped.name, text) for text in mapped.warnings + conflicts]
        (report.created if existing is None else report.updated if changed else report.unchanged).append(mapped.name)

    def import_notes(self, mapped):
        return [f"Imported from {self.source} (Open Referral id {mapped.id}) as a draft: classify and check it "
                "before publishing."] + list(dict.fromkeys(mapped.notes))

    def theirs(self, mapped):
        """What the feed says, in the form the base keeps: related records by primary key, sets
        as sorted lists, and an organisation not yet here as "new:<its id>" (created only if taken)."""
        values = {name: value.pk if isinstance(value, District) else value for name, value in mapped.fields.items()}
        for member, taxonomy in M2M.items():
            rows = mapped.districts if taxonomy is None else mapped.terms[taxonomy]
            values[member] = sorted({row.pk for row in rows})
        found = self.find_organisation(mapped.organisation)
        values["organisation"] = found.pk if found else f"new:{parse_uuid(mapped.organisation['id'])}"
        return values

    def remember(self, service, stored, values):
        """Keep what the feed said as the next run's base: written only when it changed."""
        if stored is None:
            OrukImportBase.objects.create(service=service, source=self.source[:500], values=values)
        elif stored.values != values:
            stored.values, stored.source, stored.imported_at = values, self.source[:500], timezone.now()
            stored.save()

    def merge_routes(self, service, routes, base, conflicts):
        """Each feed route against the one it wrote last time (by key), field by field. Returns
        (the routes' next base, whether anything was written)."""
        ours = {route.pk: route for route in service.referral_routes.all()}
        claimed = {entry["pk"] for entry in base.values()}
        remaining = dict(base)
        next_order = max((route.order for route in ours.values()), default=-1) + 1
        new_base, changed = {}, False
        for key, values in routes:
            entry = remaining.pop(key, None) or remaining.pop(content_key(values), None)
            if entry is None:
                # New in the feed. A route here that says the same is not doubled; if the import did
                # not write it, it stays the curator's (left out of the base, so never removed).
                same = next((r for r in ours.values() if r.pk not in claimed and route_values(r) == values), None)
                if same is None:
                    route = ReferralRoute(service=service, order=next_order, **values)
                    if parse_uuid(key) == key and not ReferralRoute.objects.filter(uuid=key).exists():
                        route.uuid = key  # the feed's id: a route keeps its id from directory to directory
                    next_order += 1
                    self.save_route(route, ROUTE_FIELDS)
                    claimed.add(route.pk)
                    new_base[key] = {"pk": route.pk, "values": values}
                    changed = True
                continue
            new_base[key] = {"pk": entry["pk"], "values": values}
            route = ours.get(entry["pk"])
            if route is None:
                if values != entry["values"]:
                    conflicts.append(f"{route_name(values)}: the feed changed it, but it was removed here; "
                                     "it stays removed.")
                continue
            current, taken = route_values(route), []
            for name in ROUTE_FIELDS:
                was = entry["values"].get(name, MISSING)
                decision = decide(was, current[name], values[name])
                if decision == TAKE:
                    setattr(route, name, values[name])
                    taken.append(name)
                elif decision == CONFLICT:
                    conflicts.append(route_conflict(current, name, was, current[name], values[name]))
            if taken:
                self.save_route(route, taken)
                changed = True
        for entry in remaining.values():  # routes the feed no longer lists
            route = ours.get(entry["pk"])
            if route is None:
                continue
            if route_values(route) == entry["values"]:
                route._change_reason = self.reason
                route.delete()
                changed = True
            else:
                conflicts.append(f"{route_name(route_values(route))}: the feed no longer lists it, but it was "
                                 "changed here; it is kept.")
        return new_base, changed

    def save_route(self, route, names):
        route.full_clean()
        route._change_reason = self.reason
        route.save()
        for fieldname in ("referrer", "how_to_refer", "acceptance_criteria", "exclusions", "waiting_time",
                          "contact", "url"):
            if fieldname in names and (fieldname == "referrer" or getattr(route, fieldname)):
                self.fact(route, fieldname, "")

    def merge_venues(self, service, mapped, base, conflicts):
        """Each feed location's placement against the one the import made last time (by venue).
        Returns (the placements' next base, whether anything was written)."""
        ours = {placement.pk: placement for placement in service.service_at_locations.select_related("venue")}
        by_venue = {placement.venue_id: placement for placement in ours.values()}
        new_base, seen, changed = {}, set(), False
        for sal_id, location, note, postcode in mapped.locations:
            venue, new_venue = self.venue(location, postcode)
            if new_venue and (venue.address or venue.name):
                self.fact(venue, "address", mapped.source_address)
            key = str(venue.pk)
            if key in seen:
                continue
            seen.add(key)
            entry = base.get(key)
            if entry is None:
                # New in the feed. A placement here at that venue is the curator's: left as it is,
                # and out of the base, so never removed.
                if venue.pk not in by_venue:
                    placement = ServiceAtLocation(service=service, venue=venue, note=note)
                    if sal_id and not ServiceAtLocation.objects.filter(uuid=sal_id).exists():
                        placement.uuid = sal_id
                    placement._change_reason = self.reason
                    placement.save()
                    new_base[key] = {"pk": placement.pk, "note": note}
                    changed = True
                continue
            new_base[key] = {"pk": entry["pk"], "note": note}
            placement = ours.get(entry["pk"])
            if placement is None or placement.venue_id != venue.pk:
                continue  # removed (or moved) here: it stays so
            decision = decide(entry["note"], placement.note, note)
            if decision == TAKE:
                placement.note = note
                placement._change_reason = self.reason
                placement.save()
                changed = True
            elif decision == CONFLICT:
                conflicts.append(f"venue {venue}, note: the feed now says '{note}' (it said '{entry['note']}'), "
                                 f"but it was changed here to '{placement.note}'; the change made here is kept.")
        for key, entry in base.items():
            placement = ours.get(entry["pk"])
            if key in seen or placement is None or str(placement.venue_id) != key:
                continue  # still in the feed, or already removed or moved here
            if placement.note == entry["note"]:
                placement._change_reason = self.reason
                placement.delete()
                changed = True
            else:
                conflicts.append(f"venue {placement.venue}: the feed no longer lists it, but it was changed here; "
                                 "it is kept.")
        return new_base, changed

    def service_facts(self, service, mapped, new_organisation, taken):
        """The feed becomes the source of each fact whose value was taken from it this run; a
        fact whose value was kept (a curator's) keeps its own source."""
        f = mapped.fields
        present = {
            "organisation": True, "phone": f["phone"], "email": f["email"], "url": f["url"],
            "age_range": f["age_range"] != AgeRange.NOT_STATED, "eligibility": f["eligibility_description"],
            "cost": f["cost"] or f["fees_description"], "languages": mapped.terms["language"],
            "delivery_modes": mapped.terms["delivery"], "schedule": f["schedule_description"],
            "interventions": mapped.terms["intervention"],
        }
        for fieldname, value in present.items():
            if value and FACT_MEMBERS[fieldname] & taken:
                self.fact(service, fieldname, mapped.source_address)
        if new_organisation and service.organisation.url:
            self.fact(service.organisation, "url", mapped.source_address)


# Which merged members each service fact vouches for.
FACT_MEMBERS = {
    "organisation": {"organisation"}, "phone": {"phone"}, "email": {"email"}, "url": {"url"},
    "age_range": {"age_range", "age_from_months", "age_to_months"}, "eligibility": {"eligibility_description"},
    "cost": {"cost", "fees_description"}, "languages": {"languages"}, "delivery_modes": {"delivery_modes"},
    "schedule": {"schedule_description"}, "interventions": {"interventions"},
}


def with_import_notes(notes, lines):
    """`notes` (a draft's curator notes) with the import's block replaced by `lines`, at the top;
    whatever else is there (a curator's words, dated conflicts) stays as it was."""
    rest = notes or ""
    start, end = rest.find(IMPORT_NOTES_START), rest.find(IMPORT_NOTES_END)
    if start != -1 and end > start:
        rest = (rest[:start] + rest[end + len(IMPORT_NOTES_END):]).strip("\n")
    block = "\n".join([IMPORT_NOTES_START, *lines, IMPORT_NOTES_END])
    return block + ("\n" + rest if rest else "")


def _snapshot(service):
    return {name: getattr(service, name) for name in (
        "name", "summary", "description", "url", "email", "phone", "age_range", "age_from_months", "age_to_months",
        "eligibility_description", "parent_min_age_years", "parent_max_age_years", "cost", "fees_description",
        "schedule_description", "commissioned_by", "alert", "audience", "focus", "coverage_type", "locality",
        "locality_district_id", "no_referral_route_reason", "organisation_id", "curator_notes")}


def import_services(services, *, source, source_url="", addresses=None, progress=None):
    """Check, map and write `services` (parsed JSON) in one transaction. Raises FeedError
    with every problem, having written nothing; returns an ImportReport."""
    legacy = check_services(services, source) if legacy_fields(services) else []
    if legacy:
        raise FeedError(legacy)
    services, skipped = attach_organisations(services, source)
    problems = check_services(services, source)
    if problems:
        raise FeedError(problems)
    vocabulary = Vocabulary()
    districts = {district.code: district for district in District.objects.defer("boundary")}
    addresses = addresses or {}
    mapped = []
    for number, service in enumerate(services, 1):
        try:
            mapped.append(map_service(service, vocabulary, districts, addresses.get(service["id"], source_url)))
        except (TypeError, ValueError, AttributeError, KeyError, ArithmeticError) as error:
            # A shape no check foresaw: still a message naming the record, never a traceback
            # (tests/directory/openreferral/test_oruk_import.py tries every kind of value in every field).
            raise FeedError([f"{source}, service {number} ({_shown(service['name'])}): could not be read "
                             f"({_shown(error, 120)})."]) from error
    kind = SourceKind.PUBLIC_PAGE if source_url or addresses else SourceKind.PROVIDER
    writer = Writer(source=source, kind=kind, source_url=source_url, reason=_change_reason(source))
    report = ImportReport(skipped=skipped)
    # Each service's search-table rows are computed once, at the end (docs/adr/0012).
    with transaction.atomic(), deferred_refresh():
        for number, item in enumerate(mapped, 1):
            try:
                writer.service(item, report)
            except ValidationError as error:
                raise FeedError([f"{source}, service {number} ({item.name}): {_messages(error)}"]) from error
            if progress:
                progress(number, len(mapped), "imported")
    return report


def _change_reason(source):
    # simple-history keeps 100 characters; PostgreSQL refuses more.
    reason = f"{IMPORT_REASON} {source}"  # history_base finds an import's rows by it
    return reason if len(reason) <= 100 else reason[:99] + "…"


def _messages(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"field '{name}': {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)
