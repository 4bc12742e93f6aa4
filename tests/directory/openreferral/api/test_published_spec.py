"""The API against the current published ORUK 3.0 specification (tests/oruk_schemas/published/):
every endpoint it lists, with every parameter it gives that endpoint, answers 200 with a body valid
against the endpoint's schema; and a re-statement of the official validator's checks
(OpenReferralUK/oruk-validator: `/` for the version, then each endpoint of the OpenAPI document,
its schema and its pagination; endpoints tagged "required" are level 1, "Basic checks", whose
failure fails the feed; the others level 2, "Extended checks", whose failure only warns)."""
import json
import uuid

import pytest

from directory.models import Organisation, Service
from tests.directory.openreferral.api.conftest import (
    assert_valid, published_openapi, published_page_validator, published_response_schema, published_validator,
)

pytestmark = pytest.mark.django_db

SPEC = published_openapi()


def _operations():
    for path, item in SPEC["paths"].items():
        yield path, item["get"]


def _level(operation):
    return 1 if [tag.lower() for tag in operation.get("tags", [])] == ["required"] else 2


def _parameter_names(operation):
    names = []
    for parameter in operation.get("parameters", []):
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        names.append(parameter["name"])
    return names


def test_the_vendored_specification_lists_eleven_operations_three_of_them_required():
    operations = dict(_operations())
    assert len(operations) == 11
    assert sorted(path for path, op in operations.items() if _level(op) == 1) == ["/", "/services", "/services/{id}"]


def _ids(client):
    """An id for each {id} path, from the list endpoints."""
    def first(path):
        return client.get(path).json()["contents"][0]["id"]
    return {
        "/services/{id}": first("/api/services"),
        "/service_at_locations/{id}": first("/api/service_at_locations"),
        "/taxonomies/{id}": first("/api/taxonomies"),
        "/taxonomy_terms/{id}": first("/api/taxonomy_terms"),
        "/organizations/{id}": first("/api/organizations"),
    }


# A value for each parameter of the specification that our seed answers with results.
VALUES = {
    "search": "support", "page": "1", "per_page": "5", "format": "json", "minimal": "true", "full": "true",
    "full_service": "true", "modified_after": "2000-01-01T00:00:00Z", "postcode": "B4 6NH", "proximity": "50000",
    "top_only": "true",
}


def _value(client, name, ids):
    if name in VALUES:
        return VALUES[name]
    if name == "taxonomy_id":
        return client.get("/api/taxonomies").json()["contents"][0]["id"]
    if name == "taxonomy_term_id":
        return ids["/taxonomy_terms/{id}"]
    if name == "organization_id":
        return ids["/organizations/{id}"]
    if name == "parent_id":
        return ids["/taxonomy_terms/{id}"]
    raise AssertionError(f"no value for the specification's parameter {name}")


def _address(path, ids):
    return "/api" + (path.replace("{id}", ids[path]) if "{id}" in path else path)


def _check(client, address, schema_name, *, paginated):
    """The validator's check of one call: 200, JSON, valid against the schema; for a list, a
    consistent page envelope. Returns the problems found (empty when it passes)."""
    response = client.get(address)
    if response.status_code != 200:
        return [f"{address}: HTTP {response.status_code}"]
    body = response.json()
    problems = [f"{address} {list(e.path)}: {e.message}"
                for e in published_validator(schema_name).iter_errors(body)]
    if paginated:
        problems += [f"{address} envelope: {e.message}" for e in published_page_validator().iter_errors(body)]
        problems += _pagination_problems(address, body)
    return problems


