"""Links between records: a treaty links to its memberships, events, statements and timeline; a state to its
memberships, events and statements; an event to the statements answering it; the API root lists every entry point.
Each link is a URL a client follows unchanged, to the same records the filters give."""

import pytest

from tests.conftest import shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")

pytestmark = pytest.mark.django_db


def keys(client, url: str, key: str = "slug") -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    # A timeline entry holds its record under its kind.
    return {item[item["kind"]]["slug"] if "event" in item else item[key] for item in response.json()["results"]}


def test_a_treaty_links_to_its_memberships_events_statements_and_timeline(client, open_skies):
    treaty = client.get("/api/treaties/open-skies/").json()
    assert treaty["memberships_url"] == "http://testserver/api/memberships/?treaty=open-skies"
    assert keys(client, treaty["memberships_url"]) == {"open-skies-usa", "open-skies-rus", "open-skies-blr"}
    assert keys(client, treaty["events_url"]) == {
        "open-skies-signature",
        "us-withdrawal-notice",
        "russia-withdrawal-effective",
    }
    assert keys(client, treaty["statements_url"]) == {"peskov-regrets", "joint-statement"}
    assert treaty["timeline_url"] == "http://testserver/api/treaties/open-skies/timeline/"
    assert keys(client, treaty["timeline_url"]) == keys(client, treaty["events_url"]) | keys(
        client, treaty["statements_url"]
    )


def test_a_state_links_to_its_memberships_events_and_statements(client, open_skies):
    state = client.get("/api/states/RUS/").json()
    assert keys(client, state["memberships_url"]) == {"open-skies-rus"}
    assert keys(client, state["events_url"]) == {
        "open-skies-signature",
        "us-withdrawal-notice",
        "russia-withdrawal-effective",
    }
    assert keys(client, state["statements_url"]) == {"peskov-regrets"}


def test_an_event_links_to_the_statements_answering_it(client, open_skies):
    event = client.get("/api/events/us-withdrawal-notice/").json()
    assert event["statements_url"] == "http://testserver/api/statements/?responds_to=us-withdrawal-notice"
    assert keys(client, event["statements_url"]) == {"peskov-regrets"}


def test_lists_carry_the_same_links_as_details(client, open_skies):
    listed = {item["code"]: item for item in client.get("/api/states/").json()["results"]}
    assert listed["USA"] == client.get("/api/states/USA/").json()
    assert listed["USA"]["events_url"] == "http://testserver/api/events/?state=USA"


def test_the_api_root_lists_every_entry_point(client, db):
    root = client.get("/api/", HTTP_ACCEPT="application/json").json()
    assert root == {
        "treaties": "http://testserver/api/treaties/",
        "states": "http://testserver/api/states/",
        "memberships": "http://testserver/api/memberships/",
        "events": "http://testserver/api/events/",
        "statements": "http://testserver/api/statements/",
        "sources": "http://testserver/api/sources/",
        "treaty_timeline": "http://testserver/api/treaties/{slug}/timeline/",
        "changes": "http://testserver/api/changes/",
        "releases": "http://testserver/api/releases/",
        "latest_release": None,
        "schema": "http://testserver/api/schema/",
        "docs": "http://testserver/api/docs/",
    }
    for name, url in root.items():
        if name not in {"treaty_timeline", "latest_release"}:  # a template, and no release before the first
            assert client.get(url).status_code == 200, name


def test_links_are_uris_in_the_schema(client, db):
    schema = client.get("/api/schema/", {"format": "json"}).json()["components"]["schemas"]
    assert schema["Treaty"]["properties"]["memberships_url"]["format"] == "uri"
    assert schema["Treaty"]["properties"]["memberships_url"]["readOnly"] is True
    assert schema["State"]["properties"]["statements_url"]["description"]
    assert "statements_url" in schema["Event"]["properties"]
