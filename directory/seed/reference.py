"""Take newer reference data (places, taxonomies) from changed seed files, explicitly.

`loadseed` never touches what it seeded before. When the files themselves change
(new ONS figures, a renamed ward, a corrected postcode), `updatereference`
compares three values for every seeded field: what was seeded (kept in
`SeedRecord.values`), what the database holds now, and what the file says now.

- database == seeded, file differs: nobody edited it, so it is updated.
- database == file: nothing to do (the record's memory is brought up to date).
- database differs from both: a curator corrected it; it is kept and reported
  as a conflict, never overwritten.
- the object was deleted: it stays deleted, and is reported.

Without `apply=True` nothing is written: the report is a preview.
"""
from dataclasses import dataclass

from django.db import transaction
from shapely.geometry import shape

from directory.models import SeedRecord
from directory.search.tables import deferred_refresh
from directory.seed.loader import _sha1, district_values, read_seed_files, taxonomy_terms
from mapping.models import District, Postcode, Ward

UPDATE, CONFLICT, DELETED = "update", "conflict", "deleted"


@dataclass(frozen=True)
class Change:
    action: str  # UPDATE, CONFLICT or DELETED
    key: str
    field: str
    seeded: object
    current: object
    file: object

    def line(self):
        if self.action == UPDATE:
            return f"update  {self.key} {self.field}: {self.current!r} -> {self.file!r}"
        if self.action == CONFLICT:
            return (f"kept    {self.key} {self.field}: a curator changed {self.seeded!r} to {self.current!r}; "
                    f"the file now says {self.file!r} (change it in the admin if the file is right)")
        return f"deleted {self.key}: deleted by a curator, left deleted (the file still has it)"


def update_reference(*, apply=False):
    """Compare the files with what was seeded and what is there now; returns [Change]."""
    data = read_seed_files()
    records = {r.key: r for r in SeedRecord.objects.exclude(key__startswith="service:").exclude(key__startswith="public:")}
    changes = []
    with transaction.atomic():
        # Renamed needs and interventions refresh their services' search rows once, at the end.
        with deferred_refresh():
            changes += _districts(data, records, apply)
            changes += _wards(data, records, apply)
            changes += _terms(data, records, apply)
            changes += _postcodes(data, records, apply)
        if not apply:
            transaction.set_rollback(True)
    return changes


def _compare(record, obj, wanted, current_of, set_value):
    """Three-way compare of the fields in `wanted`; applies safe updates through set_value."""
    changes = []
    for name, file_value in wanted.items():
        seeded = record.values.get(name)
        if seeded == file_value:
            continue
        if obj is None:
            return [Change(DELETED, record.key, "", seeded, None, file_value)]
        current = current_of(name)
        if current == file_value:
            record.values[name] = file_value
        elif current == seeded:
            changes.append(Change(UPDATE, record.key, name, seeded, current, file_value))
            set_value(name, file_value)
            record.values[name] = file_value
        else:
            changes.append(Change(CONFLICT, record.key, name, seeded, current, file_value))
    return changes


def _save(record, obj, apply):
    if apply:
        record.save(update_fields=["values"])
        if obj is not None:
            obj.save()


def _districts(data, records, apply):
    changes = []
    by_pk = {str(d.pk): d for d in District.objects.all()}
    for feature in data["districts"]:
        record = records.get(f"district:{feature['properties']['code']}")
        if record is None:
            continue  # never seeded: `loadseed` adds it
        district = by_pk.get(record.object_id)
        wanted = district_values(feature, data["figures"]) | {"boundary_sha1": _sha1(feature["geometry"])}

        def current_of(name, district=district):
            return _sha1(district.boundary) if name == "boundary_sha1" else getattr(district, name)

        def set_value(name, value, district=district, feature=feature):
            if name == "boundary_sha1":
                district.boundary = feature["geometry"]
                point = shape(feature["geometry"]).representative_point()
                district.centroid_lat, district.centroid_lon = round(point.y, 5), round(point.x, 5)
            else:
                setattr(district, name, value)

        found = _compare(record, district, wanted, current_of, set_value)
        changes += found
        _save(record, district, apply)
    return changes


def _wards(data, records, apply):
    changes = []
    wards = {str(w.pk): w for w in Ward.objects.select_related("district").defer("district__boundary")}
    districts = {d.name: d for d in District.objects.defer("boundary")}
    for feature in data["wards"]:
        props = feature["properties"]
        record = records.get(f"ward:{props['code']}")
        if record is None:
            continue
        ward = wards.get(record.object_id)
        wanted = {"name": props["name"], "district": props["district"], "boundary_sha1": _sha1(feature["geometry"])}

        def current_of(name, ward=ward):
            return {"name": ward.name, "district": ward.district.name, "boundary_sha1": _sha1(ward.boundary)}[name]

        def set_value(name, value, ward=ward, feature=feature):
            if name == "district":
                ward.district = districts[value]
            elif name == "boundary_sha1":
                ward.boundary = feature["geometry"]
            else:
                ward.name = value

        changes += _compare(record, ward, wanted, current_of, set_value)
        _save(record, ward, apply)
    return changes


def _terms(data, records, apply):
    changes = []
    for (_label, model, prefix), terms in taxonomy_terms(data["services"]).items():
        existing = {str(term.pk): term for term in model.objects.all()}
        for code, name in terms.items():
            record = records.get(f"{prefix}:{code}")
            if record is None:
                continue
            term = existing.get(record.object_id)
            changes += _compare(record, term, {"name": name}, lambda n, t=term: t.name,
                                lambda n, v, t=term: setattr(t, "name", v))
            _save(record, term, apply)
    return changes


def _postcodes(data, records, apply):
    """Per row, the same three-way rule, in bulk (39,416 rows)."""
    record = records.get("postcodes")
    if record is None:
        return []
    seeded = {pc: tuple(v) for pc, v in record.values.get("rows", {}).items()}
    district_ids = dict(District.objects.values_list("name", "pk"))
    district_names = {pk: name for name, pk in district_ids.items()}
    current = {pc: (lat, lon, district_names.get(d)) for pc, lat, lon, d in
               Postcode.objects.values_list("postcode", "lat", "lon", "district_id")}
    changes, to_create, to_update, to_delete = [], [], [], []
    for pc in set(seeded) | set(data["postcodes"]):
        was, now, wanted = seeded.get(pc), current.get(pc), data["postcodes"].get(pc)
        if was == wanted:
            continue
        if now == wanted:
            pass
        elif now == was:
            changes.append(Change(UPDATE, f"postcode:{pc}", "row", was, now, wanted))
            row = wanted and Postcode(postcode=pc, lat=wanted[0], lon=wanted[1], district_id=district_ids.get(wanted[2]))
            (to_delete.append(pc) if wanted is None else to_create.append(row) if now is None else to_update.append(row))
        else:
            changes.append(Change(CONFLICT, f"postcode:{pc}", "row", was, now, wanted))
            continue
        if wanted is None:
            seeded.pop(pc, None)
        else:
            seeded[pc] = wanted
    if apply:
        Postcode.objects.bulk_create(to_create, batch_size=2000)
        Postcode.objects.bulk_update(to_update, ["lat", "lon", "district"], batch_size=2000)
        for start in range(0, len(to_delete), 500):
            Postcode.objects.filter(postcode__in=to_delete[start:start + 500]).delete()
        record.values = {"rows": {pc: list(v) for pc, v in seeded.items()}}
        record.save(update_fields=["values"])
    return changes
