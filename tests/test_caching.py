"""Cached API responses: served without the view or a query, and never stale after a write."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
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


def test_a_repeated_get_is_served_from_the_cache_with_one_query_the_data_version(client, django_assert_num_queries):
    make_event("a")
    first = client.get("/api/probe/")
    with django_assert_num_queries(1):
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
    """The in-process copy is keyed by the data version, so a write elsewhere still hides it."""
    make_event("a")
    client.get("/api/probe/")
    from apps.core.data_version import bump_data_version

    bump_data_version()  # as another process's write would
    client.get("/api/probe/")
    assert len(calls) == 2


# --- The data version cannot roll back, whatever the shared cache does (issue 22, defect 2) -----------------------


@pytest.fixture
def shared_cache(settings):
    """The shared caches in this process's memory, so that a test can take them back to an earlier state."""
    from treatyapi.settings import caches_from_url

    settings.CACHES = caches_from_url("locmem://rollback")
    for alias in settings.CACHES:
        caches[alias].clear()
    return [caches[alias] for alias in settings.CACHES]


def test_a_write_is_not_served_stale_when_the_shared_cache_returns_to_an_older_snapshot(client, shared_cache):
    """Redis restarted from a dump taken before a write: the next read still shows the write."""
    make_event("a")
    assert client.get("/api/probe/").json()["results"] == ["a"]
    snapshot = [(dict(cache._cache), dict(cache._expire_info)) for cache in shared_cache]
    make_event("b")
    for cache, (entries, expiry) in zip(shared_cache, snapshot, strict=True):
        cache._cache.clear()
        cache._cache.update(entries)
        cache._expire_info.clear()
        cache._expire_info.update(expiry)
    assert client.get("/api/probe/").json()["results"] == ["a", "b"]


def test_a_write_the_shared_cache_never_hears_of_is_not_served_stale(client, shared_cache, monkeypatch):
    """The writer cut off from Redis (or killed before it could retry): readers elsewhere still see the write."""
    make_event("a")
    assert client.get("/api/probe/").json()["results"] == ["a"]
    with monkeypatch.context() as cut_off:
        for method in ("set", "add", "set_many", "delete", "delete_many", "incr", "clear"):
            cut_off.setattr(LocMemCache, method, lambda *args, **kwargs: None)
        make_event("b")
    assert client.get("/api/probe/").json()["results"] == ["a", "b"]


def test_the_data_version_commits_and_rolls_back_with_the_write(db):
    """Kept in the database, in the write's transaction: a rolled-back write leaves the version it found."""
    from apps.core.data_version import data_version

    before = data_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_event("a")
        assert data_version() != before
        raise RuntimeError("rolled back")
    assert data_version() == before
    make_event("b")
    assert data_version() != before


def test_a_process_reuses_the_data_version_it_read_for_the_ttl_and_forgets_it_on_its_own_write(
    db, settings, monkeypatch, django_assert_num_queries
):
    """The bound on a stale read: another process's write is seen once API_CACHE_VERSION_TTL has passed since it
    was acknowledged, this process's own write at once."""
    from apps.core import data_version as versions
    from apps.core.models import DataVersion

    settings.API_CACHE_VERSION_TTL = 0.5
    clock = [1000.0]
    monkeypatch.setattr(versions, "monotonic", lambda: clock[0])
    first = versions.recent_data_version()
    DataVersion.objects.update(token="written-by-another-process")
    clock[0] += 0.4
    with django_assert_num_queries(0):
        assert versions.recent_data_version() == first
    clock[0] += 0.1
    with django_assert_num_queries(1):
        assert versions.recent_data_version() == "written-by-another-process"
    make_event("a")
    with django_assert_num_queries(1):
        assert versions.recent_data_version() not in {first, "written-by-another-process"}
