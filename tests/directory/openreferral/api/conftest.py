"""Shared helpers for the API tests: the vendored ORUK schemas, and fetching every endpoint."""
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[3] / "oruk_schemas"


def _load(name):
    return json.loads((SCHEMAS / name).read_text())


def _registry():
    resources = []
    for name in ("taxonomy.json", "taxonomy_term.json"):
        schema = _load(name)
        resources.append((name, Resource.from_contents(schema, default_specification=_spec())))
    return Registry().with_resources(resources)


def _spec():
    from referencing.jsonschema import DRAFT202012

    return DRAFT202012


def validator(name):
    schema = _load(name)
    return Draft202012Validator(schema, registry=_registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def page_validator():
    return Draft202012Validator(_load("openapi.json")["components"]["schemas"]["Page"])


def assert_valid(validator_, instance):
    errors = sorted(validator_.iter_errors(instance), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


@pytest.fixture
def api(client):
    """GET an API address; returns the parsed JSON after checking the status."""
    def get(path, status=200, **headers):
        response = client.get(path, **headers)
        assert response.status_code == status, (path, response.status_code, response.content[:300])
        return response.json() if response.content else None
    return get


def all_pages(api, path):
    """Every item of a list endpoint, page by page."""
    items, page = [], 1
    while True:
        separator = "&" if "?" in path else "?"
        body = api(f"{path}{separator}page={page}&per_page=200")
        items += body["contents"]
        if body["last_page"]:
            return items
        page += 1


# The current published specification (tests/oruk_schemas/published/SOURCE.md): schemas refer to
# each other, and the OpenAPI document to them, by web addresses mapped here to the local files.
PUBLISHED = SCHEMAS / "published"
SCHEMA_BASES = ("https://openreferraluk.org/specifications/3.0/schema/",
                "https://raw.githubusercontent.com/tpximpact/OpenReferralApi/refs/heads/main/OpenReferralApi/Schemas/V3.0-UK/")


def published_openapi():
    return json.loads((PUBLISHED / "openapi.json").read_text())


def _published_registry():
    resources = []
    for path in sorted((PUBLISHED / "schema").glob("*.json")):
        contents = json.loads(path.read_text())
        for base in SCHEMA_BASES:
            resources.append((base + path.name, Resource.from_contents(contents, default_specification=_spec())))
    return Registry().with_resources(resources)


_PUBLISHED_REGISTRY = None


def published_validator(name):
    """A validator for the published schema `name` (e.g. "service.json"), references resolved locally."""
    global _PUBLISHED_REGISTRY
    if _PUBLISHED_REGISTRY is None:
        _PUBLISHED_REGISTRY = _published_registry()
    schema = {"$ref": SCHEMA_BASES[0] + name}
    return Draft202012Validator(schema, registry=_PUBLISHED_REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER)


def published_response_schema(path):
    """The published schema name of GET `path`'s 200 response (e.g. "/services" -> "service_list.json")."""
    ref = published_openapi()["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def published_page_validator():
    return Draft202012Validator(published_openapi()["components"]["schemas"]["Page"])
