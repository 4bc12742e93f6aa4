"""Load the seed content: places, taxonomies, the 25 services of the needs assessment, and public facts.

The rule (also in `loadseed --help`): the loader owns only what it created, and
creates each thing once. Every seeded object is remembered in `SeedRecord` by a
stable key from the files (an ONS code, a taxonomy code, a service's `key`),
never by its name or slug. A key already remembered is skipped whatever became
of its object, so a curator's edit, rename, archive or deletion is never undone
or fought. Changing reference data from newer source files is a separate,
explicit command (`updatereference`, directory/seed/reference.py).

Every file is read and checked before anything is written; a bad file raises a
`SeedError` naming the file, the record and the field, and nothing is written.
"""
import csv
import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from shapely.geometry import shape

from directory.core.levels import LEVELS
from directory.models import (
    AgeRange, Audience, Cost, CoverageType, DeliveryMode, Focus, Intervention, Language, Level, Need, Organisation,
    ReferralMethod, ReferralRoute, Referrer, SearchSynonym, Sector, Service, ServiceAtLocation, Status, Venue,
)
from directory.models import SERVICE_FACTS, SeedRecord, SourceKind
from directory.core.provenance import record_fact
from directory.seed.citations import AgeWordsError, SourceText, entry_ages, entry_citations, transcribe_ages
from directory.search.tables import deferred_refresh
from mapping.models import District, Postcode, Ward
from mapping.postcodes import normalise_postcode

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
SERVICES_FILE = "seed_services.yaml"
PUBLIC_FILE = "public_sources.yaml"
PARENTS_FILE = "parent_descriptions.yaml"
SYNONYMS_FILE = "search_synonyms.yaml"
SOURCE_FILE = "needs_assessment.md"

# Delivery modes used by the seed, with their labels.
DELIVERY_MODES = {
    "face_to_face": "Face to face",
    "home_visits": "Home visits",
    "groups": "Groups",
    "drop_in": "Drop-in",
    "telephone": "Telephone",
    "online": "Online",
}

# ISO 639 codes of languages commonly asked for in
# Birmingham; curators can add others in the admin.
LANGUAGES = {
    "en": "English",
    "ur": "Urdu",
    "pa": "Panjabi",
    "bn": "Bengali",
    "ar": "Arabic",
    "pl": "Polish",
    "so": "Somali",
    "ro": "Romanian",
    "ps": "Pashto",
    "ku": "Kurdish",
    "fa": "Persian (Farsi)",
    "zh": "Chinese",
    "pt": "Portuguese",
    "es": "Spanish",
    "ti": "Tigrinya",
    "gu": "Gujarati",
    "bfi": "British Sign Language",
}

REFERRERS = {
    "self_referral": Referrer.SELF,
    "professional_referral": Referrer.PROFESSIONAL,
    "automatic": Referrer.AUTOMATIC,
}

NO_ROUTE_REASON = (
    "The needs assessment (May 2022) this entry comes from does not say how to refer. "
    "The Infant Mental Health Steering Group is confirming the route with the service."
)
NEEDS_ASSESSMENT_SECTION = "Table 3"
PUBLIC_TARGETS = {"service.phone", "service.url", "service.cost", "service.schedule", "organisation.url", "route"}
ROUTE_FIELDS = {"referrer", "method", "how_to_refer", "acceptance_criteria", "exclusions", "contact", "url"}


