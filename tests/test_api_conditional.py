"""No lost updates: ETags on every detail response, 304 on If-None-Match, If-Match required for writes."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.treaties.models import Treaty

DETAILS = [
    "treaties/open-skies",
    "states/RUS",
    "memberships/open-skies-usa",
    "events/us-withdrawal-notice",
    "statements/peskov-regrets",
    "sources/tass-2021-russia-withdrawal",
]


@pytest.mark.parametrize("path", DETAILS)
def test_detail_responses_carry_etag_and_last_modified(open_skies, path):
    response = APIClient().get(f"/api/{path}/")
    assert response["ETag"].startswith('"') and response["ETag"].endswith('"')
    assert response["Last-Modified"].endswith(" GMT")


@pytest.mark.parametrize("path", DETAILS)
def test_a_cached_and_an_uncached_get_give_the_same_etag(open_skies, curator_api, path):
    """The response cache keeps the record's ETag (the one If-Match is checked against) instead of its own."""
    anonymous = APIClient()
    miss, hit = anonymous.get(f"/api/{path}/"), anonymous.get(f"/api/{path}/")
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    authenticated = curator_api.get(f"/api/{path}/")
    assert "X-Cache" not in authenticated
    assert miss["ETag"] == hit["ETag"] == authenticated["ETag"]
    assert miss["Last-Modified"] == hit["Last-Modified"] == authenticated["Last-Modified"]


@pytest.mark.parametrize("client_kind", ["anonymous-cached", "curator_api-uncached"])
def test_if_none_match_with_the_current_etag_is_304(open_skies, curator_api, client_kind):
    client = curator_api if client_kind == "curator_api-uncached" else APIClient()
    url = "/api/events/us-withdrawal-notice/"
    etag = client.get(url)["ETag"]
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_write_changes_the_etag_seen_by_cached_and_uncached_reads(open_skies, curator_api, write):
    url = "/api/treaties/inf/"
    anonymous = APIClient()
    before = anonymous.get(url)["ETag"]
    after = write(curator_api, "patch", url, {"summary": "Terminated in 2019."}, expect=200, etag=before)["ETag"]
    assert after != before
    assert anonymous.get(url)["ETag"] == after == curator_api.get(url)["ETag"]
    assert anonymous.get(url, HTTP_IF_NONE_MATCH=before).status_code == 200


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_without_if_match_are_428(open_skies, curator_api, write, method):
    full = {"slug": "inf", "name": "INF Treaty", "kind": "bilateral", "domain": "arms_control", "summary": "x"}
    body = write(curator_api, method, "/api/treaties/inf/", full, expect=428).json()
    assert body["status"] == 428 and body["code"] == "precondition_required"
    assert body["errors"] == [{"parameter": "If-Match", "message": "This header is required.", "code": "required"}]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_writes_with_a_stale_etag_are_412_and_change_nothing(open_skies, curator_api, write, method):
    url = "/api/treaties/inf/"
    stale = curator_api.get(url)["ETag"]
    write(curator_api, "patch", url, {"summary": "First."}, expect=200, etag=stale)
    full = {"slug": "inf", "name": "INF Treaty", "kind": "bilateral", "domain": "arms_control", "summary": "Second."}
    body = write(curator_api, method, url, full, expect=412, etag=stale).json()
    assert body["code"] == "precondition_failed"
    assert body["errors"][0]["parameter"] == "If-Match"
    assert Treaty.objects.get(slug="inf").summary == "First."


def test_if_match_star_matches_any_current_version(open_skies, curator_api, write):
    write(curator_api, "patch", "/api/treaties/inf/", {"summary": "Any."}, expect=200, etag="*")


def test_the_etag_of_a_put_response_is_the_next_if_match(open_skies, curator_api, write):
    url = "/api/states/BLR/"
    etag = curator_api.get(url)["ETag"]
    first = write(
        curator_api, "put", url, {"code": "BLR", "name": "Belarus", "aliases": ["Byelorussia"]}, expect=200, etag=etag
    )
    assert first.json()["aliases"] == ["Byelorussia"]
    write(curator_api, "put", url, {"code": "BLR", "name": "Belarus"}, expect=200, etag=first["ETag"])


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_updates_with_the_same_etag_one_wins_one_gets_412(open_skies, writers_group, make_api_user):
    """Two writers read the same version and write at once: exactly one succeeds, the other is told (412), and the
    winner's change is what is stored; the If-Match check holds the row (or SQLite's write lock) until commit."""
    from tests.conftest import token_client

    url = "/api/treaties/inf/"
    user = make_api_user("concurrent", writers_group)
    etag = token_client(user).get(url)["ETag"]
    start = threading.Barrier(2)
    results = {}

    def update(summary: str) -> None:
        try:
            client = token_client(user)
            start.wait(timeout=10)
            response = client.patch(url, {"summary": summary}, format="json", HTTP_IF_MATCH=etag)
            results[summary] = (response.status_code, response.json())
        finally:
            # Closed, not close_old_connections(): that keeps a connection younger than CONN_MAX_AGE, and an
            # open session of an ended thread stops the test database from being dropped.
            connection.close()

    threads = [threading.Thread(target=update, args=(summary,)) for summary in ("Writer A.", "Writer B.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 412], results
    winner = next(summary for summary, (status, _) in results.items() if status == 200)
    loser = next(body for status, body in results.values() if status == 412)
    assert loser["code"] == "precondition_failed"
    assert Treaty.objects.get(slug="inf").summary == winner
