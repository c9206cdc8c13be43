"""Query parameters on every endpoint of the API: one check (``apps.core.api.filters.check_parameters``), one reading
of ``page`` and ``page_size``, one rule for empty values, and a 400 naming the parameter for anything else.

The endpoints come from the served schema (every GET operation and its query parameters), plus the root and the
documentation pages, which the schema leaves out; the tests follow when an endpoint is added.
"""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from apps.events.models import Event, EventCitation
from apps.sources import annotations
from tests.conftest import shared_open_skies

open_skies = pytest.fixture(shared_open_skies, name="open_skies")

# A record of each resource of the Open Skies record, to fill the schema's path templates.
KEYS = {
    "treaties": "open-skies",
    "states": "RUS",
    "memberships": "open-skies-usa",
    "events": "open-skies-signature",
    "statements": "peskov-regrets",
    "sources": "reuters-2020-us-notice",
}
UNDOCUMENTED = ["/api/", "/api/schema/", "/api/docs/", "/api/redoc/"]


@pytest.fixture
def staff(db) -> Client:
    """A signed-in superuser: every GET endpoint answers it (the source text is for staff only)."""
    client = Client()
    client.force_login(User.objects.create_superuser("parameters-admin", password=None))
    return client


def schema_operations(client: Client) -> dict[str, list[str]]:
    """Every GET path of the served schema, its templates filled with a record of the Open Skies record where it has
    one, mapped to its documented query parameters."""
    schema = client.get("/api/schema/", {"format": "json"}).json()
    operations = {}
    for template, methods in schema["paths"].items():
        if "get" not in methods:
            continue
        resource = template.split("/")[2]
        path = re.sub(r"\{(slug|code)\}", KEYS.get(resource, ""), template)
        path = path.replace("{annotation}", annotation_key())
        operations[path] = [p["name"] for p in methods["get"].get("parameters", []) if p["in"] == "query"]
    return operations


def annotation_key() -> str:
    citation = EventCitation.objects.select_related("event").get(source__slug=KEYS["sources"])
    return annotations.annotation_key(citation)


def test_every_endpoint_refuses_a_parameter_it_does_not_know(open_skies, staff):
    """Not only the lists: coverage, text, annotations, a timeline, details, the changes feed, the root and the docs
    answer an unknown parameter with a 400 naming it, instead of ignoring it (and then they may be cached)."""
    paths = [*schema_operations(staff), *UNDOCUMENTED]
    assert "/api/sources/reuters-2020-us-notice/coverage/" in paths
    for path in paths:
        response = staff.get(path, {"no_such_parameter": "1"})
        assert response.status_code == 400, path
        assert [error["parameter"] for error in response.json()["errors"]] == ["no_such_parameter"], path


def test_an_empty_parameter_is_the_parameter_left_out_on_every_endpoint(open_skies, staff):
    """``?type=``, ``?page_size=``, ``?page=``, ``?format=``, ``?after=`` ...: the same answer as without them."""
    operations = schema_operations(staff)
    assert "page_size" in operations["/api/changes/"] and "type" in operations["/api/events/"]
    for path, parameters in operations.items():
        if "{" in path:
            continue  # a template with no record here to fill it (a release's version): nothing to compare
        expected = staff.get(path)
        # The Open Skies sources have no text loaded: /text/ is a 404 saying so, with or without parameters.
        assert expected.status_code == (404 if path.endswith("/text/") else 200), path
        for name in [*parameters, "format"]:
            response = staff.get(f"{path}?{name}=")
            assert (response.status_code, response.content) == (expected.status_code, expected.content), (path, name)


def test_empty_values_beside_a_value_are_dropped(open_skies, api):
    assert api("/api/events/", type=["", "signature"])["count"] == 1
    assert api("/api/events/", page=["", "1"], page_size=["2", ""])["count"] == 5


PAGED = [
    ("/api/events/", "page"),
    ("/api/events/", "page_size"),
    ("/api/events.csv", "page"),
    ("/api/treaties/open-skies/timeline/", "page"),
    ("/api/treaties/open-skies/timeline/", "page_size"),
    ("/api/changes/", "page_size"),
    ("/api/sources/reuters-2020-us-notice/annotations/", "page"),
]


