"""Load the seed content: places, taxonomies and the 25 services of the needs assessment.

Rule (also in `loadseed --help`): reference data (districts, wards, postcodes,
taxonomies) is made to match the files; organisations and services are only
ever created, never overwritten, so re-running after curators have edited an
entry changes nothing they did.
"""
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from shapely.geometry import shape

from directory.levels import LEVELS
from directory.models import (
    AgeRange, Audience, CoverageType, DeliveryMode, Intervention, Language, Level, Need, Organisation,
    ReferralRoute, Referrer, Service, ServiceAtLocation, Status, Venue,
)
from mapping.models import District, Postcode, Ward
from mapping.postcodes import postcode_lookup

FIXTURES = Path(settings.BASE_DIR) / "fixtures"

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


@dataclass
class SeedReport:
    counts: dict = field(default_factory=dict)
    created: dict = field(default_factory=dict)

    def add(self, what, total, created=0):
        self.counts[what] = total
        self.created[what] = created

    def lines(self):
        return [f"{what}: {total} ({self.created[what]} new)" for what, total in self.counts.items()]


def load_seed():
    """Load everything in one transaction; returns a SeedReport."""
    report = SeedReport()
    with transaction.atomic():
        districts = _load_districts(report)
        _load_wards(report, districts)
        _load_postcodes(report, districts)
        data = yaml.safe_load((FIXTURES / "seed_services.yaml").read_text())
        _load_taxonomies(report, data)
        _load_services(report, data, districts)
    return report


def _load_districts(report):
    figures = {row["name"]: row for row in csv.DictReader((FIXTURES / "districts.csv").open())}
    features = json.loads((FIXTURES / "birmingham_districts.geojson").read_text())["features"]
    districts, created_count = {}, 0
    for feature in features:
        name = feature["properties"]["name"]
        row = figures[name]
        centroid = shape(feature["geometry"]).representative_point()
        district, created = District.objects.update_or_create(
            code=feature["properties"]["code"],
            defaults={
                "name": name,
                "slug": slugify(name),
                "boundary": feature["geometry"],
                "centroid_lat": round(centroid.y, 5),
                "centroid_lon": round(centroid.x, 5),
                "population_under_2": int(row["under_2_population_2020"]),
                "imd_decile": int(row["imd_2019_decile"]),
                "deprivation_rank": int(row["deprivation_rank_in_city"]),
            },
        )
        districts[name] = district
        created_count += created
    report.add("districts", District.objects.count(), created_count)
    return districts


def _load_wards(report, districts):
    features = json.loads((FIXTURES / "birmingham_wards.geojson").read_text())["features"]
    created_count = 0
    for feature in features:
        props = feature["properties"]
        _, created = Ward.objects.update_or_create(
            code=props["code"],
            defaults={"name": props["name"], "district": districts[props["district"]], "boundary": feature["geometry"]},
        )
        created_count += created
    report.add("wards", Ward.objects.count(), created_count)


