"""Our OpenAPI document: the ORUK 3.0 endpoints we serve, their parameters, and our
extensions (parameters and `x_` properties), served at the root's `openapi_url`.

Response schemas point at the published ORUK 3.0 schemas (the specification's own addresses,
as its OpenAPI document does; tests/oruk_schemas/published/) and add our properties with
`allOf`, so a validator checks both. Every parameter of the specification for each endpoint is
listed, as every one is honoured (issue 25).
"""
from directory.openreferral.api import params
from directory.openreferral.api.payloads import PROFILE_URL, VERSION

ORUK_SCHEMA = "https://openreferraluk.org/specifications/3.0/schema/"


def _oruk(name):
    return {"$ref": ORUK_SCHEMA + name}


def _param(name, description, schema):
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


PROFILE_PARAMETERS = {
    "search": _param("search", "Keywords, matched as on the directory's search page (name, summary, description, "
                     "needs, interventions, acceptance criteria).", {"type": "string", "maxLength": 200}),
    "page": _param("page", "Page number, from 1. A page past the last is empty.", {"type": "integer", "minimum": 1}),
    "per_page": _param("per_page", f"Items per page, from 1 (default {params.DEFAULT_PER_PAGE}). More than "
                       f"{params.MAX_PER_PAGE} is capped at {params.MAX_PER_PAGE}, and the page says so in "
                       "x_per_page.", {"type": "integer", "minimum": 1}),
    "format": _param("format", "json (default): a page. ndjson: every result, one JSON object a line "
                     "(application/x-ndjson), without pages.", {"type": "string", "enum": ["json", "ndjson"]}),
    "modified_after": _param("modified_after", "Services modified at or after this date and time (ISO 8601; a date "
                             "alone is its start, a time without an offset is UK time).",
                             {"type": "string", "format": "date-time"}),
    "minimal": _param("minimal", "true: each service as just its id, name, status and last_modified.",
                      {"type": "boolean"}),
    "full": _param("full", "true: each service (or service at a location, with the location's address; or "
                   "organization, with its services) in full.", {"type": "boolean"}),
    "full_service": _param("full_service", "true: each organization with its published services in full.",
                           {"type": "boolean"}),
    "top_only": _param("top_only", "Our taxonomies are flat: every term is a top-level term, so true and false "
                       "give them all.", {"type": "boolean"}),
    "parent_id": _param("parent_id", "Terms under this term. Our taxonomies are flat, so none.",
                        {"type": "string", "format": "uuid"}),
    "taxonomy_term_id": _param("taxonomy_term_id", "Services with this term (one id from /taxonomy_terms).",
                               {"type": "string", "format": "uuid"}),
    "taxonomy_id": _param("taxonomy_id", "Services with any term of this taxonomy (one id from /taxonomies).",
                          {"type": "string", "format": "uuid"}),
    "minimum_age": _param("minimum_age", "Services whose minimum_age (years) is at least this. Services with no stated "
                          "age range are left out; use the `age` extension to search by a baby's age instead.",
                          {"type": "number", "minimum": 0}),
    "maximum_age": _param("maximum_age", "Services whose maximum_age (years) is at most this.",
                          {"type": "number", "minimum": 0}),
    "organization_id": _param("organization_id", "Services of this organization.", {"type": "string", "format": "uuid"}),
    "postcode": _param("postcode", "A postcode, any spacing or case. Alone: services covering its district "
                       "(city-wide, listing the district, a locality in it or a venue there). With proximity: venues "
                       "within proximity metres of it. A postcode outside Birmingham gives an empty page.",
                       {"type": "string"}),
    "proximity": _param("proximity", f"Metres from the postcode, 1 to {params.MAX_PROXIMITY_M}.",
                        {"type": "integer", "minimum": 1, "maximum": params.MAX_PROXIMITY_M}),
}
EXTENSION_PARAMETERS = {
    "age": _param("age", "Extension. The baby's age in whole months, -9 to 24 (pregnancy negative): services whose "
                  "range contains it, and those with any or no stated age.", {"type": "integer", "minimum": -9, "maximum": 24}),
    "stage": _param("stage", "Extension. An age band: pregnant, 0-3, 3-6, 6-12, 12-18, 18-24.",
                    {"type": "string", "enum": ["pregnant", "0-3", "3-6", "6-12", "12-18", "18-24"]}),
    "district": _param("district", "Extension. A district's slug, e.g. hodge-hill.", {"type": "string"}),
    "level": _param("level", "Extension. A level's code (repeat for any of several).", {"type": "string"}),
    "focus": _param("focus", "Extension. specialised, additional or non_specialised.", {"type": "string"}),
    "need": _param("need", "Extension. A need's code (repeat for any of several).", {"type": "string"}),
    "delivery": _param("delivery", "Extension. A delivery mode's code.", {"type": "string"}),
    "language": _param("language", "Extension. An ISO 639 code.", {"type": "string"}),
    "referral": _param("referral", "Extension. self (families can contact it) or professional (referral only).",
                       {"type": "string", "enum": ["self", "professional"]}),
    "free": _param("free", "Extension. 1: free services only.", {"type": "string", "enum": ["1"]}),
    "audience": _param("audience", "Extension. everyone or professionals.", {"type": "string",
                                                                             "enum": ["everyone", "professionals"]}),
}
SERVICE_FILTERS = ["search", "page", "per_page", "format", "taxonomy_term_id", "taxonomy_id", "minimum_age",
                   "maximum_age", "organization_id", "modified_after"]


