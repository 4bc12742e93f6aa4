"""One function builds each API payload; the views and the tests both call them.

Shapes follow the Open Referral UK 3.0 compiled schemas (`service_list.json` for list
items, `service.json` for one service, `service_at_location_list.json`,
`taxonomy.json`, `taxonomy_term.json`). Fields those schemas lack come in two kinds,
both listed in docs/hsds-mapping.md and in our OpenAPI document:
- HSDS 3.0 core fields the UK profile leaves out (`eligibility_description`,
  `application_process`, `fees_description`, `phones`, language `name` and `code`,
  term `code`), under their HSDS names;
- the directory's own, prefixed `x_` (ages in months, referral routes, coverage, audience,
  sources of facts ...).

Optional fields without a value are left out, as the compliance criteria ask ("optional
fields without a value should be omitted rather than included with null or empty values"):
`_omit_empty` drops None, "" and [] from the profile's fields. Required fields stay even when
empty (an organisation's `description`); our `x_` extensions keep their documented shapes.

Only public fields are read here: curator notes, owners, review dates, pending changes
and facts' private notes never reach a payload. Callers pass only published services.
Nothing here queries the database: it reads what the selectors prefetched.
"""
from decimal import ROUND_HALF_UP, Decimal

from django.utils.timezone import localtime

from directory.openreferral.api.ids import derived_id
from directory.openreferral.api.taxonomies import FOCUS, TAXONOMIES_BY_KEY, term_of
from directory.models import AgeRange, Cost, CoverageType, Focus, ReferralMethod, Referrer
from directory.models import SourceKind
from directory.core.safe_urls import safe_href
from directory.whatson.oruk import schedules_payload  # issue 23: sessions as ORUK schedules

VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://openreferraluk.org/specifications/3.0"
EXTENSION_VERSION = "1"