class SeedError(Exception):
    """A seed file is wrong. The message names the file, the record and the field."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("The seed files have problems; nothing was written:\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)
    created: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)

    def add(self, what, total, created=0):
        self.counts[what] = total
        self.created[what] = created

    def lines(self):
        return [f"{what}: {total} ({self.created[what]} new)" for what, total in self.counts.items()] + self.notes


# --- Reading and checking the files (no writes) -------------------------------------

class _Checker:
    """Collects problems as 'file, record, field: what is wrong'."""

    def __init__(self):
        self.problems = []

    def add(self, file, record, fieldname, message):
        where = ", ".join(part for part in (file, record, f"field '{fieldname}'" if fieldname else "") if part)
        self.problems.append(f"{where}: {message}")

    def raise_if_any(self):
        if self.problems:
            raise SeedError(self.problems[:50] + ([f"... and {len(self.problems) - 50} more"] if len(self.problems) > 50 else []))


def _read_yaml(name, check):
    try:
        data = yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        check.add(name, "", "", f"cannot be read: {exc}")
        check.raise_if_any()
    if not isinstance(data, dict):
        check.add(name, "", "", "must be a mapping at the top level")
        check.raise_if_any()
    return data


def _read_geojson(name, check):
    try:
        features = json.loads((FIXTURES / name).read_text(encoding="utf-8"))["features"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        check.add(name, "", "", f"is not a GeoJSON feature collection: {exc}")
        check.raise_if_any()
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") or {}
        for key in ("code", "name"):
            if not str(props.get(key) or "").strip():
                check.add(name, f"feature {number}", key, "is missing")
        try:
            shape(feature["geometry"])
        except Exception as exc:  # shapely raises several kinds on bad geometry
            check.add(name, f"feature {number} ({props.get('name', '?')})", "geometry", f"is not a valid geometry: {exc}")
    return features


def _read_csv(name, check, columns):
    try:
        with (FIXTURES / name).open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = set(columns) - set(reader.fieldnames or [])
            if missing:
                check.add(name, "header", ", ".join(sorted(missing)), "column is missing")
                check.raise_if_any()
            return list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        check.add(name, "", "", f"cannot be read: {exc}")
        check.raise_if_any()


def _number(check, file, record, fieldname, raw, kind=int):
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        check.add(file, record, fieldname, f"{raw!r} is not a number")
        return None
    return value


def read_seed_files():
    """Read and check every seed file; returns the data, or raises SeedError. Writes nothing."""
    check = _Checker()
    districts = _read_geojson("birmingham_districts.geojson", check)
    wards = _read_geojson("birmingham_wards.geojson", check)
    figures = {}
    for number, row in enumerate(_read_csv("districts.csv", check, [
        "name", "under_2_population_2020", "imd_2019_decile", "deprivation_rank_in_city"]), start=2):
        record = f"row {number} ({row['name']})"
        figures[row["name"]] = {
            "population_under_2": _number(check, "districts.csv", record, "under_2_population_2020", row["under_2_population_2020"]),
            "imd_decile": _number(check, "districts.csv", record, "imd_2019_decile", row["imd_2019_decile"]),
            "deprivation_rank": _number(check, "districts.csv", record, "deprivation_rank_in_city", row["deprivation_rank_in_city"]),
        }
    district_names = {f["properties"].get("name") for f in districts}
    for feature in districts:
        if feature["properties"].get("name") not in figures:
            check.add("districts.csv", "", "name", f"has no row for the district {feature['properties'].get('name')!r}")
    for number, feature in enumerate(wards, start=1):
        if feature["properties"].get("district") not in district_names:
            check.add("birmingham_wards.geojson", f"feature {number} ({feature['properties'].get('name')})", "district",
                      f"{feature['properties'].get('district')!r} is not one of the districts")
    postcodes = {}
    for number, row in enumerate(_read_csv("birmingham_postcodes.csv", check, ["postcode", "lat", "lon", "district"]), start=2):
        record = f"row {number} ({row['postcode']})"
        lat = _number(check, "birmingham_postcodes.csv", record, "lat", row["lat"], float)
        lon = _number(check, "birmingham_postcodes.csv", record, "lon", row["lon"], float)
        if row["district"] and row["district"] not in district_names:
            check.add("birmingham_postcodes.csv", record, "district", f"{row['district']!r} is not one of the districts")
        postcodes[row["postcode"]] = (lat, lon, row["district"] or None)
    services = _read_yaml(SERVICES_FILE, check)
    public = _read_yaml(PUBLIC_FILE, check)
    parents = _read_yaml(PARENTS_FILE, check)
    synonyms = _read_yaml(SYNONYMS_FILE, check)
    try:
        source = SourceText((FIXTURES / SOURCE_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        check.add(SOURCE_FILE, "", "", f"cannot be read: {exc}")
    check.raise_if_any()
    _check_services(services, district_names, postcodes, check)
    _check_public(public, services, check)
    _check_parents(parents, services, check)
    _check_synonyms(synonyms, check)
    if not check.problems:
        _check_citations(services, source, check)
    check.raise_if_any()
    return {"districts": districts, "figures": figures, "wards": wards, "postcodes": postcodes,
            "services": services, "public": public, "parents": parents, "source": source, "synonyms": synonyms}


def _check_services(data, district_names, postcodes, check):
    file = SERVICES_FILE
    for section in ("services", "needs", "interventions"):
        if not isinstance(data.get(section), (list if section == "services" else dict)):
            check.add(file, "", section, "is missing or of the wrong shape")
    if check.problems:
        return
    level_codes = {code for code, *_ in LEVELS}
    keys = set()
    for number, entry in enumerate(data["services"], start=1):
        if not isinstance(entry, dict):
            check.add(file, f"service {number}", "", "must be a mapping")
            continue
        record = f"service {number} ({entry.get('name', 'no name')})"

        def bad(fieldname, message, record=record):
            check.add(file, record, fieldname, message)

        for required in ("key", "name", "organisation", "sector", "levels", "focus", "summary", "coverage"):
            if not entry.get(required):
                bad(required, "is required")
        if "child_age_months" not in entry and "ages" not in entry:
            bad("child_age_months", "is required (null when the source does not say), or the source's words in ages")
        key = entry.get("key")
        if key and (key in keys or slugify(key) != key):
            bad("key", f"{key!r} must be unique and a slug")
        keys.add(key)
        if entry.get("sector") and entry["sector"] not in Sector.values:
            bad("sector", f"{entry['sector']!r} is not one of {', '.join(Sector.values)}")
        if entry.get("focus") and entry["focus"] not in Focus.values:
            bad("focus", f"{entry['focus']!r} is not one of {', '.join(Focus.values)}")
        for fieldname, known in (("levels", level_codes), ("needs", set(data["needs"])),
                                 ("interventions", set(data["interventions"])), ("delivery", set(DELIVERY_MODES))):
            values = entry.get(fieldname) or []
            if not isinstance(values, list):
                bad(fieldname, "must be a list")
                continue
            for code in values:
                if code not in known:
                    bad(fieldname, f"{code!r} is not a known code")
        if "ages" in entry and entry.get("child_age_months") is not None:
            bad("ages", "give the source's words (ages) or months (child_age_months, inferred), not both")
        elif entry.get("ages") is not None:
            try:
                transcribe_ages(entry["ages"])
            except AgeWordsError as exc:
                bad("ages", str(exc))
        ages = entry.get("child_age_months")
        if ages is not None and not (
            isinstance(ages, list) and len(ages) == 2 and all(type(a) is int for a in ages) and -9 <= ages[0] <= ages[1]
        ):
            bad("child_age_months", f"{ages!r} must be null or [from, to] whole months, from -9, from <= to")
        if entry.get("cost", "") not in Cost.values:
            bad("cost", f"{entry['cost']!r} is not one of {', '.join(v for v in Cost.values if v)}")
        coverage = entry.get("coverage")
        if coverage and coverage != "city_wide":
            if not isinstance(coverage, dict):
                bad("coverage", "must be city_wide, {districts: [...]} or {locality: ..., district: ...}")
            elif "districts" in coverage:
                for name in coverage["districts"] or []:
                    if name not in district_names:
                        bad("coverage", f"{name!r} is not one of the districts")
            elif not coverage.get("locality"):
                bad("coverage", "a locality needs its name")
            elif coverage.get("district") and coverage["district"] not in district_names:
                bad("coverage", f"{coverage['district']!r} is not one of the districts")
        for route in entry.get("referral") or []:
            if not isinstance(route, dict) or route.get("referrer") not in REFERRERS:
                bad("referral", f"{route!r}: referrer must be one of {', '.join(REFERRERS)}")
            elif route.get("method", "") not in ReferralMethod.values:
                bad("referral", f"{route['method']!r} is not a known method")
        for fact in entry.get("inferred") or {}:
            if fact not in SERVICE_FACTS:
                bad("inferred", f"{fact!r} is not a fact the directory tracks")
        for venue in ([entry["venue"]] if entry.get("venue") else []) + (entry.get("other_venues") or []):
            if not isinstance(venue, dict) or not venue.get("name"):
                bad("venue", "needs a name and a postcode")
            elif (normalise_postcode(venue.get("postcode")) or "") not in postcodes:
                bad("venue", f"{venue.get('postcode')!r} is not a Birmingham postcode in birmingham_postcodes.csv")


def _check_parents(data, services, check):
    keys = {entry.get("key") for entry in services.get("services") or [] if isinstance(entry, dict)}
    descriptions = data.get("descriptions")
    if not isinstance(descriptions, dict):
        check.add(PARENTS_FILE, "", "descriptions", "is missing or not a mapping of service key to words")
        return
    for key, words in descriptions.items():
        if key not in keys:
            check.add(PARENTS_FILE, key, "", f"{key!r} is not a key in {SERVICES_FILE}")
        elif not isinstance(words, str) or not words.strip():
            check.add(PARENTS_FILE, key, "", "needs the words for parents")


def _check_synonyms(data, check):
    for number, item in enumerate(data.get("synonyms") or [], start=1):
        synonym = SearchSynonym(terms=str((item or {}).get("terms", "")), note=str((item or {}).get("note", ""))[:200])
        try:
            synonym.clean()
        except ValidationError as exc:
            check.add(SYNONYMS_FILE, f"synonym {number}", "terms", " ".join(exc.messages))


def _check_citations(data, source, check):
    """Every fact the seed takes from the needs assessment quotes it word for word, from the
    place it names (for Table 3, the service's own entry). docs/adr/0018."""
    for number, entry in enumerate(data["services"], start=1):
        record = f"service {number} ({entry.get('name')})"
        title = entry.get("table3")
        if title and source.cell(title) is None:
            check.add(SERVICES_FILE, record, "table3", f"{title!r} is not the bold title of an entry in Table 3")
            continue
        for citation in entry_citations(entry, source):
            if citation.kind != SourceKind.NEEDS_ASSESSMENT:
                continue
            for problem in source.problems(citation.section, citation.excerpt, entry_title=title):
                check.add(SERVICES_FILE, record, citation.label, problem)


def _check_public(data, services, check):
    file = PUBLIC_FILE
    keys = {entry.get("key") for entry in services.get("services") or [] if isinstance(entry, dict)}
    for number, fact in enumerate(data.get("load") or [], start=1):
        record = f"load entry {number} ({fact.get('service') if isinstance(fact, dict) else '?'})"
        if not isinstance(fact, dict):
            check.add(file, record, "", "must be a mapping")
            continue
        if fact.get("service") not in keys:
            check.add(file, record, "service", f"{fact.get('service')!r} is not a key in {SERVICES_FILE}")
        if fact.get("target") not in PUBLIC_TARGETS:
            check.add(file, record, "target", f"{fact.get('target')!r} is not one of {', '.join(sorted(PUBLIC_TARGETS))}")
        if not str(fact.get("source_url", "")).startswith("https://") and not str(fact.get("source_url", "")).startswith("http://"):
            check.add(file, record, "source_url", "must be a web address")
        if fact.get("target") == "route":
            route = fact.get("route")
            if not isinstance(route, dict) or route.get("referrer") not in Referrer.values or set(route) - ROUTE_FIELDS:
                check.add(file, record, "route", f"needs a referrer ({', '.join(Referrer.values)}) and only {', '.join(sorted(ROUTE_FIELDS))}")
            elif route.get("method", "") not in ReferralMethod.values:
                check.add(file, record, "route.method", f"{route['method']!r} is not a known method")
        elif not fact.get("value"):
            check.add(file, record, "value", "is required")
        elif fact.get("target") == "service.cost" and fact["value"] not in Cost.values:
            check.add(file, record, "value", f"{fact['value']!r} is not a cost")


# --- Writing ----------------------------------------------------------------------

class _Seeds:
    """The SeedRecords, loaded once. `legacy` marks a database seeded before records were
    kept: every seed service was created there once, so one missing now was deleted by a curator."""

    def __init__(self):
        self.records = {record.key: record for record in SeedRecord.objects.all()}
        self.legacy = not self.records and Service.objects.exists()

    def __contains__(self, key):
        return key in self.records

    def remember(self, key, obj, values=None):
        model = f"{obj._meta.app_label}.{obj._meta.model_name}" if obj is not None else ""
        self.records[key] = SeedRecord.objects.create(
            key=key, model=model, object_id=str(obj.pk) if obj is not None else "", values=values or {}
        )

    def get(self, key, model):
        record = self.records.get(key)
        if record is None or not record.object_id:
            return None
        return model.objects.filter(pk=record.object_id).first()


def load_seed(*, only_if_empty=False):
    """Read and check the files, then load what was never seeded, in one transaction.

    With only_if_empty, a database that has ever been seeded (or holds services) is
    left alone: the Docker image's start-up uses this so a deploy never touches content.
    """
    data = read_seed_files()
    report = SeedReport()
    if only_if_empty and (SeedRecord.objects.exists() or Service.objects.exists()):
        report.notes.append("The database already has content: nothing loaded (run loadseed without --if-empty to add what is missing).")
        return report
    # Each service's search-table rows are computed once, when everything is loaded (docs/adr/0012).
    with transaction.atomic(), deferred_refresh():
        seeds = _Seeds()
        districts = _load_districts(report, seeds, data)
        _load_wards(report, seeds, data, districts)
        _load_postcodes(report, seeds, data)
        _load_taxonomies(report, seeds, data["services"])
        _load_services(report, seeds, data["services"], data["source"])
        _load_public_facts(report, seeds, data)
        _load_parent_descriptions(report, seeds, data)
        _load_synonyms(report, seeds, data)
    return report


def district_values(feature, figures):
    name = feature["properties"]["name"]
    return {"name": name, "slug": slugify(name), **figures[name]}


def _load_districts(report, seeds, data):
    """Returns {name in the files: District} for every district that still exists."""
    created_count = 0
    existing = {d.code: d for d in District.objects.all()}
    for feature in data["districts"]:
        code = feature["properties"]["code"]
        key = f"district:{code}"
        if key in seeds:
            continue
        values = district_values(feature, data["figures"])
        district = existing.get(code)
        if district is None:
            centroid = shape(feature["geometry"]).representative_point()
            district = District.objects.create(
                code=code, boundary=feature["geometry"], centroid_lat=round(centroid.y, 5),
                centroid_lon=round(centroid.x, 5), **values,
            )
            existing[code] = district
            created_count += 1
        seeds.remember(key, district, values | {"boundary_sha1": _sha1(feature["geometry"])})
    report.add("districts", District.objects.count(), created_count)
    by_code = {d.code: d for d in existing.values()}
    return {f["properties"]["name"]: by_code[f["properties"]["code"]] for f in data["districts"]
            if f["properties"]["code"] in by_code}


def _sha1(value):
    return hashlib.sha1(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _load_wards(report, seeds, data, districts):
    created_count = 0
    existing = set(Ward.objects.values_list("code", flat=True))
    for feature in data["wards"]:
        props = feature["properties"]
        key = f"ward:{props['code']}"
        if key in seeds:
            continue
        district = districts.get(props["district"])
        values = {"name": props["name"], "district": props["district"]}
        if props["code"] in existing:
            ward = Ward.objects.get(code=props["code"])
        elif district is None:
            continue  # a curator removed its district; nothing to hang it on
        else:
            ward = Ward.objects.create(code=props["code"], name=props["name"], district=district, boundary=feature["geometry"])
            created_count += 1
        seeds.remember(key, ward, values | {"boundary_sha1": _sha1(feature["geometry"])})
    report.add("wards", Ward.objects.count(), created_count)


def _load_postcodes(report, seeds, data):
    """Seeded once as a whole data set: 39,416 rows in bulk, never one query per row.

    The seeded values are kept (compactly) so `updatereference` can tell a
    curator's correction from a change in the file."""
    created_count = 0
    if "postcodes" not in seeds:
        district_ids = dict(District.objects.values_list("name", "pk"))
        existing = set(Postcode.objects.values_list("postcode", flat=True))
        to_create = [
            Postcode(postcode=pc, lat=lat, lon=lon, district_id=district_ids.get(district))
            for pc, (lat, lon, district) in data["postcodes"].items() if pc not in existing
        ]
        Postcode.objects.bulk_create(to_create, batch_size=2000)
        created_count = len(to_create)
        seeds.remember("postcodes", None, {"rows": {pc: list(v) for pc, v in data["postcodes"].items()}})
    report.add("postcodes", Postcode.objects.count(), created_count)


def taxonomy_terms(services_data):
    """{(label, model, key prefix): {code: name}} for every taxonomy the seed defines."""
    return {
        ("needs", Need, "need"): services_data["needs"],
        ("interventions", Intervention, "intervention"): services_data["interventions"],
        ("delivery modes", DeliveryMode, "delivery_mode"): DELIVERY_MODES,
        ("languages", Language, "language"): LANGUAGES,
    }


def _load_taxonomies(report, seeds, services_data):
    # Levels also come from a data migration; seeding them here too lets a
    # flushed database (browser tests) be seeded again.
    for code, name, rank, description in LEVELS:
        key = f"level:{code}"
        if key not in seeds:
            level = Level.objects.filter(code=code).first() or Level.objects.create(
                code=code, name=name, rank=rank, description=description
            )
            seeds.remember(key, level, {"name": name, "description": description})
    for (label, model, prefix), terms in taxonomy_terms(services_data).items():
        existing = {term.code: term for term in model.objects.all()}
        created_count = 0
        for code, name in terms.items():
            key = f"{prefix}:{code}"
            if key in seeds:
                continue
            term = existing.get(code)
            if term is None:
                term = model.objects.create(code=code, name=name)
                created_count += 1
            seeds.remember(key, term, {"name": name})
        report.add(label, model.objects.count(), created_count)


def _unique_slug(model, name):
    base = slugify(name)[:190] or "item"
    slug, n = base, 1
    while model.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _organisation(seeds, entry):
    """The seeded organisation for a service about to be created (created once, on first need)."""
    key = f"organisation:{slugify(entry['organisation'])}"
    if key in seeds:
        organisation = seeds.get(key, Organisation)
        if organisation is not None:
            return organisation, False
    organisation = Organisation.objects.filter(name=entry["organisation"]).first()
    created = organisation is None
    if created:
        organisation = Organisation.objects.create(
            name=entry["organisation"], slug=_unique_slug(Organisation, entry["organisation"]), sector=entry["sector"]
        )
    if key not in seeds:
        seeds.remember(key, organisation, {"name": entry["organisation"]})
    return organisation, created


def _load_services(report, seeds, data, source):
    levels = {level.code: level for level in Level.objects.all()}
    needs = {term.code: term for term in Need.objects.all()}
    interventions = {term.code: term for term in Intervention.objects.all()}
    modes = {term.code: term for term in DeliveryMode.objects.all()}
    districts = {d.name: d for d in District.objects.defer("boundary")}
    organisations_created = services_created = 0
    for position, entry in enumerate(data["services"]):
        key = f"service:{entry['key']}"
        if key in seeds:
            continue
        existing = Service.objects.filter(slug=entry["key"]).first()
        if existing is not None or seeds.legacy:
            # Seeded before records were kept: adopt it as it is, or (legacy and
            # gone) remember that a curator deleted it.
            seeds.remember(key, existing)
            continue
        organisation, created = _organisation(seeds, entry)
        organisations_created += created
        # Reviews spread over the first six months, a week apart, not all due on day one.
        review_due = timezone.localdate() + timedelta(days=7 * (position + 1))
        service = _create_service(entry, organisation, districts, levels, needs, interventions, modes, review_due, source)
        seeds.remember(key, service)
        services_created += 1
    report.add("organisations", Organisation.objects.count(), organisations_created)
    report.add("services", Service.objects.count(), services_created)


def _coverage_fields(coverage, districts):
    """Returns (fields, district list) for the seed's three shapes of coverage."""
    if coverage == "city_wide":
        return {"coverage_type": CoverageType.CITY_WIDE}, []
    if "districts" in coverage:
        return {"coverage_type": CoverageType.DISTRICTS}, [districts[n] for n in coverage["districts"] if n in districts]
    district = districts.get(coverage.get("district") or "")
    return {"coverage_type": CoverageType.LOCALITY, "locality": coverage["locality"], "locality_district": district}, []


SEED_REASON = "Loaded from the seed files (loadseed)"


def _create_service(entry, organisation, districts, levels, needs, interventions, modes, review_due, source):
    age_words = ""
    if entry.get("ages"):
        start, end, age_words = entry_ages(entry)  # the one transcription (docs/adr/0018)
        ages = [start, end]
    else:
        ages = entry.get("child_age_months")
    coverage, coverage_districts = _coverage_fields(entry["coverage"], districts)
    parent_ages = entry.get("parent_age_years") or [None, None]
    routes = entry.get("referral") or []
    service = Service(
        organisation=organisation,
        name=entry["name"],
        slug=_unique_slug(Service, entry["key"]),
        status=Status.PUBLISHED,
        summary=entry["summary"],
        description=entry.get("notes", ""),
        focus=entry["focus"],
        focus_confirmed=entry.get("focus_confirmed", False),
        eligibility_description=entry.get("parent", ""),
        parent_min_age_years=parent_ages[0],
        parent_max_age_years=parent_ages[1],
        cost=entry.get("cost", ""),
        email=entry.get("email", ""),
        commissioned_by=entry.get("commissioned_by", ""),
        curator_notes=entry.get("curator_notes", ""),
        audience=Audience.EVERYONE,
        no_referral_route_reason="" if routes else NO_ROUTE_REASON,
        next_review_due=review_due,
        age_range=AgeRange.RANGE if ages else AgeRange.NOT_STATED,
        age_from_months=ages[0] if ages else None,
        age_to_months=ages[1] if ages else None,
        age_words=age_words,
        first_step=bool(entry.get("first_step")),
        named_group_only=bool(entry.get("named_group_only")),
        **coverage,
    )
    service.full_clean()
    service._change_reason = SEED_REASON
    service.save()
    service.levels.set([levels[code] for code in entry["levels"] if code in levels])
    service.needs.set([needs[code] for code in entry.get("needs", []) if code in needs])
    service.interventions.set([interventions[code] for code in entry.get("interventions", []) if code in interventions])
    service.delivery_modes.set([modes[code] for code in entry.get("delivery", []) if code in modes])
    service.coverage_districts.set(coverage_districts)

    citations = entry_citations(entry, source)
    for citation in citations:
        if citation.owner == "service" and citation.fact in SERVICE_FACTS:
            record_fact(owner=service, field=citation.fact, **citation.source())
    for position, item in enumerate(routes):
        route = ReferralRoute.objects.create(
            service=service, referrer=REFERRERS[item["referrer"]], order=position,
            is_preferred=bool(item.get("preferred")), acceptance_criteria=item.get("criteria", ""),
            method=item.get("method", ""), how_to_refer=item.get("how", ""),
        )
        for citation in citations:
            if citation.owner == f"route {position}":
                record_fact(owner=route, field=citation.fact, **citation.source())
    venues = ([entry["venue"]] if entry.get("venue") else []) + entry.get("other_venues", [])
    for item in venues:
        venue, created = _venue(item["name"], item["postcode"])
        if created:
            source = ({"kind": SourceKind.INFERRED, "note": item["inferred"]} if item.get("inferred") else
                      {"kind": SourceKind.NEEDS_ASSESSMENT, "section": NEEDS_ASSESSMENT_SECTION})
            record_fact(owner=venue, field="address", **source)
        ServiceAtLocation.objects.create(service=service, venue=venue, note=item.get("note", ""))
    return service


def _venue(name, postcode):
    postcode = normalise_postcode(postcode)
    venue = Venue.objects.filter(name=name, postcode=postcode).first()
    if venue is not None:
        return venue, False
    located = Postcode.objects.filter(postcode=postcode).first()
    venue = Venue.objects.create(
        name=name, postcode=postcode, lat=located and located.lat, lon=located and located.lon,
        district_id=located and located.district_id,
    )
    return venue, True


# --- Facts from public web pages ----------------------------------------------------

def _load_synonyms(report, seeds, data):
    """Each synonym group once: the curators' list is theirs to edit or delete afterwards."""
    loaded = 0
    for item in data["synonyms"].get("synonyms") or []:
        synonym = SearchSynonym(terms=item["terms"], note=item.get("note", "")[:200])
        synonym.clean()
        key = f"synonym:{_sha1(synonym.terms)[:16]}"
        if key in seeds:
            continue
        existing = SearchSynonym.objects.filter(terms=synonym.terms).first()
        if existing is None:
            synonym.save()
            loaded += 1
        seeds.remember(key, existing or synonym)
    report.add("search synonyms", SearchSynonym.objects.count(), loaded)


def _load_parent_descriptions(report, seeds, data):
    """Each description once, into an empty field (a curator's or the service's words win)."""
    loaded = 0
    for key, words in data["parents"]["descriptions"].items():
        record_key = f"parents:{key}:{_sha1(words)[:12]}"
        if record_key in seeds:
            continue
        service = seeds.get(f"service:{key}", Service)
        applied = service is not None and not service.parent_description.strip()
        if applied:
            service.parent_description = " ".join(words.split())
            service._change_reason = PARENTS_REASON
            service.save(update_fields=["parent_description"])
            record_fact(owner=service, field="parent_description", kind=SourceKind.DIRECTORY_TEAM,
                        note=data["parents"].get("source", ""))
        seeds.remember(record_key, service if applied else None)
        loaded += applied
    report.add("descriptions for parents", Service.objects.exclude(parent_description="").count(), loaded)


PARENTS_REASON = "A description for parents by the directory team (loadseed, fixtures/parent_descriptions.yaml)"  # <= 100: the history column


def _load_public_facts(report, seeds, data):
    """Each fact once, unconfirmed, with its source; only into an empty field (a curator's value wins)."""
    read_on = data["public"].get("retrieved")
    seed_entries = {entry["key"]: entry for entry in data["services"]["services"]}
    loaded = kept = 0
    for fact in data["public"].get("load") or []:
        key = f"public:{fact['service']}:{fact['target']}:{_sha1(fact)[:12]}"
        if key in seeds:
            continue
        service = seeds.get(f"service:{fact['service']}", Service)
        source = {"kind": SourceKind.PUBLIC_PAGE, "source_url": fact["source_url"], "excerpt": fact.get("excerpt", ""),
                  "read_on": read_on, "note": fact.get("note", "")}
        applied = service is not None and _apply_public_fact(service, fact, source, seed_entries[fact["service"]],
                                                             data["source"])
        seeds.remember(key, service if applied else None)
        loaded += bool(applied)
        kept += service is not None and not applied
    report.add("facts from public pages", SeedRecord.objects.filter(key__startswith="public:").exclude(object_id="").count(), loaded)
    report.add("venues", Venue.objects.count())
    report.add("referral routes", ReferralRoute.objects.count())
    if kept:
        report.notes.append(f"{kept} public facts not loaded: a curator had already filled the field.")


PUBLIC_REASON = "A fact from a public web page (loadseed, fixtures/public_sources.yaml)"


def _apply_public_fact(service, fact, source, entry, source_text):
    target = fact["target"]
    if target == "route":
        route = ReferralRoute(service=service, order=service.referral_routes.count(), **fact["route"])
        if entry.get("criteria") and not route.acceptance_criteria:
            route.acceptance_criteria = entry["criteria"]
        route.full_clean()
        route.save()
        for name in ("referrer", "how_to_refer", "acceptance_criteria", "exclusions", "contact", "url"):
            if getattr(route, name):
                stated = name == "acceptance_criteria" and route.acceptance_criteria == entry.get("criteria")
                criteria = next(c for c in entry_citations(entry, source_text) if c.owner == "public route") if stated else None
                record_fact(owner=route, field=name, **(criteria.source() if stated else source))
        if service.no_referral_route_reason == NO_ROUTE_REASON:
            service.no_referral_route_reason = ""
            service._change_reason = PUBLIC_REASON
            service.save(update_fields=["no_referral_route_reason"])
        return True
    owner_name, attr = target.split(".")
    owner = service if owner_name == "service" else service.organisation
    model_attr = {"schedule": "schedule_description"}.get(attr, attr)
    if getattr(owner, model_attr):
        return False
    setattr(owner, model_attr, fact["value"])
    owner.full_clean()
    owner._change_reason = PUBLIC_REASON  # recorded in the record's history, like any change
    owner.save(update_fields=[model_attr])
    record_fact(owner=owner, field=attr, **source)
    return True
