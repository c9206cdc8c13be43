"""The OpenAPI schema is valid, complete and described; the docs pages render from local assets only."""

import concurrent.futures
import re
import threading

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client

RESOURCES = ["treaties", "states", "memberships", "events", "statements", "sources"]
OPERATIONS = {
    "treaties_list",
    "treaties_retrieve",
    "treaties_timeline",
    "states_list",
    "states_retrieve",
    "memberships_list",
    "memberships_retrieve",
    "events_list",
    "events_retrieve",
    "statements_list",
    "statements_retrieve",
    "sources_list",
    "sources_retrieve",
}
WRITES = {"create", "update", "partial_update", "destroy"}
OPERATIONS |= {f"{resource}_{write}" for resource in RESOURCES for write in WRITES}
OPERATIONS |= {f"{resource}_list_csv" for resource in RESOURCES}
OPERATIONS |= {"changes_feed"}
# Per source: its coverage, its text (staff only) and its citations as W3C Web Annotations (JSON-LD).
OPERATIONS |= {"sources_coverage", "sources_text", "sources_annotations", "sources_annotation"}
# The dataset's releases: each with its zip, its files and its citation in two formats.
OPERATIONS |= {"releases_list", "releases_retrieve", "releases_archive", "releases_file_csv", "releases_file_json"}
OPERATIONS |= {"releases_citation_csl", "releases_citation_bibtex"}
ENUMS = {
    "DatePrecision",
    "SourceKind",
    "CitationStance",
    "StateKind",
    "TreatyKind",
    "TreatyDomain",
    "TreatyStatus",
    "MembershipRole",
    "MembershipStatus",
    "EventType",
    "ParticipantRole",
    "StatementKind",
    "StatementStance",
    "TimelineEntryKind",
    "ReleaseChangeAction",
}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        from drf_spectacular.generators import SchemaGenerator

        return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_schema_validates_without_warnings(tmp_path):
    """What CI runs: `manage.py spectacular --validate --fail-on-warn`."""
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert yaml.safe_load(out.read_text())["openapi"].startswith("3.")


def test_every_operation_is_present_and_described(schema):
    assert {operation["operationId"] for _, _, operation in operations(schema)} == OPERATIONS
    for path, _, operation in operations(schema):
        assert operation["summary"], path
        assert operation["description"], path


def test_every_parameter_has_a_type_and_a_description(schema):
    for path, _, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
            assert "type" in parameter["schema"], (path, parameter["name"])


def test_every_component_field_has_a_type_and_a_description(schema):
    for name, component in schema["components"]["schemas"].items():
        # An enum has no fields; a oneOf (the annotation collection or one of its pages) is checked in its members.
        if "enum" in component or "oneOf" in component:
            continue
        assert component.get("description"), name
        for field, prop in component["properties"].items():
            assert prop.get("description"), (name, field)
            assert {"type", "allOf", "$ref", "oneOf"} & set(prop), (name, field)


def test_enums_have_stable_names(schema):
    components = schema["components"]["schemas"]
    assert ENUMS <= set(components)
    assert not [name for name in components if name.endswith("Enum")]
    assert components["EventType"]["enum"][0] == "signature"


def test_errors_are_documented_with_their_body(schema):
    for path, _, operation in operations(schema):
        # A create names no existing record, and the changes feed neither a record nor a page number: no 404.
        keyless = operation["operationId"].endswith("_create") or operation["operationId"] == "changes_feed"
        statuses = {"400", "429"} | (set() if keyless else {"404"})
        if operation["operationId"].endswith(tuple(WRITES)):
            statuses |= {"401", "403", "409"}
        if operation["operationId"].endswith(("_update", "_destroy")):
            statuses |= {"412", "428"}
        for status in statuses:
            # The annotation endpoints answer JSON-LD, errors included (still the same JSON body).
            content = operation["responses"][status]["content"]
            body = content.get("application/json", content.get("application/ld+json"))["schema"]
            assert body == {"$ref": "#/components/schemas/Error"}, (path, status)
    error = schema["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"status", "code", "detail", "errors"}


def test_anonymous_read_access_is_documented(schema):
    """Reads need no authentication (an explicit empty requirement); writes need a token or a session, never none."""
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}
    for path, method, operation in operations(schema):
        if method == "get":
            assert operation["security"] == [], path
        else:
            assert operation["security"] == [{"tokenAuth": []}, {"cookieAuth": []}], (path, method)


def test_requests_name_related_records_by_key_and_conditional_writes_need_if_match(schema):
    components = schema["components"]["schemas"]
    assert components["EventRequest"]["properties"]["treaty"]["type"] == "string"
    assert components["Event"]["properties"]["treaty"]["allOf"] == [{"$ref": "#/components/schemas/TreatyBrief"}]
    for path, method, operation in operations(schema):
        if method in {"put", "patch", "delete"}:
            header = [p for p in operation["parameters"] if p["in"] == "header"]
            assert [(p["name"], p["required"]) for p in header] == [("If-Match", True)], path


def test_lists_document_csv_and_pagination(schema):
    for path, _, operation in operations(schema):
        if not operation["operationId"].endswith("_list"):
            continue
        content = operation["responses"]["200"]["content"]
        if path == "/api/releases/":  # releases are downloaded as packages; the list has no CSV form
            assert "text/csv" not in content
            assert "format" not in {parameter["name"] for parameter in operation["parameters"]}
            continue
        assert content["text/csv"]["schema"] == {"type": "string"}, path
        assert content["application/json"]["schema"]["$ref"].startswith("#/components/schemas/Paginated"), path
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert {"page", "page_size", "format"} <= names, path
        page_size = next(p for p in operation["parameters"] if p["name"] == "page_size")
        assert page_size["schema"]["maximum"] == 500


def test_filters_are_typed(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    assert parameters["date_after"]["schema"] == {"type": "string", "format": "date"}
    assert parameters["updated_after"]["schema"] == {"type": "string", "format": "date-time"}
    assert parameters["type"]["schema"]["type"] == "array"
    assert "signature" in parameters["type"]["schema"]["items"]["enum"]
    assert parameters["treaty"]["schema"] == {"type": "string"}


def test_schema_endpoint_serves_openapi(client, db):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Treaty API"


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_docs_render_from_local_assets_only(client, db, path):
    """No CDN, no web fonts: every asset the page loads is one of our static files."""
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.findall(r"(?:src|href)=\"(?:https?:)?//", html)
    assert "fonts.googleapis" not in html
    assets = re.findall(r"(?:src|href)=\"(/static/[^\"]+)\"", html)
    assert assets, html
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert '"validatorUrl": null' in html or path == "/api/redoc/"


def test_concurrent_requests_for_the_schema_all_get_it(settings):
    """drf-spectacular's generator is not thread-safe (tfranzel/drf-spectacular#1123, #1368): under threaded
    gunicorn workers, requests for the schema generated at the same time answered 500 (seen: 6 of 8)."""
    from treatyapi.settings import caches_from_url

    settings.CACHES = caches_from_url("dummy://")  # every request generates the schema
    barrier = threading.Barrier(8)

    def fetch(_):
        barrier.wait()
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").status_code

    for _ in range(3):
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            assert list(pool.map(fetch, range(8))) == [200] * 8
