"""Rate limits counted in the shared ``throttle`` cache, atomically, with rates read when a request comes (so settings
can change them), and one rule for who the client is.

The client is the socket's address unless ``NUM_PROXIES`` says how many proxies in front append to
``X-Forwarded-For``: a header any client can write must never be the identity, or a new value per request is never
throttled. The admin's login lockout (django-axes) uses the same rule (``client_address``).

**Counting.** DRF's throttle reads a client's list of request times, then writes it back: concurrent requests all read
the same list, and 700 requests over 16 connections passed 451 times against a limit of 300. Here a request is
counted in the same step that checks it (``take``): a Lua script on Redis, a lock elsewhere. A client's count is kept
per window of the rate's duration (a minute for ``300/min``), and the limit applies to a sliding estimate: the
current window's count plus the previous window's, weighted by how much of it the last ``duration`` seconds still
cover. Refused requests are not counted, as with DRF.

**Eviction.** On Redis, the counts of one window are one hash with no expiry, deleted by the script once two newer
windows exist; pages are stored with a timeout. Under a ``volatile-*`` ``maxmemory-policy`` (see the README) Redis
evicts only keys with a timeout, so no amount of page traffic can evict a count: pages and counts do not share an
eviction pool. A Redis that is full (``noeviction``) or unreachable cannot count: the throttle then fails open.
"""

import math
import threading
import time
from contextlib import contextmanager

from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from rest_framework import throttling
from rest_framework.settings import api_settings

from apps.core.cache_backends import TolerantRedisCache

THROTTLE_CACHE_ALIAS = "throttle"

# KEYS: the hashes of the current window, the previous one and the one before it (deleted: windows end by turning
# over). ARGV: the client's field, the limit, the weight of the previous window's count. Returns whether the request
# is allowed, then the current and previous counts (the current one including this request when allowed).
TAKE = """
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local previous = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if previous * tonumber(ARGV[3]) + current >= tonumber(ARGV[2]) then
  return {0, current, previous}
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('DEL', KEYS[3])
return {1, current + 1, previous}
"""

_process_lock = threading.Lock()


def client_address(request) -> str:
    """The client's address by the one rule of the API and the admin (``NUM_PROXIES``); a Django or DRF request."""
    return throttling.BaseThrottle().get_ident(request)


def take(cache, key: str, limit: int, duration: int, now: float) -> tuple[bool, int, int]:
    """Count a request of ``key`` if the sliding estimate is under ``limit``, in one step: (allowed, current count,
    previous window's count)."""
    window, elapsed = divmod(now, duration)
    weight = 1 - elapsed / duration
    if isinstance(cache, TolerantRedisCache):
        return _take_on_redis(cache, key, limit, duration, int(window), weight)
    current_key, previous_key = f"{key}:{int(window)}", f"{key}:{int(window) - 1}"
    with _locked(cache):
        current, previous = cache.get(current_key, 0), cache.get(previous_key, 0)
        if previous * weight + current >= limit:
            return False, current, previous
        cache.set(current_key, current + 1, 2 * duration)
    return True, current + 1, previous


def _take_on_redis(cache, key, limit, duration, window, weight):
    hashes = [cache.make_and_validate_key(f"counts:{duration}:{window - age}") for age in range(3)]

    def run():
        client = cache._cache.get_client(hashes[0], write=True)
        return client.register_script(TAKE)(keys=hashes, args=[key, limit, weight])

    answer = cache._tolerant(run, None)
    if answer is None:  # Redis unreachable or full: fail open (see the module)
        return True, 0, 0
    allowed, current, previous = answer
    return bool(allowed), int(current), int(previous)


def counted(cache, key: str, duration: int) -> int:
    """The requests of ``key`` counted in the current and the previous window (0 when Redis cannot be read)."""
    window = int(time.time() // duration)
    if isinstance(cache, TolerantRedisCache):

        def read():
            client = cache._cache.get_client(key)
            hashes = [cache.make_and_validate_key(f"counts:{duration}:{window - age}") for age in range(2)]
            return sum(int(client.hget(name, key) or 0) for name in hashes)

        return cache._tolerant(read, 0)
    return sum(cache.get(f"{key}:{window - age}", 0) for age in range(2))


@contextmanager
def _locked(cache):
    """One request at a time for a count: the threads of this process, and for a directory cache its processes."""
    with _process_lock:
        if not isinstance(cache, FileBasedCache):
            yield
            return
        import fcntl  # POSIX only, as the directory cache's users are

        cache._createdir()
        with open(f"{cache._dir}/throttle.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def seconds_until_allowed(limit: int, duration: int, now: float, current: int, previous: int) -> int:
    """When the sliding estimate falls under ``limit`` if the client sends nothing more (at least 1 s)."""
    elapsed = now % duration
    if current < limit:
        # previous * (1 - (elapsed + t) / duration) + current < limit
        wait = duration * (1 - (limit - current) / previous) - elapsed if previous else 0
    else:
        # In the next window this one weighs in as the previous: current * (1 - t' / duration) < limit.
        wait = duration - elapsed + (duration * (1 - limit / current) if current else 0)
    return max(1, math.ceil(wait))


class LiveRateMixin:
    """DRF's rate throttle, counted by ``take`` in the ``throttle`` cache."""

    timer = time.time

    def get_rate(self):
        # DRF copies the rates when the class is defined; read them now, so tests and settings changes apply.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    @property
    def cache(self):
        # Apart from the cached pages, so anonymous traffic filling those cannot evict the counts.
        return caches[THROTTLE_CACHE_ALIAS]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        self.now = self.timer()
        allowed, self.current, self.previous = take(self.cache, key, self.num_requests, self.duration, self.now)
        return allowed

    def wait(self):
        return seconds_until_allowed(self.num_requests, self.duration, self.now, self.current, self.previous)


class AnonThrottle(LiveRateMixin, throttling.AnonRateThrottle):
    """Anonymous clients, by address. Cached responses are served before it, at the cost of a cache read."""


class UserThrottle(LiveRateMixin, throttling.UserRateThrottle):
    """Authenticated clients (tokens and sessions), by user."""


class FailedAuthenticationThrottle(AnonThrottle):
    """Counts a failed authentication against the anonymous rate of its address (same counter as AnonThrottle).

    Used while authenticating, when ``request.user`` cannot be read yet: the key is the address alone.
    """

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