@pytest.mark.parametrize(("path", "name"), PAGED)
@pytest.mark.parametrize("value", ["²", "٣", "1٣", "１", " 1"])
def test_page_numbers_are_ascii_digits_everywhere(open_skies, client, path, name, value):
    """``int()`` reads Unicode digits that ``isdigit()`` lets through: ``?page=²`` was a 500 on the annotations."""
    response = client.get(path, {name: value})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert (error["parameter"], error["code"]) == (name, "invalid")
    assert error["message"].startswith(f"'{value}' is not accepted; give a whole number from 1")


@pytest.mark.parametrize(("path", "name"), PAGED)
def test_a_repeated_page_parameter_is_400(open_skies, client, path, name):
    response = client.get(path, {name: ["1", "2"]})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"parameter": name, "message": f"Give '{name}' once; it takes a single value.", "code": "repeated"}
    ]


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/events/", "q=%FF", "q"),
        ("/api/events/", "q=Mosc%C3", "q"),
        ("/api/sources/", "publisher=Reut%E9rs", "publisher"),
        ("/api/treaties/", "q=%C0%AF", "q"),
        ("/api/events/", "treaty=open-skies&q=%FF", "q"),
        ("/api/changes/", "after=%FF", "after"),
        ("/api/sources/reuters-2020-us-notice/annotations/", "page=%FF", "page"),
    ],
)
def test_a_value_that_is_not_utf8_is_400_naming_the_parameter(open_skies, client, path, query, name):
    """Django reads undecodable bytes as U+FFFD: ``?q=%FF`` searched for that and answered an empty 200."""
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "parameter": name,
            "message": "Not UTF-8 text: percent-encode the value's UTF-8 bytes (e.g. é as %C3%A9).",
            "code": "invalid_encoding",
        }
    ]


def test_raw_bytes_that_are_not_utf8_are_400_too(open_skies, client):
    # As a WSGI server hands a query string with raw bytes over: each byte as one Latin-1 character.
    response = client.get("/api/events/", QUERY_STRING="q=Reuters\xff")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_encoding"


def test_utf8_text_is_searched_as_written(open_skies, api):
    assert api("/api/events/", q="Helsinki")["count"] == 1
    # The UTF-8 bytes of é are the letter é, searched as such.
    assert api("/api/events/?q=H%C3%A9lsinki") == api("/api/events/", q="Hélsinki")


@pytest.mark.parametrize("value", ["01/02/2020", "2/1/2020", "2020/02/01", "01.02.2020", "1 Feb 2020"])
@pytest.mark.parametrize(("path", "name"), [("/api/events/", "date_after"), ("/api/memberships/", "as_of")])
def test_dates_are_iso_8601_only(open_skies, api, path, name, value):
    """``date_after=01/02/2020`` was read as 2 January (Django's US input format): now a 400 saying the format."""
    body = api(path, expect=400, **{name: value})
    assert body["errors"] == [
        {"parameter": name, "message": "Give a date in ISO 8601, YYYY-MM-DD, e.g. 2020-11-22.", "code": "invalid"}
    ]


@pytest.mark.parametrize("offset", [16, -16, 23])
def test_updated_after_with_an_offset_beyond_postgresqls_range_is_the_same_moment(open_skies, api, offset):
    """+16:00 is valid ISO 8601 (and Python) but beyond PostgreSQL's ±15:59: it was a vague database error there."""
    latest = Event.objects.order_by("-updated_at").first().updated_at
    zone = datetime.timezone(datetime.timedelta(hours=offset))
    at_latest = api("/api/events/", updated_after=latest.astimezone(zone).isoformat())
    assert at_latest["count"] == Event.objects.filter(updated_at__gte=latest).count() >= 1
    just_after = (latest + datetime.timedelta(microseconds=1)).astimezone(zone).isoformat()
    assert api("/api/events/", updated_after=just_after)["count"] == 0


@pytest.mark.parametrize("action", ["coverage", "text"])
def test_coverage_and_text_have_no_csv(staff, make_source, action):
    """They are not tables: ``?format=csv`` answered the source list's columns, all empty. Now a 400 naming the
    formats they have, as for any format an endpoint lacks (``Accept`` alone is answered in the one format there is,
    as ``apps.core.api.negotiation`` has it)."""
    source = make_source(text="One paragraph.\n")
    path = f"/api/sources/{source.slug}/{action}/"
    response = staff.get(path, {"format": "csv"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "parameter": "format",
            "message": "'csv' is not a format of this endpoint; give one of: json.",
            "code": "invalid",
        }
    ]
    assert staff.get(path, {"format": "json"}).status_code == 200