def _years(months):
    return float((Decimal(months) / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def age_years(service):
    """(minimum_age, maximum_age) in years, or (None, None) when the service states no range.

    Months are whole months of the baby's age, pregnancy negative, `to` inclusive
    (23 = up to the second birthday). ORUK ages are years and cannot be negative, so:
    minimum_age = max(from, 0) / 12 (pregnancy becomes 0; `x_age_months` keeps the
    months), maximum_age = (to + 1) / 12 (the birthday the range runs up to: 23 -> 2.0),
    or 0 for a range that ends at birth. Two decimals."""
    if service.age_range != AgeRange.RANGE:
        return None, None
    start, end = service.age_from_months, service.age_to_months
    return _years(max(start, 0)), (_years(end + 1) if end > 0 else 0.0)


def _text(value):
    return value if value else None


def _omit_none(data):
    return {key: value for key, value in data.items() if value is not None}


def _omit_empty(data, keep=()):
    """`data` without None, "" or [] values, except in `keep` and in `x_` extensions."""
    return {key: value for key, value in data.items()
            if key in keep or key.startswith("x_") or value not in (None, "", [])}


def _date(value):
    return value.isoformat() if value else None


def description_text(service):
    """HSDS has one description: the summary, then the full description."""
    return "\n\n".join(part for part in (service.summary.strip(), service.description.strip()) if part)


def organisation_payload(organisation):
    """HSDS `organization` (organization.json): `description` is required, so it stays even
    when we hold none."""
    return _omit_empty({
        "id": str(organisation.uuid),
        "name": organisation.name,
        "description": organisation.description,
        "email": organisation.email,
        "website": safe_href(organisation.url),
        "x_sector": _text(organisation.sector),
    }, keep=("description",))


def _service_one_to_one(service):
    minimum_age, maximum_age = age_years(service)
    return _omit_empty({
        "id": str(service.uuid),
        "organization_id": str(service.organisation.uuid),
        "name": service.name,
        "description": description_text(service),
        "url": _text(safe_href(service.url)),
        "email": _text(service.email),
        "status": "active",
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "assured_date": _date(service.last_reviewed),
        "alert": _text(service.alert),
        "last_modified": localtime(service.modified).isoformat(),
        "x_age_months": {"range": service.age_range, "from": service.age_from_months, "to": service.age_to_months},
    })


def service_list_item(service):
    """A service in a list: its one-to-one fields and its organisation (service_list.json).
    Needs `organisation`."""
    return {**_service_one_to_one(service), "organization": organisation_payload(service.organisation)}


def service_minimal_item(service):
    """`minimal`: just what tells a consumer whether to fetch the service again (its id and
    last modification), with the name and status the list schema requires."""
    return {"id": str(service.uuid), "name": service.name, "status": "active",
            "last_modified": localtime(service.modified).isoformat()}


def _attribute(service, term):
    return {
        "id": derived_id("attribute", service.uuid, term.id),
        "link_id": str(service.uuid),
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term.id,
        "taxonomy_term": taxonomy_term_payload(term),
    }


def service_terms(service):
    """Every taxonomy term of the service, in taxonomy order (reads the prefetched relations)."""
    terms = []
    for key in ("level", "focus", "need", "intervention", "delivery", "language"):
        taxonomy = TAXONOMIES_BY_KEY[key]
        if taxonomy is FOCUS:
            if service.focus:
                terms.append(next(t for t in _focus_terms() if t.code == service.focus))
            continue
        terms += [term_of(taxonomy, row) for row in getattr(service, taxonomy.service_field).all()]
    return terms


def _focus_terms():
    from directory.openreferral.api.taxonomies import focus_terms

    return focus_terms()


def _cost_options(service):
    if not service.cost:
        return []
    option = {"id": derived_id("cost", service.uuid), "service_id": str(service.uuid), "option": Cost(service.cost).label}
    if service.cost == Cost.FREE:
        option["amount"] = 0
    if service.fees_description:
        option["amount_description"] = service.fees_description
    return [option]


def _contacts(service):
    """HSDS `contact`s: one for the service's own phone and e-mail. The UK profile's contact
    has no field for either, so they go where HSDS 3.0 puts them: the contact's `email` and
    its `phones` (the profile's phone.json, linked by `contact_id`). No name: none is recorded."""
    if not (service.phone or service.email):
        return []
    contact_id = derived_id("contact", service.uuid)
    return [_omit_empty({
        "id": contact_id,
        "service_id": str(service.uuid),
        "email": service.email,
        "phones": [{"id": derived_id("phone", service.uuid), "contact_id": contact_id, "number": service.phone}]
        if service.phone else [],
    })]


def _service_areas(service):
    def area(key, name, **extra):
        return _omit_empty({"id": derived_id("area", service.uuid, key), "service_id": str(service.uuid), "name": name,
                            **extra})

    if service.coverage_type == CoverageType.CITY_WIDE:
        return [area("city", "Birmingham", extent_type="x_city_wide")]
    if service.coverage_type == CoverageType.DISTRICTS:
        return [area(d.code, d.name, extent_type="x_district", x_ons_code=d.code) for d in service.coverage_districts.all()]
    extra = {"x_district": service.locality_district.name} if service.locality_district_id else {}
    return [area("locality", service.locality, extent_type="x_locality", **extra)]


def _coverage(service):
    return {
        "type": service.coverage_type,
        "districts": [{"name": d.name, "ons_code": d.code} for d in service.coverage_districts.all()]
        if service.coverage_type == CoverageType.DISTRICTS else [],
        "locality": service.locality if service.coverage_type == CoverageType.LOCALITY else "",
        "locality_district": (
            {"name": service.locality_district.name, "ons_code": service.locality_district.code}
            if service.coverage_type == CoverageType.LOCALITY and service.locality_district_id else None
        ),
    }


def route_id(service, route):
    """The route's own `uuid` (migration 0023 gave existing routes the id derived from their
    service and row number, which the API published before; an import keeps the feed's)."""
    return str(route.uuid)


def _route(service, route):
    return {
        "id": route_id(service, route),
        "referrer": route.referrer,
        "referrer_label": Referrer(route.referrer).label,
        "professions": route.professions,
        "method": route.method,
        "method_label": ReferralMethod(route.method).label if route.method else "",
        "how_to_refer": route.how_to_refer,
        "acceptance_criteria": route.acceptance_criteria,
        "exclusions": route.exclusions,
        "waiting_time": route.waiting_time,
        "consent_required": route.consent_required,
        "url": safe_href(route.url),
        "contact": route.contact,
        "is_preferred": route.is_preferred,
    }


def application_process(service, routes):
    """HSDS `application_process` in plain words, from the structured routes."""
    lines = []
    for route in routes:
        who = Referrer(route.referrer).label
        if route.professions:
            who += f" ({route.professions})"
        how = route.how_to_refer or (ReferralMethod(route.method).label if route.method else "")
        lines.append(f"{who}: {how}" if how else who)
    return "\n".join(lines) or service.no_referral_route_reason


def location_payload(venue, *, full=False):
    """HSDS `location` for a venue. `full` adds the address and accessibility notes."""
    location = _omit_none({
        "id": str(venue.uuid),
        "location_type": "physical",
        "name": venue.name,
        "latitude": venue.lat,
        "longitude": venue.lon,
    })
    if full:
        # address.json requires address_1 and postal_code: a venue with no street address is
        # addressed by its name (as a letter would be); one without a postcode gets no address.
        location["addresses"] = [{
            "id": derived_id("address", venue.uuid),
            "location_id": str(venue.uuid),
            "address_1": venue.address or venue.name,
            "city": "Birmingham",
            "state_province": "West Midlands",
            "postal_code": venue.postcode,
            "country": "GB",
            "address_type": "physical",
        }] if venue.postcode and (venue.address or venue.name) else []
        location["accessibility"] = [
            {"id": derived_id("accessibility", venue.uuid), "location_id": str(venue.uuid),
             "description": venue.accessibility}
        ] if venue.accessibility else []
        if venue.district_id:
            location["x_district"] = {"name": venue.district.name, "ons_code": venue.district.code}
    return _omit_empty(location)


def _source_kind_label(kind):
    return SourceKind(kind).label


def provenance(facts, owners):
    """`x_provenance`: where each recorded fact came from and whether the IMHSG has confirmed
    it. `owners` is a list of (about, object, id) for the service, its routes, venues and
    organisation. Facts' private notes and who confirmed them are never included."""
    entries = []
    for about, obj, owner_id in owners:
        for fact in facts.all_for(obj):
            entries.append(_omit_none({
                "about": about,
                "about_id": owner_id,
                "field": fact.field,
                "source": fact.kind,
                "source_label": _source_kind_label(fact.kind),
                "section": _text(fact.section),
                "source_url": _text(safe_href(fact.source_url)),
                "read_on": _date(fact.read_on),
                "confirmed": fact.confirmed_on is not None,
                "confirmed_on": _date(fact.confirmed_on),
            }))
    return entries


def service_payload(service, facts, *, page_url=""):
    """One service with everything public (service.json), from `selectors.api_service_get`.
    `facts` is a FactIndex of the service's facts."""
    uuid = str(service.uuid)
    routes = list(service.referral_routes.all())
    placements = list(service.service_at_locations.all())
    payload = service_list_item(service)
    payload.update(_omit_empty({
        # Regular sessions (issue 23, directory/whatson/oruk.py), then the opening times in words.
        "schedules": schedules_payload(service.sessions.all(), uuid) + (
            [{"id": derived_id("schedule", uuid), "service_id": uuid,
              "description": service.schedule_description}] if service.schedule_description else []),
        "service_areas": _service_areas(service),
        "service_at_locations": [
            {"id": str(sal.uuid), "service_id": uuid, "location_id": str(sal.venue.uuid),
             "location": location_payload(sal.venue, full=True), **({"description": sal.note} if sal.note else {})}
            for sal in placements
        ],
        "languages": [
            {"id": derived_id("language", uuid, language.code), "service_id": uuid,
             "name": language.name, "code": language.code}
            for language in service.languages.all()
        ],
        "funding": [{"id": derived_id("funding", uuid), "service_id": uuid, "source": service.commissioned_by}]
        if service.commissioned_by else [],
        "cost_options": _cost_options(service),
        "contacts": _contacts(service),
        "phones": [{"id": derived_id("phone", uuid), "service_id": uuid, "number": service.phone}] if service.phone else [],
        "attributes": [_attribute(service, term) for term in service_terms(service)],
        "eligibility_description": service.eligibility_description,
        "fees_description": service.fees_description,
        "application_process": application_process(service, routes),
        "x_extension_version": EXTENSION_VERSION,
        "x_summary": service.summary,
        "x_description": service.description,
        "x_page_url": _text(page_url),
        "x_parent_age_years": {"min": service.parent_min_age_years, "max": service.parent_max_age_years},
        "x_focus": {"value": service.focus, "label": Focus(service.focus).label, "confirmed": service.focus_confirmed},
        "x_referral_routes": [_route(service, route) for route in routes],
        "x_no_referral_route_reason": service.no_referral_route_reason,
        "x_coverage": _coverage(service),
        "x_audience": service.audience,
        "x_cost": service.cost,
        "x_provenance": provenance(facts, [
            ("service", service, uuid),
            ("organization", service.organisation, str(service.organisation.uuid)),
            *[("referral_route", route, route_id(service, route)) for route in routes],
            *[("location", sal.venue, str(sal.venue.uuid)) for sal in placements],
        ]),
    }))
    return payload


def service_at_location_list_item(sal):
    """A service at a venue (service_at_location_list.json). Needs `venue`, `service` and
    `service__organisation`."""
    payload = {
        "id": str(sal.uuid),
        "service_id": str(sal.service.uuid),
        "location_id": str(sal.venue.uuid),
        "location": location_payload(sal.venue),
        "service": service_list_item(sal.service),
    }
    if sal.note:
        payload["description"] = sal.note
    return payload


def service_at_location_full_item(sal):
    """`full=true` on the list: the item with the venue's address and accessibility. Needs
    `venue__district` too."""
    return {**service_at_location_list_item(sal), "location": location_payload(sal.venue, full=True)}


def service_at_location_payload(sal, facts):
    """One service at a venue: the list item with the venue's address and accessibility, and
    the sources of the venue's facts. Needs `venue__district` too."""
    payload = service_at_location_list_item(sal)
    payload["location"] = location_payload(sal.venue, full=True)
    payload["x_provenance"] = provenance(facts, [("location", sal.venue, str(sal.venue.uuid))])
    return payload


def taxonomy_term_payload(term):
    # Our taxonomies are flat: no term has a parent_id.
    return {
        "id": term.id,
        "code": term.code,
        "name": term.name,
        "description": term.description,
        "taxonomy": term.taxonomy.name,
        "taxonomy_id": term.taxonomy.id,
        "term": term.code,
    }


def taxonomy_payload(taxonomy, terms=None):
    """A taxonomy; with `terms` (a list of Term), its terms too."""
    payload = {"id": taxonomy.id, "name": taxonomy.name, "description": taxonomy.description,
               "version": EXTENSION_VERSION, "x_key": taxonomy.key}
    if terms is not None:
        payload["taxonomy_terms"] = [taxonomy_term_payload(term) for term in terms]
    return payload


def organisation_full_payload(organisation, services):
    """An organisation with its published services (`full`: list items; `full_service`: each
    in full, as already built by the caller)."""
    return {**organisation_payload(organisation), "services": services}


def page_payload(*, items, total, page_number, per_page, requested_per_page=None):
    """The ORUK paginated envelope (OpenAPI `Page`) around `items`, already built.
    total_pages is 0 when nothing matches; a page past the last is empty (`empty` true), not
    an error. A per_page above the maximum was capped: `x_per_page` says so."""
    total_pages = -(-total // per_page) if total else 0
    notice = {} if requested_per_page is None else {"x_per_page": {
        "requested": requested_per_page, "given": per_page,
        "message": f"per_page is at most {per_page}: this page holds up to {per_page} items."}}
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(items),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not items,
        "contents": items,
        **notice,
    }


def root_payload(*, openapi_url, docs_url):
    return {"version": VERSION, "profile": PROFILE_URL, "openapi_url": openapi_url, "x_documentation_url": docs_url}