def _pagination_problems(address, body):
    problems = []
    pages = -(-body["total_items"] // max(body["size"], 1)) if body["size"] else 0
    if body["size"] != len(body["contents"]):
        problems.append(f"{address}: size {body['size']} but {len(body['contents'])} items")
    if body["empty"] != (len(body["contents"]) == 0):
        problems.append(f"{address}: empty is {body['empty']} with {len(body['contents'])} items")
    if body["first_page"] != (body["page_number"] == 1):
        problems.append(f"{address}: first_page wrong")
    if body["last_page"] != (body["page_number"] >= body["total_pages"]):
        problems.append(f"{address}: last_page wrong")
    if body["page_number"] == 1 and body["size"] and pages > body["total_pages"]:
        problems.append(f"{address}: total_pages {body['total_pages']} too small")
    return problems


@pytest.mark.parametrize("path", list(SPEC["paths"]))
def test_every_endpoint_with_every_parameter_of_the_specification_is_valid(client, path):
    """One call without parameters, then one per parameter the specification gives the endpoint."""
    operation = SPEC["paths"][path]["get"]
    ids = _ids(client)
    schema = published_response_schema(path)
    paginated = schema.endswith("_list.json")
    problems = _check(client, _address(path, ids), schema, paginated=paginated)
    for name in _parameter_names(operation):
        if name == "proximity":
            query = f"postcode=B4+6NH&proximity={VALUES['proximity']}"
        else:
            query = f"{name}={_value(client, name, ids)}".replace(" ", "+")
        problems += _check(client, f"{_address(path, ids)}?{query}", schema, paginated=paginated)
    assert not problems, "\n".join(problems[:20])


def _validator_report(client):
    """The validator's two levels, as (level, path, problems) for each endpoint."""
    root = client.get("/api/").json()
    assert root["version"] == SPEC["info"]["version"] == "HSDS-UK-3.0"
    ids = _ids(client)
    report = []
    for path, operation in _operations():
        schema = published_response_schema(path)
        problems = _check(client, _address(path, ids), schema, paginated=schema.endswith("_list.json"))
        if schema.endswith("_list.json"):  # every page of the list, as the validator pages through it
            body = client.get(_address(path, ids) + "?per_page=10").json()
            for page in range(2, body["total_pages"] + 2):
                problems += _check(client, f"{_address(path, ids)}?per_page=10&page={page}", schema, paginated=True)
        report.append((_level(operation), path, problems))
    return report


def test_the_validator_s_level_1_and_level_2_checks_pass_for_every_endpoint(client):
    report = _validator_report(client)
    assert {level for level, _, _ in report} == {1, 2}
    failures = [f"level {level} {path}: {problems[:3]}" for level, path, problems in report if problems]
    assert not failures, "\n".join(failures)


def test_every_service_and_organization_in_full_is_valid(api):
    service_schema, organisation_schema = published_validator("service.json"), published_validator("organization.json")
    services = api("/api/services?full=true&per_page=200")["contents"]
    assert len(services) == Service.objects.published().count()
    for service in services:
        assert_valid(service_schema, service)
        assert service == api(f"/api/services/{service['id']}")
    for organisation in api("/api/organizations?full_service=true&per_page=200")["contents"]:
        assert_valid(organisation_schema, organisation)
        for service in organisation["services"]:
            assert_valid(service_schema, service)


def test_every_service_at_location_is_valid_against_its_own_schema(api):
    schema = published_validator("service_at_location.json")
    for item in api("/api/service_at_locations?per_page=200&full=true")["contents"]:
        assert_valid(schema, item)
        detail = api(f"/api/service_at_locations/{item['id']}")
        assert_valid(schema, detail)
        assert detail["location"] == item["location"]


def test_the_published_examples_validate_so_the_harness_is_sound():
    from tests.directory.openreferral.api.conftest import PUBLISHED

    for name, schema in [("service_full.json", "service.json"), ("organization_full.json", "organization.json"),
                         ("taxonomy.json", "taxonomy.json"), ("taxonomy_term.json", "taxonomy_term.json")]:
        assert_valid(published_validator(schema), json.loads((PUBLISHED / "examples" / name).read_text()))
    assert list(published_validator("service.json").iter_errors({"id": "not-a-uuid", "name": "x", "status": "active"}))


def test_organizations_list_only_those_with_a_published_service(api):
    listed = {item["id"] for item in api("/api/organizations?per_page=200")["contents"]}
    expected = {str(o.uuid) for o in Organisation.objects.filter(services__status="published").distinct()}
    assert listed == expected
    hidden = Organisation.objects.exclude(uuid__in=expected).first() or Organisation.objects.create(
        name="Only drafts (example)", slug="only-drafts-example")
    api(f"/api/organizations/{hidden.uuid}", status=404)
    api(f"/api/organizations/{uuid.uuid4()}", status=404)
    api("/api/organizations/not-a-uuid", status=400)
    one = api(f"/api/organizations/{sorted(expected)[0]}")
    assert one["services"] and all(s["organization_id"] == one["id"] for s in one["services"])


@pytest.mark.parametrize("feed, passes", [("Default", True), ("Warn", True), ("Fail", False)])
def test_the_harness_judges_the_validator_s_own_mock_feeds_as_the_validator_does(feed, passes):
    """Level 1 (/, /services, /services/{id}) on the official validator's mocks: the pass and
    warn feeds pass it, the fail feed does not."""
    from tests.directory.openreferral.api.conftest import SCHEMAS

    folder = SCHEMAS / "validator-mocks" / f"V3.0-UK-{feed}"
    errors = []
    for file, schema in [("api_details.json", "api_details.json"), ("service_list.json", "service_list.json"),
                         ("service_full.json", "service.json")]:
        errors += list(published_validator(schema).iter_errors(json.loads((folder / file).read_text())))
    assert (not errors) is passes


def test_our_openapi_document_lists_every_parameter_of_the_specification(api):
    ours = api("/api/openapi.json")
    components = ours["components"]["parameters"]
    for path, operation in _operations():
        listed = set()
        for parameter in ours["paths"][path]["get"].get("parameters", []):
            listed.add(components[parameter["$ref"].rsplit("/", 1)[1]]["name"] if "$ref" in parameter
                       else parameter["name"])
        assert set(_parameter_names(operation)) <= listed, path
