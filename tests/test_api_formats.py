"""CSV that clients can fetch, and a schema that describes it: an explicit format wins over a generic Accept, each
list has a CSV-only path for generated clients, and the schema names its server and its own URLs."""

import csv
import io
import re

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.conftest import shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")

RESOURCES = ["treaties", "states", "memberships", "events", "statements", "sources"]

pytestmark = pytest.mark.django_db


def rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/json, */*;q=0.8", ""])
def test_an_explicit_format_wins_over_a_generic_accept(client, open_skies, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get("/api/events/", {"format": "csv", "treaty": "open-skies"}, **headers)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert {row["slug"] for row in rows(response)} == {
        "open-skies-signature",
        "us-withdrawal-notice",
        "russia-withdrawal-effective",
    }


def test_json_is_still_the_default_and_format_json_wins_over_accept_csv(client, open_skies):
    assert client.get("/api/events/", HTTP_ACCEPT="application/json")["Content-Type"] == "application/json"
    response = client.get("/api/events/", {"format": "json"}, HTTP_ACCEPT="text/csv")
    assert response["Content-Type"] == "application/json"
    assert client.get("/api/events/", HTTP_ACCEPT="text/csv")["Content-Type"] == "text/csv; charset=utf-8"


@pytest.mark.parametrize("resource", RESOURCES)
def test_each_list_has_a_csv_path_equal_to_format_csv(client, open_skies, resource):
    """/api/<list>.csv answers CSV whatever Accept says (a generated client sends application/json)."""
    at_path = client.get(f"/api/{resource}.csv", HTTP_ACCEPT="application/json")
    with_format = client.get(f"/api/{resource}/", {"format": "csv"})
    assert at_path.status_code == 200
    assert at_path["Content-Type"] == "text/csv; charset=utf-8"
    assert at_path.content == with_format.content
    assert len(rows(at_path)) >= 1


def test_the_csv_path_takes_the_lists_filters_and_refuses_what_it_does_not_know(client, open_skies):
    response = client.get("/api/memberships.csv", {"treaty": "open-skies", "as_of": "2020-06-01"})
    by_slug = {row["slug"]: row for row in rows(response)}
    assert by_slug["open-skies-usa"]["status"] == "withdrawing"
    # Links in the file are the records' own URLs, never a CSV path.
    assert by_slug["open-skies-usa"]["url"] == "http://testserver/api/memberships/open-skies-usa/"
    bad = client.get("/api/memberships.csv", {"tretay": "inf"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["parameter"] == "tretay"
    wrong = client.get("/api/events.csv", {"format": "json"})
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["message"] == "'json' is not a format of this endpoint; give one of: csv."


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_schema_describes_each_csv_path_as_text_only(schema, resource):
    operation = schema["paths"][f"/api/{resource}.csv"]["get"]
    assert operation["operationId"] == f"{resource}_list_csv"
    assert operation["tags"] == [resource]
    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]
    assert operation["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string"}
    names = {parameter["name"] for parameter in operation["parameters"]}
    json_names = {parameter["name"] for parameter in schema["paths"][f"/api/{resource}/"]["get"]["parameters"]}
    assert names == json_names - {"format"}


def test_summaries_are_good_english(schema):
    summaries = [operation["summary"] for methods in schema["paths"].values() for operation in methods.values()]
    assert "Create an event" in summaries
    assert "Create a state" in summaries
    assert "List events as CSV" in summaries
    assert not [summary for summary in summaries if re.search(r"\ba [aeiou]", summary, re.IGNORECASE)]
    descriptions = [operation["description"] for methods in schema["paths"].values() for operation in methods.values()]
    assert not [text for text in descriptions if re.search(r"\ba [aeiou]", text.split("\n")[0])]


def test_the_schema_names_its_server_and_pages_with_this_apis_urls(schema):
    assert schema["servers"] == [{"url": "http://127.0.0.1:8000", "description": "Development"}]
    components = schema["components"]["schemas"]
    next_page = components["PaginatedEventList"]["properties"]["next"]
    assert next_page["example"] == "http://127.0.0.1:8000/api/events/?page=4"
    # The timeline's links are cursors: its examples keep their own query.
    timeline = components["PaginatedTimelineEntryList"]["properties"]["previous"]
    assert timeline["example"] == (
        "http://127.0.0.1:8000/api/treaties/open-skies/timeline/?page_size=50&before=2020-05-22.event.us-notice"
    )
    assert "example.org" not in str(schema)


def test_a_served_schema_names_the_server_serving_it(client):
    served = client.get("/api/schema/", {"format": "json"}).json()
    assert served["servers"][0]["url"] == "http://testserver"
    assert served["components"]["schemas"]["PaginatedStateList"]["properties"]["next"]["example"] == (
        "http://testserver/api/states/?page=4"
    )