def _load_postcodes(report, districts):
    """Bulk insert/update: 39,416 rows in a few seconds, not one query per row."""
    district_ids = {name: d.pk for name, d in districts.items()}
    wanted = {}
    with (FIXTURES / "birmingham_postcodes.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            wanted[row["postcode"]] = (float(row["lat"]), float(row["lon"]), district_ids.get(row["district"]))
    existing = {pc: (lat, lon, d) for pc, lat, lon, d in Postcode.objects.values_list("postcode", "lat", "lon", "district_id")}
    to_create = [Postcode(postcode=pc, lat=v[0], lon=v[1], district_id=v[2]) for pc, v in wanted.items() if pc not in existing]
    to_update = [
        Postcode(postcode=pc, lat=v[0], lon=v[1], district_id=v[2])
        for pc, v in wanted.items()
        if pc in existing and existing[pc] != v
    ]
    stale = [pc for pc in existing if pc not in wanted]
    Postcode.objects.bulk_create(to_create, batch_size=2000)
    Postcode.objects.bulk_update(to_update, ["lat", "lon", "district"], batch_size=2000)
    for start in range(0, len(stale), 500):
        Postcode.objects.filter(postcode__in=stale[start:start + 500]).delete()
    report.add("postcodes", Postcode.objects.count(), len(to_create))


def _load_terms(model, terms):
    created_count = 0
    for code, name in terms.items():
        _, created = model.objects.update_or_create(code=code, defaults={"name": name})
        created_count += created
    return created_count


def _load_taxonomies(report, data):
    # Levels also come from a data migration; loading them here too lets a
    # flushed database (browser tests) be seeded again.
    for code, name, rank, description in LEVELS:
        Level.objects.update_or_create(code=code, defaults={"name": name, "rank": rank, "description": description})
    for model, terms, label in [
        (Need, data["needs"], "needs"),
        (Intervention, data["interventions"], "interventions"),
        (DeliveryMode, DELIVERY_MODES, "delivery modes"),
        (Language, LANGUAGES, "languages"),
    ]:
        created = _load_terms(model, terms)
        report.add(label, model.objects.count(), created)


def _age_fields(ages):
    if ages is None:
        return {"age_range": AgeRange.NOT_STATED, "age_from_months": None, "age_to_months": None}
    return {"age_range": AgeRange.RANGE, "age_from_months": ages[0], "age_to_months": ages[1]}


def _coverage_fields(coverage, districts):
    """Returns (fields, district list) for the seed's three shapes of coverage."""
    if coverage == "city_wide":
        return {"coverage_type": CoverageType.CITY_WIDE}, []
    if "districts" in coverage:
        return {"coverage_type": CoverageType.DISTRICTS}, [districts[name] for name in coverage["districts"]]
    district = districts.get(coverage.get("district") or "")
    return {"coverage_type": CoverageType.LOCALITY, "locality": coverage["locality"], "locality_district": district}, []


def _venue(name, postcode):
    result = postcode_lookup(postcode)
    venue = Venue.objects.filter(name=name, postcode=result.postcode).first()
    if venue is None:
        venue = Venue(name=name, postcode=postcode)
        venue.locate(result)
        venue.save()
    return venue


def _load_services(report, data, districts):
    levels = {level.code: level for level in Level.objects.all()}
    needs = {term.code: term for term in Need.objects.all()}
    interventions = {term.code: term for term in Intervention.objects.all()}
    modes = {term.code: term for term in DeliveryMode.objects.all()}
    organisations_created = services_created = 0
    today = timezone.localdate()
    for entry in data["services"]:
        organisation, created = Organisation.objects.get_or_create(
            name=entry["organisation"],
            defaults={"slug": slugify(entry["organisation"])[:200], "sector": entry["sector"]},
        )
        organisations_created += created
        slug = slugify(entry["name"])[:200]
        if Service.objects.filter(slug=slug).exists():
            continue
        coverage, coverage_districts = _coverage_fields(entry["coverage"], districts)
        parent_ages = entry.get("parent_age_years") or [None, None]
        description = entry.get("notes", "")
        service = Service(
            organisation=organisation,
            name=entry["name"],
            slug=slug,
            status=Status.PUBLISHED,
            summary=entry["summary"],
            description=description,
            focus=entry["focus"],
            focus_confirmed=entry["focus_confirmed"],
            eligibility_description=entry.get("parent", ""),
            parent_min_age_years=parent_ages[0],
            parent_max_age_years=parent_ages[1],
            cost=entry.get("cost", ""),
            email=entry.get("email", ""),
            commissioned_by=entry.get("commissioned_by", ""),
            audience=Audience.EVERYONE,
            no_referral_route_reason="" if entry.get("referral") else NO_ROUTE_REASON,
            next_review_due=today,
            **_age_fields(entry["child_age_months"]),
            **coverage,
        )
        service.full_clean()
        service.save()
        service.levels.set([levels[code] for code in entry["levels"]])
        service.needs.set([needs[code] for code in entry.get("needs", [])])
        service.interventions.set([interventions[code] for code in entry.get("interventions", [])])
        service.delivery_modes.set([modes[code] for code in entry.get("delivery", [])])
        service.coverage_districts.set(coverage_districts)
        ReferralRoute.objects.bulk_create(
            ReferralRoute(service=service, referrer=REFERRERS[code], order=position)
            for position, code in enumerate(entry.get("referral", []))
        )
        venues = ([entry["venue"]] if entry.get("venue") else []) + entry.get("other_venues", [])
        for item in venues:
            ServiceAtLocation.objects.create(
                service=service, venue=_venue(item["name"], item["postcode"]), note=item.get("note", "")
            )
        services_created += 1
    report.add("organisations", Organisation.objects.count(), organisations_created)
    report.add("services", Service.objects.count(), services_created)
    report.add("venues", Venue.objects.count())
    report.add("referral routes", ReferralRoute.objects.count())
