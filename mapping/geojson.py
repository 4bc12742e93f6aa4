"""The districts GeoJSON, built in one place for /map/, /map/districts.geojson and the tests:
`district_map_build(...)` runs the queries, its `feature_collection()` is the GeoJSON.

A FeatureCollection (RFC 7946, WGS84) of the ten districts. Each feature's
properties hold the district's figures, its modelled need (mapping/needs.py)
and the count of services matching the search filters, by level and focus.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from mapping import selectors
from mapping.capacity import NOT_KNOWN, CapacityGaps, capacity_gaps
from mapping.needs import NeedsEstimate, NeedsParameters, needs_estimate, one_decimal, whole


def _figure(value):
    return float(one_decimal(value))


def _wte(value):
    """Practitioner time to two decimal places (0.25 WTE is a real figure), or None."""
    return None if value is None else float(value.quantize(Decimal("0.01")))


def capacity_properties(area):
    """Need against recorded capacity (mapping/capacity.py) as GeoJSON properties: the gap is
    null when it cannot be known, and the counts say how much of it rests on records."""
    return {
        "practitioner_time_recorded": None if area.state == NOT_KNOWN else _wte(area.recorded),
        "practitioner_gap": _wte(area.gap),
        "capacity_state": area.state,
        "capacity_services_recorded": area.recorded_by,
        "capacity_services_comparable": area.comparable,
    }


@dataclass
class DistrictMap:
    """Everything the map, its tables and the endpoint show, from one set of queries."""

    filterset: object
    services: object
    districts: list
    counts: dict
    specialised: dict
    estimate: NeedsEstimate
    gaps: CapacityGaps
    overridden: list = field(default_factory=list)

    def need_for(self, slug):
        return next(area for area in self.estimate.districts if area.slug == slug)

    def properties(self, district):
        need = self.need_for(district.slug)
        counts = self.counts[district.slug]
        families = whole(need.families)
        return {
            "name": district.name,
            "code": district.code,
            "slug": district.slug,
            "population_under_2": district.population_under_2,
            "imd_decile": district.imd_decile,
            "deprivation_rank": district.deprivation_rank,
            "insecure_attachment": whole(need.insecure),
            "disorganised_attachment": whole(need.disorganised),
            "families_needing_specialised_support": families,
            "practitioners_needed": _figure(need.practitioners),
            "specialised_services_mapped": self.specialised.get(district.slug, 0),
            "services_matching": counts["total"],
            # Provision a commissioner can compare: city-wide services count in every
            # district, so need per matching service was need divided by about 22 everywhere.
            "services_local": counts["local"],
            "services_city_wide": counts["total"] - counts["local"],
            "families_per_local_service": _figure(Decimal(families) / counts["local"]) if counts["local"] else None,
            "services_by_level": counts["by_level"],
            "services_by_focus": counts["by_focus"],
            "families_per_matching_service": _figure(Decimal(families) / counts["total"]) if counts["total"] else None,
            **capacity_properties(self.gaps.for_slug(district.slug)),
        }

    def feature_collection(self, *, with_geometry=True):
        features = []
        for district in self.districts:
            feature = {"type": "Feature", "id": district.code, "properties": self.properties(district)}
            feature["geometry"] = district.boundary if with_geometry else None
            features.append(feature)
        total = self.estimate.total
        return {
            "type": "FeatureCollection",
            "features": features,
            # Foreign members (RFC 7946 section 6.1): the city's totals and the parameters used.
            "totals": {
                "population_under_2": total.population_under_2,
                "insecure_attachment": whole(total.insecure),
                "disorganised_attachment": whole(total.disorganised),
                "families_needing_specialised_support": whole(total.families),
                "practitioners_needed": int(total.practitioners),
                **capacity_properties(self.gaps.total),
                "capacity_districts_known": self.gaps.total.districts_known,
            },
            "parameters": {name: float(value) for name, value in vars(self.estimate.parameters).items()},
        }


def district_map_build(*, data, parameters: NeedsParameters, overridden=(), with_geometry=True):
    """Run the queries: filters, districts, counts by level and focus, specialised provision,
    recorded capacity.

    5 queries (districts, 2 counts, specialised provision, capacity) plus one for the lists that
    validate the filters; never one per district or per level.
    """
    services, filterset = selectors.matching_services(data=data)
    districts = selectors.district_list(with_boundary=with_geometry)
    counts = selectors.district_service_counts(services=services, districts=districts, filterset=filterset)
    provision = selectors.specialised_provision(districts=districts)
    estimate = needs_estimate(
        populations=[(d.name, d.slug, d.population_under_2) for d in districts], parameters=parameters
    )
    gaps = capacity_gaps(estimate=estimate, comparable=provision.comparable,
                         comparable_city=provision.comparable_city, records=selectors.capacity_records(districts=districts))
    return DistrictMap(filterset, services, districts, counts, provision.counts, estimate, gaps, list(overridden))


def wards_feature_collection():
    """The 69 wards (names and boundaries) as GeoJSON: the map's offline reference layer,
    so a zoomed-in map is never a blank shape without tiles. One query."""
    from mapping.models import Ward

    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": code, "geometry": boundary, "properties": {"name": name}}
            for code, name, boundary in Ward.objects.order_by("name").values_list("code", "name", "boundary")
        ],
    }
