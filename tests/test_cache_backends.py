"""An unreachable Redis is an empty cache to the API: reads miss, writes are dropped, nothing raises. (Against a live
Redis: tests/test_services.py, and CI's Redis run.)"""

import pytest
from django.core.cache import caches
from django.test import Client

from tests.servers import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """Caches on a Redis that is not there."""
    from treatyapi.settings import caches_from_url

    settings.CACHES = caches_from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there


def test_every_operation_answers_as_an_empty_cache(redis_down):
    cache = caches["default"]
    assert cache.get("k", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.set_many({"a": 1}) == ["a"]
    assert cache.has_key("k") is False
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    cache.delete_many(["a"])
    cache.clear()
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.unreachable


def test_after_a_failure_redis_is_not_tried_again_for_a_second(redis_down, monkeypatch):
    cache = caches["default"]
    cache.get("k")
    calls = []
    monkeypatch.setattr(type(cache).__mro__[1], "get", lambda *args: calls.append(args))
    assert cache.get("k", "fallback") == "fallback"
    assert calls == []


def test_the_api_answers_from_the_database_while_redis_is_down(redis_down, make_event, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "user": None}}
    make_event(slug="read-without-redis")
    responses = [Client().get("/api/events/") for _ in range(3)]
    # The throttle cannot count, so it fails open: served, not refused.
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [item["slug"] for item in responses[-1].json()["results"]] == ["read-without-redis"]


def test_a_full_redis_is_a_miss_and_the_throttle_fails_open(redis_down, make_event, settings, monkeypatch):
    """Issue 22, defect 4: with maxmemory-policy noeviction, a Redis out of memory refuses writes; that was a 500.
    Now the page is served from the database and not stored, and the throttle, unable to count, lets it through."""
    from django.core.cache.backends.redis import RedisCache
    from redis.exceptions import OutOfMemoryError

    def refused(*args, **kwargs):
        raise OutOfMemoryError("command not allowed when used memory > 'maxmemory'.")

    monkeypatch.setattr(RedisCache, "get", lambda self, key, default=None, version=None: default)
    monkeypatch.setattr(RedisCache, "set", refused)
    monkeypatch.setattr(caches["throttle"]._cache, "get_client", lambda *args, **kwargs: FullRedis(refused))
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/min", "user": None}}
    make_event(slug="served-from-a-full-redis")
    responses = [Client().get("/api/events/") for _ in range(2)]
    assert [(response.status_code, response["X-Cache"]) for response in responses] == [(200, "miss")] * 2
    assert caches["default"].full


class FullRedis:
    """A client whose scripts are refused as a full Redis refuses a script that writes."""

    def __init__(self, refused):
        self.refused = refused

    def register_script(self, script):
        return self.refused
