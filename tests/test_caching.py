"""Cached API responses: served without the view or a query, and never stale after a write."""

import pytest
from django.http import JsonResponse
from django.urls import path

from apps.events.models import Event
from apps.treaties.models import State

# A stand-in endpoint under /api/, so the middleware is tested apart from any one viewset.
calls = []


def event_slugs(request):
    calls.append(request.path)
    return JsonResponse({"results": list(Event.objects.order_by("slug").values_list("slug", flat=True))})


def failing(request):
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [path("api/probe/", event_slugs), path("api/missing/", failing)]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def reset_calls():
    calls.clear()


def make_event(slug: str) -> Event:
    return Event.objects.create(slug=slug, type="meeting", title=slug)


def test_a_repeated_get_is_served_from_the_cache_without_the_view_or_a_query(client, django_assert_num_queries):
    make_event("a")
    first = client.get("/api/probe/")
    with django_assert_num_queries(0):
        second = client.get("/api/probe/")
    assert len(calls) == 1
    assert first["X-Cache"] == "miss" and second["X-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == "application/json"
    assert second["ETag"] == first["ETag"]


@pytest.mark.parametrize("write", ["create", "update", "delete", "many-to-many"])
def test_any_write_is_visible_on_the_next_read(client, write):
    event = make_event("a")
    state = State.objects.create(code="RUS", name="Russia")
    before = client.get("/api/probe/").json()
    if write == "create":
        make_event("b")
    elif write == "update":
        event.slug = "renamed"
        event.save()
    elif write == "delete":
        event.delete()
    else:
        event.states.add(state, through_defaults={"role": "actor"})
    after = client.get("/api/probe/")
    assert after["X-Cache"] == "miss"
    assert len(calls) == 2
    if write != "many-to-many":
        assert after.json() != before


def test_the_version_changes_again_when_the_write_commits(django_capture_on_commit_callbacks):
    """A page cached between the write and its commit may hold the old rows: the commit must orphan it too."""
    from apps.core.caching import data_version

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_event("a")
        during = data_version()
    for callback in callbacks:
        callback()
    assert data_version() != during


def test_a_matching_if_none_match_gets_a_304_without_a_body(client):
    etag = client.get("/api/probe/")["ETag"]
    not_modified = client.get("/api/probe/", headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    make_event("a")
    assert client.get("/api/probe/", headers={"If-None-Match": etag}).status_code == 200


def test_requests_with_cookies_or_credentials_and_error_responses_are_not_cached(client):
    client.cookies["sessionid"] = "abc"
    client.get("/api/probe/")
    client.get("/api/probe/")
    client.cookies.clear()
    client.get("/api/probe/", headers={"Authorization": "Token x"})
    assert len(calls) == 3
    client.get("/api/missing/")
    assert "X-Cache" not in client.get("/api/missing/")


def test_a_process_keeps_recent_entries_and_drops_the_oldest_past_its_byte_limit(client, settings):
    from apps.core.caching import APICacheMiddleware

    settings.API_CACHE_RECENT_BYTES = 10
    middleware = APICacheMiddleware(lambda request: None)
    middleware.remember("a", (b"123456", {}))
    middleware.remember("b", (b"123456", {}))
    assert list(middleware.recent) == ["b"]
    assert middleware.recent_bytes == 6


def test_an_entry_kept_in_the_process_is_unreachable_after_a_write(client):
    """The in-process copy is keyed by the shared data version, so a write elsewhere still hides it."""
    make_event("a")
    client.get("/api/probe/")
    from apps.core.caching import bump_data_version

    bump_data_version()  # as another process's write would
    client.get("/api/probe/")
    assert len(calls) == 2
