"""Each endpoint runs a fixed number of SQL queries, whatever the page size or the number of related records."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import VERSION_QUERIES, shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")

# A JSON page (after the version): the count, the page's keys, then the page's records, each with its nested
# records and related lists, written as JSON by the database in one query (apps/core/api/rows.py).
JSON_LIST_QUERIES = 3
# A JSON detail: the record's key and updated_at (its 404 and ETag), then its JSON as on its list.
JSON_DETAIL_QUERIES = 2
# Queries per CSV list request (after the version), built from rows in Python: the count, the page, then one per
# related list.
LIST_QUERIES = {
    "treaties": 4,  # count, treaties, depositaries, citations with their sources
    "states": 2,  # count, states with their predecessor
    "memberships": 3,  # count, memberships with treaty and state, citations with sources
    "events": 4,  # count, events with treaty, participants with states, citations with sources
    "statements": 5,  # count, statements with treaty, state and event, joint states, mentioned states, citations
    "sources": 2,  # count, sources
}
DETAILS = [
    "treaties/open-skies",
    "states/rus",
    "memberships/open-skies-usa",
    "events/us-withdrawal-notice",
    "statements/peskov-regrets",
    "sources/tass-2021-russia-withdrawal",
]
TIMELINE_QUERIES = {
    # the treaty, a count of each kind, the page's keys (both kinds merged by the database), then the JSON of its
    # events and of its statements
    "treaties/open-skies/timeline": 6,
}


@pytest.mark.parametrize("endpoint", LIST_QUERIES)
@pytest.mark.parametrize("page_size", [1, 100])
def test_list_query_count_is_fixed(client, open_skies, django_assert_num_queries, endpoint, page_size):
    with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES):
        response = client.get(f"/api/{endpoint}/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == (1 if page_size == 1 else response.json()["count"])


@pytest.mark.parametrize("endpoint", LIST_QUERIES)
def test_csv_export_query_count_is_fixed(client, open_skies, django_assert_num_queries, endpoint):
    """The unpaginated CSV skips the count; its rows and each related list are one query each."""
    with django_assert_num_queries(VERSION_QUERIES + LIST_QUERIES[endpoint] - 1):
        response = client.get(f"/api/{endpoint}/", {"format": "csv"})
    assert response.status_code == 200


@pytest.mark.parametrize("path", DETAILS)
def test_detail_query_count_is_fixed(client, open_skies, django_assert_num_queries, path):
    with django_assert_num_queries(VERSION_QUERIES + JSON_DETAIL_QUERIES):
        response = client.get(f"/api/{path}/")
    assert response.status_code == 200


@pytest.mark.parametrize("path", TIMELINE_QUERIES)
def test_timeline_query_count_is_fixed(client, open_skies, django_assert_num_queries, path):
    with django_assert_num_queries(VERSION_QUERIES + TIMELINE_QUERIES[path]):
        response = client.get(f"/api/{path}/")
    assert response.status_code == 200


def test_a_timeline_page_by_cursor_costs_what_a_page_by_number_does(client, open_skies, django_assert_num_queries):
    """The treaty, a count of each kind, the keys from the cursor's place (both kinds merged by the database), the
    JSON of its events and of its statements."""
    link = client.get("/api/treaties/open-skies/timeline/", {"page_size": 2}).json()["next"]
    for _ in ("next", "previous"):
        with django_assert_num_queries(VERSION_QUERIES + TIMELINE_QUERIES["treaties/open-skies/timeline"]):
            page = client.get(link).json()
        assert len(page["results"]) == 2
        link = page["previous"]  # not read yet, so not cached either


def test_filters_by_key_add_one_lookup_each(client, open_skies, django_assert_num_queries):
    """A key filter resolves its key once (so an unknown key can be refused); the rest is in the same queries, but for
    the state's event keys, read first on PostgreSQL (``apps.core.api.filters.among``)."""
    state_keys = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES + 2 + state_keys):
        response = client.get(
            "/api/events/", {"treaty": "open-skies", "state": "RUS", "type": "signature", "date_after": "1990-01-01"}
        )
    assert response.json()["count"] == 1


def test_a_states_events_are_counted_from_its_keys_on_postgresql(client, open_skies, django_assert_num_queries):
    """Each state is looked up; on PostgreSQL each state's event keys are read first (one query each) and, with no
    other filter, the count is the number of keys in both (one query fewer); SQLite counts the subqueries as any list.
    """
    on_postgresql = connection.vendor == "postgresql"
    with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES + 2 + (2 - 1 if on_postgresql else 0)):
        response = client.get("/api/events/", {"actor": "USA", "target": "RUS", "ordering": "-date"})
    assert response.json()["count"] == 1


@pytest.mark.parametrize(
    ("endpoint", "q"), [("events", "open skies"), ("statements", "peskov"), ("sources", "open skies")]
)
def test_a_search_reads_its_count_with_its_page_on_postgresql(
    client, open_skies, django_assert_num_queries, endpoint, q
):
    """On PostgreSQL one query fewer than the list: the search's page query counts every match (``COUNT(*) OVER
    ()``). SQLite's bm25() cannot be used beside a window function: there the count stays its own query."""
    counted_with_page = 1 if connection.vendor == "postgresql" else 0
    with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES - counted_with_page):
        response = client.get(f"/api/{endpoint}/", {"q": q})
    assert response.json()["count"] >= 1


def test_query_count_does_not_grow_with_related_records(client, open_skies, make_event, django_assert_num_queries):
    states = list(open_skies["states"].values())
    for n in range(5):
        make_event(
            treaty=open_skies["treaty"], participants=[(state, "participant") for state in states], slug=f"x{n}"
        )
    with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES):
        client.get("/api/events/", {"page_size": 100})
    with django_assert_num_queries(VERSION_QUERIES + LIST_QUERIES["events"] - 1):
        client.get("/api/events/", {"format": "csv"})


@pytest.mark.parametrize("endpoint", ["events", "statements", "memberships"])
def test_the_count_does_not_join_the_rows_columns(client, open_skies, endpoint):
    """The count is of the filtered records: on SQLite, joins kept for the page's columns made it several times
    slower."""
    with CaptureQueriesContext(connection) as captured:
        client.get(f"/api/{endpoint}/")
    count = next(query["sql"] for query in captured.captured_queries if "COUNT(" in query["sql"])
    assert " JOIN " not in count
