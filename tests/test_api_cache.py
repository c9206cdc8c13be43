"""The API's responses are cached, and a write through the admin or the ORM is visible on the next read."""

import datetime

import pytest
from django.db import OperationalError

from apps.events.models import EventCitation
from tests.conftest import VERSION_QUERIES

pytestmark = pytest.mark.django_db


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


@pytest.mark.parametrize("path", ["/api/events/", "/api/treaties/", "/api/memberships/", "/api/events/cached/"])
def test_a_repeated_request_is_answered_from_the_cache_with_no_query_but_the_data_version(
    client, make_event, make_membership, django_assert_num_queries, path
):
    make_event(slug="cached")
    make_membership()
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_num_queries(VERSION_QUERIES):
        again = client.get(path)
    assert again["X-Cache"] == "hit"
    assert again.content == first.content


def test_the_schema_runs_no_query_and_survives_data_writes(client, make_event, django_assert_num_queries):
    client.get("/api/schema/")
    make_event()
    with django_assert_num_queries(0):
        assert client.get("/api/schema/")["X-Cache"] == "hit"


def test_a_delete_in_the_admin_is_visible_on_the_next_read(client, admin_client, make_event, make_source):
    """Curators delete nothing but citations: a citation deleted in the admin is gone from the next read."""
    event = make_event(slug="cited-twice")
    extra = EventCitation.objects.create(event=event, source=make_source(), quote="A second passage.")
    assert len(client.get("/api/events/").json()["results"][0]["citations"]) == 2
    assert client.get("/api/events/")["X-Cache"] == "hit"
    response = admin_client.post(f"/admin/events/eventcitation/{extra.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    quotes = [citation["quote"] for citation in client.get("/api/events/").json()["results"][0]["citations"]]
    assert quotes == [event.citations.get().quote]


def test_an_addition_in_the_admin_is_visible_on_the_next_read(client, admin_client):
    assert client.get("/api/states/").json()["count"] == 0
    response = admin_client.post(
        "/admin/treaties/state/add/", {"code": "RUS", "name": "Russia", "aliases": "[]", "kind": "state"}
    )
    assert response.status_code == 302, response.content[:2000]
    assert [state["code"] for state in client.get("/api/states/").json()["results"]] == ["RUS"]


def test_an_orm_update_is_visible_on_the_next_read(client, make_event):
    event = make_event(slug="before", title="Before")
    assert client.get("/api/events/before/").json()["title"] == "Before"
    event.title = "After"
    event.save()
    assert client.get("/api/events/before/").json()["title"] == "After"


def test_a_poller_with_the_etag_gets_304_until_the_data_changes(client, make_event):
    make_event(slug="a")
    etag = client.get("/api/events/")["ETag"]
    assert client.get("/api/events/", headers={"If-None-Match": etag}).status_code == 304
    make_event(slug="b")
    fresh = client.get("/api/events/", headers={"If-None-Match": etag})
    assert fresh.status_code == 200
    assert slugs(fresh) == ["a", "b"]


def test_a_deep_page_costs_one_query_more_and_holds_the_rows_offset_paging_would(
    client, make_event, monkeypatch, django_assert_num_queries
):
    """Past DEFERRED_JOIN_AFTER rows from the nearer end, the page's keys are read first, then its rows (a CSV page,
    built from rows in Python); a JSON page reads its keys, then their JSON, wherever it is."""
    from apps.core.api import pagination

    monkeypatch.setattr(pagination, "DEFERRED_JOIN_AFTER", 1)
    for n in range(9):
        make_event(
            slug=f"e{n}",
            date=None if n == 4 else datetime.date(2020, 1, 1 + n),
            date_precision="" if n == 4 else "day",
        )
    everything = slugs(client.get("/api/events/", {"page_size": 100}))
    pages = []
    for page in (1, 2, 3):
        # version, count, keys, their JSON
        with django_assert_num_queries(VERSION_QUERIES + 3):
            pages += slugs(client.get("/api/events/", {"page_size": 3, "page": page}))
    assert pages == everything
    rows = []
    for page in (1, 2, 3):
        # version, count, [keys,] events, participants, citations
        with django_assert_num_queries(VERSION_QUERIES + 4 + (page == 2)):
            response = client.get("/api/events/", {"page_size": 3, "page": page, "format": "csv"})
        rows += [line.split(",")[0] for line in response.content.decode().splitlines()[1:]]
    assert rows == everything


def test_while_the_database_does_not_answer_cached_pages_are_served_stale_and_the_rest_is_a_503(
    client, make_event, monkeypatch
):
    """Issue 22, defect 10: with the database stalled or stopped, no write can be acknowledged; a process serves the
    pages of the last data version it read, marked stale, and answers anything else with the database's 503."""
    from apps.core import caching

    make_event(slug="cached")
    first = client.get("/api/events/")
    assert first["X-Cache"] == "miss"

    def unanswered(*args, **kwargs):
        raise OperationalError("The database did not answer within 6 s; the connection was closed.")

    monkeypatch.setattr(caching, "recent_data_version", unanswered)
    client.raise_request_exception = False
    again = client.get("/api/events/")
    assert (again.status_code, again["X-Cache"], again.content) == (200, "stale", first.content)
    other = client.get("/api/treaties/")
    assert (other.status_code, other["Retry-After"], other.json()["code"]) == (503, "1", "unavailable")
    assert "X-Cache" not in other
