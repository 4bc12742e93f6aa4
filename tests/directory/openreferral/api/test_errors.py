"""Issue 18: every error under /api/ is JSON in the API's own shape, including those Django
answers before or outside our views (too many parameters, a bad Host, CSRF on a POST, an
unexpected exception); the public site keeps its own HTML error pages."""
import pytest
from django.http import Http404
from django.test import Client

pytestmark = pytest.mark.django_db


def api_client():
    # As a real client: a POST without a CSRF token is checked, and a server error is answered,
    # not raised into the test.
    return Client(raise_request_exception=False, enforce_csrf_checks=True)


def assert_api_error(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == status and body["title"]
    assert body["errors"] and all(error["message"] for error in body["errors"])
    assert response["Access-Control-Allow-Origin"] == "*"
    return body


@pytest.mark.parametrize("path", ["/api/services", "/api/service_at_locations", "/api/taxonomies", "/api/taxonomy_terms"])
def test_more_query_parameters_than_django_reads_get_a_json_400(path, settings):
    many = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    body = assert_api_error(api_client().get(f"{path}?{many}"), 400)
    assert f"at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS}" in body["errors"][0]["message"]


def test_a_disallowed_host_gets_a_json_400(settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    body = assert_api_error(api_client().get("/api/services", HTTP_HOST="evil.example"), 400)
    assert "evil.example" not in str(body)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/", "/api/services", "/api/services/0b1c0e1f-1d4e-4c43-9e7a-2b8f0c3a6d11",
                                  "/api/nothing-here", "/api/docs/"])
def test_a_write_without_a_csrf_token_gets_a_json_405(method, path):
    response = getattr(api_client(), method)(path, "a=1", content_type="application/x-www-form-urlencoded")
    assert_api_error(response, 405)
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path, status", [
    # A malformed id or parameter of an endpoint is the client's mistake: 400.
    ("/api/services/%ff", 400), ("/api/services/%ed%a0%80", 400), ("/api/services/%00", 400),
    ("/api/services?page=%ff", 400), ("/api/services?per_page=%ed%a0%80", 400), ("/api/services?taxonomy_id=%00", 400),
    # An address that is no endpoint at all: 404.
    ("/api/%zz", 404), ("/api/%ff%fe", 404),
])
def test_bad_percent_encoding_and_bad_unicode_get_a_json_error(path, status):
    assert_api_error(api_client().get(path), status)


def test_an_unexpected_exception_gets_a_json_500_without_its_details(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr("directory.openreferral.api.payloads.root_payload", broken)
    response = api_client().get("/api/")
    body = assert_api_error(response, 500)
    assert "secret detail" not in response.content.decode() and "Traceback" not in response.content.decode()
    assert body["title"] == "Server error"


def test_an_http404_raised_inside_the_api_is_json(monkeypatch):
    def missing(**kwargs):
        raise Http404("gone")

    monkeypatch.setattr("directory.openreferral.api.payloads.root_payload", missing)
    assert_api_error(api_client().get("/api/"), 404)


def test_the_public_site_keeps_its_html_error_pages(settings):
    many = "&".join(f"p{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    for path, status in ((f"/search/?{many}", 400), ("/no-such-page/", 404)):
        response = api_client().get(path)
        assert response.status_code == status and response["Content-Type"].startswith("text/html"), path
    # A path that merely starts with "api" is not the API.
    assert api_client().get("/apiary/")["Content-Type"].startswith("text/html")
