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