def _params(names):
    refs = []
    for name in names:
        section = "parameters"
        refs.append({"$ref": f"#/components/{section}/{name}"})
    return refs


def _ok(description, schema):
    return {
        "200": {"description": description, "headers": {"ETag": {"schema": {"type": "string"}}},
                "content": {"application/json": {"schema": schema}}},
        "304": {"description": "Not modified (If-None-Match matched the ETag)."},
        "400": {"description": "A bad parameter.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    }


def _page_of(list_schema):
    return {"allOf": [{"$ref": "#/components/schemas/Page"}, _oruk(list_schema)]}


def _with_404(responses):
    return {**responses, "404": {"description": "No published record with that id.",
                                 "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}


ID = [{"in": "path", "name": "id", "required": True, "schema": {"type": "string", "format": "uuid"}}]

SERVICE_EXTENSIONS = {
    "type": "object",
    "description": "The directory's extensions to an ORUK service (docs/hsds-mapping.md).",
    "properties": {
        "x_age_months": {"type": "object", "description": "The child age range in whole months from birth, pregnancy "
                         "negative (-9 = conception), `to` inclusive. range: range, any or not_stated.",
                         "properties": {"range": {"type": "string", "enum": ["range", "any", "not_stated"]},
                                        "from": {"type": ["integer", "null"]}, "to": {"type": ["integer", "null"]}}},
        "eligibility_description": {"type": "string", "description": "HSDS 3.0: the parent's eligibility in words."},
        "application_process": {"type": "string", "description": "HSDS 3.0: how to get in, from the referral routes."},
        "fees_description": {"type": "string", "description": "HSDS 3.0: cost details."},
        "phones": {"type": "array", "description": "HSDS 3.0 phones of the service (also in its contact's phones).",
                   "items": {"type": "object", "properties": {"id": {"type": "string"}, "number": {"type": "string"}}}},
        "x_extension_version": {"type": "string"},
        "x_summary": {"type": "string", "description": "One or two plain sentences (the first part of description)."},
        "x_description": {"type": "string", "description": "The rest of description."},
        "x_page_url": {"type": "string", "format": "uri", "description": "The service's page in the directory."},
        "x_parent_age_years": {"type": "object", "description": "The parent's own age limits, if any."},
        "x_focus": {"type": "object", "description": "Focus on the parent-infant relationship, and whether the IMHSG "
                    "has confirmed it with the service."},
        "x_referral_routes": {"type": "array", "description": "Structured referral routes: who can refer "
                              "(self, professional, automatic), which professions, method, how to refer, acceptance "
                              "criteria, exclusions, waiting time, consent, link, contact, preferred.",
                              "items": {"$ref": "#/components/schemas/ReferralRoute"}},
        "x_no_referral_route_reason": {"type": "string"},
        "x_coverage": {"type": "object", "description": "city_wide, districts (ONS codes) or a locality."},
        "x_audience": {"type": "string", "enum": ["everyone", "professionals"],
                       "description": "professionals: not shown in the directory's parents' view."},
        "x_cost": {"type": "string", "enum": ["", "free", "paid", "varies"]},
        "x_provenance": {"type": "array", "items": {"$ref": "#/components/schemas/Provenance"},
                         "description": "Where each recorded fact came from, and whether the IMHSG has confirmed it."},
    },
}


def openapi_document(*, server_url):
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Birmingham parent-infant support directory: Open Referral UK API",
            "version": "1.0",
            "description": f"A read-only {VERSION} API ({PROFILE_URL}) of the published services of the "
                           "Birmingham parent-infant support directory, with the directory's classification as "
                           "taxonomies and its referral information as extensions (properties named x_...). "
                           "Every response allows any origin and carries an ETag.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/": {"get": {"operationId": "getAPIMetaInformation", "responses": _ok("About this API.", {
                "type": "object", "properties": {"version": {"type": "string"}, "profile": {"type": "string", "format": "uri"},
                                                  "openapi_url": {"type": "string", "format": "uri"}}})}},
            "/services": {"get": {"operationId": "getPaginatedListOfServices",
                                  "parameters": _params(SERVICE_FILTERS + ["minimal", "full", "postcode"]
                                                        + list(EXTENSION_PARAMETERS)),
                                  "responses": _ok("Published services, by name.", _page_of("service_list.json"))}},
            "/services/{id}": {"parameters": ID, "get": {"operationId": "getServiceById", "responses": _with_404(_ok(
                "A published service.", {"allOf": [_oruk("service.json"),
                                                   {"$ref": "#/components/schemas/ServiceExtensions"}]}))}},
            "/service_at_locations": {"get": {
                "operationId": "getPaginatedListOfServiceAtLocation",
                "parameters": _params(SERVICE_FILTERS + ["full", "postcode", "proximity"] + list(EXTENSION_PARAMETERS)),
                "responses": _ok("Published services at their venues.", _page_of("service_at_location_list.json"))}},
            "/service_at_locations/{id}": {"parameters": ID, "get": {
                "operationId": "getServiceAtLocationById", "responses": _with_404(_ok(
                    "A published service at a venue, with the venue's address and the sources of its facts.",
                    _oruk("service_at_location.json")))}},
            "/organizations": {"get": {
                "operationId": "getPaginatedListOfOrganizations",
                "parameters": _params(["search", "full", "full_service", "page", "per_page", "format"]),
                "responses": _ok("Organizations with at least one published service, by name.",
                                 _page_of("organization_list.json"))}},
            "/organizations/{id}": {"parameters": ID, "get": {
                "operationId": "getOrganizationById", "parameters": _params(["full_service"]),
                "responses": _with_404(_ok("An organization with its published services (in full with "
                                           "full_service=true).", _oruk("organization.json")))}},
            "/taxonomies": {"get": {"operationId": "getPaginatedListOfTaxonomies",
                                    "parameters": _params(["search", "page", "per_page", "format"]),
                                    "responses": _ok("The six taxonomies.", _page_of("taxonomy_list.json"))}},
            "/taxonomies/{id}": {"parameters": ID, "get": {"operationId": "getTaxonomyById", "responses": _with_404(_ok(
                "A taxonomy with its terms.", _oruk("taxonomy.json")))}},
            "/taxonomy_terms": {"get": {"operationId": "getPaginatedListOfTaxonomyTerms",
                                        "parameters": _params(["search", "page", "per_page", "format", "top_only",
                                                               "parent_id"]) + [
                                            {"name": "taxonomy_id", "in": "query", "required": False,
                                             "description": "The terms of one taxonomy.",
                                             "schema": {"type": "string", "format": "uuid"}}],
                                        "responses": _ok("Every taxonomy term.", _page_of("taxonomy_term_list.json"))}},
            "/taxonomy_terms/{id}": {"parameters": ID, "get": {"operationId": "getTaxonomyTermById", "responses": _with_404(_ok(
                "A taxonomy term.", _oruk("taxonomy_term.json")))}},
        },
        "components": {
            "parameters": {**PROFILE_PARAMETERS, **EXTENSION_PARAMETERS},
            "schemas": {
                "Page": {"type": "object", "required": ["empty"], "properties": {
                    "total_items": {"type": "integer"}, "total_pages": {"type": "integer"},
                    "page_number": {"type": "integer"}, "size": {"type": "integer"},
                    "first_page": {"type": "boolean"}, "last_page": {"type": "boolean"},
                    "empty": {"type": "boolean", "description": "True when this page holds no items."},
                    "x_per_page": {"type": "object", "description": "Only when per_page was above the maximum: "
                                   "what was asked (requested), what each page holds (given), and why."}}},
                "Error": {"type": "object", "properties": {
                    "status": {"type": "integer"}, "title": {"type": "string"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {
                        "parameter": {"type": "string"}, "message": {"type": "string"}}}}}},
                "ServiceExtensions": SERVICE_EXTENSIONS,
                "ReferralRoute": {"type": "object", "properties": {
                    name: {"type": "string"} for name in (
                        "id", "referrer", "referrer_label", "professions", "method", "method_label", "how_to_refer",
                        "acceptance_criteria", "exclusions", "waiting_time", "consent_required", "url", "contact")
                } | {"is_preferred": {"type": "boolean"}}},
                "Provenance": {"type": "object", "properties": {
                    "about": {"type": "string", "enum": ["service", "organization", "referral_route", "location"]},
                    "about_id": {"type": "string", "format": "uuid"},
                    "field": {"type": "string"},
                    "source": {"type": "string", "enum": ["needs_assessment", "public_page", "provider", "curator", "inferred"]},
                    "source_label": {"type": "string"}, "section": {"type": "string"},
                    "source_url": {"type": "string", "format": "uri"}, "read_on": {"type": "string", "format": "date"},
                    "confirmed": {"type": "boolean"}, "confirmed_on": {"type": "string", "format": "date"}}},
            },
        },
    }
