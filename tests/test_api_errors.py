"""Every error under /api/ is JSON in the one documented shape, with a 4xx for the client's mistakes; the admin and
the API answer a database outage with a 503 and Retry-After, not a 500.

The real-server cases (chunked bodies, bodies over the limit through gunicorn) are in test_request_bodies.py.
"""

import json

import pytest
from django.db import OperationalError
from django.test import Client

ERROR_KEYS = {"status", "code", "detail", "errors"}
INF = "/api/treaties/inf/"


def _deep(levels: int) -> bytes:
    return b'{"summary": ' + b"[" * levels + b"]" * levels + b"}"


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].split(";")[0] == "application/json", response["Content-Type"]
    body = json.loads(response.content)
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == status
    assert isinstance(body["errors"], list) and body["detail"]
    for error in body["errors"]:
        assert set(error) == {"parameter", "message", "code"}
    return body


# (method, path, body, status): anonymous requests, on the open_skies fixture.
ANONYMOUS_CASES = [
    ("get", "/api/nope/", None, 404),
    ("get", "/api/nope", None, 404),
    ("get", "/api/events/x/y/", None, 404),
    ("get", "/api/events/no-such-event/", None, 404),
    ("get", "/api/events/bad%20key/", None, 404),
    ("get", "/api/treaties/inf/timeline/x", None, 404),
    ("get", "/api/events/?page=99", None, 404),
    ("get", "/api/events/?tretay=inf", None, 400),
    ("get", "/api/events/?format=xml", None, 400),
    ("get", "/api/events/no-such-event/?format=csv", None, 404),
    ("get", "/api/schema/?format=xml", None, 400),
    ("get", "/api/docs/?format=xml", None, 400),
    ("get", "/api/events/?updated_after=yesterday", None, 400),
    ("post", "/api/events/", b"{}", 401),
    ("post", "/api/events", b"{}", 404),
    ("delete", "/api/nope/", None, 404),
    ("put", "/api/", b"{}", 405),
]


@pytest.mark.parametrize(("method", "path", "body", "status"), ANONYMOUS_CASES)
def test_anonymous_errors_are_json_in_the_error_shape(open_skies, client, method, path, body, status):
    if body is None:
        response = getattr(client, method)(path)
    else:
        response = getattr(client, method)(path, body, content_type="application/json")
    assert_error_shape(response, status)


def test_a_write_missing_its_trailing_slash_is_a_404_naming_the_address(open_skies, curator_api):
    """Not a redirect, which many clients would follow with a GET and report a 200 for a write that never ran."""
    response = curator_api.post("/api/events", {"slug": "x"}, format="json")
    body = assert_error_shape(response, 404)
    assert "/api/events/" in body["detail"]
    assert curator_api.get("/api/events").status_code == 301


def _patch(client, body: bytes):
    etag = client.get(INF)["ETag"]
    return client.generic("PATCH", INF, body, content_type="application/json", HTTP_IF_MATCH=etag)


@pytest.mark.parametrize("levels", [25, 1_000, 20_000])
def test_deeply_nested_bodies_are_400(open_skies, curator_api, levels):
    """A body nesting too deep was a RecursionError (500) once past Python's limit; any depth past 20 is refused."""
    body = assert_error_shape(_patch(curator_api, _deep(levels)), 400)
    assert "more than 20 levels deep" in body["detail"]


def test_a_body_over_djangos_limit_is_a_json_413(open_skies, curator_api, settings):
    """Django checks the declared length before the parser: its refusal was an HTML 400."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = settings.API_MAX_BODY_BYTES = 1000
    body = assert_error_shape(_patch(curator_api, b'{"summary": "' + b"x" * 2000 + b'"}'), 413)
    assert body["code"] == "too_large"
    assert "1000 bytes" in body["detail"]


def test_a_disallowed_host_is_a_json_400(open_skies, client, settings):
    settings.ALLOWED_HOSTS = ["treaties.example.org"]
    assert_error_shape(client.get("/api/events/", HTTP_HOST="evil.example"), 400)


LISTS = ["treaties", "states", "memberships", "events", "statements", "sources"]


@pytest.mark.parametrize("endpoint", LISTS)
def test_updated_after_at_the_ends_of_the_calendar_answers(open_skies, api, endpoint):
    """Moments whose UTC time falls outside years 1-9999 were an OverflowError (500) on SQLite: they are before or
    after every record."""
    everything = api(f"/api/{endpoint}/")["count"]
    assert everything > 0
    assert api(f"/api/{endpoint}/", updated_after="0001-01-01T00:00:00+01:00")["count"] == everything
    assert api(f"/api/{endpoint}/", updated_after="0001-01-01T00:00:00Z")["count"] == everything
    assert api(f"/api/{endpoint}/", updated_after="9999-12-31T23:59:59-01:00")["count"] == 0
    assert api(f"/api/{endpoint}/", updated_after="9999-12-31T23:59:59Z")["count"] == 0


@pytest.fixture
def database_down(db, monkeypatch):
    """Every database query fails as it does when PostgreSQL is stopped; a session cookie makes each request read
    the database (its session) before any view runs."""

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = "x" * 32
    # Undone before the test database's own teardown queries.
    with monkeypatch.context() as patch:
        patch.setattr("django.db.backends.utils.CursorWrapper.execute", refuse)
        patch.setattr("django.db.backends.utils.CursorWrapper.executemany", refuse)
        yield client


@pytest.mark.parametrize("path", ["/admin/", "/admin/login/", "/admin/events/event/"])
def test_the_admin_answers_503_with_retry_after_while_the_database_is_down(database_down, path):
    response = database_down.get(path)
    assert response.status_code == 503, (path, response.status_code)
    assert response["Retry-After"] == "1"
    assert response["Content-Type"].startswith("text/plain")
    assert b"database is unavailable" in response.content


@pytest.mark.parametrize("method", ["get", "post"])
def test_the_api_answers_503_with_retry_after_even_outside_its_views(database_down, method):
    response = getattr(database_down, method)("/api/events/")
    body = assert_error_shape(response, 503)
    assert body["code"] == "unavailable"
    assert response["Retry-After"] == "1"
