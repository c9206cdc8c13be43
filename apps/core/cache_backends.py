"""A Redis cache that an unreachable or full Redis turns into misses, not 500s.

Django's RedisCache raises on a connection error, so a stopped Redis would fail every request that reads the cache.
Here every operation that cannot reach Redis answers as an empty cache would (a read misses, a write is dropped),
logs once per outage, and for ``RETRY_AFTER`` seconds does not try again, so a dead or stalled Redis costs
requests nothing but the database reads a miss causes. ``unreachable`` tells a caller whose write was dropped.

A Redis out of memory under ``maxmemory-policy noeviction`` refuses writes (``OOM command not allowed``): a write
is then dropped too (the first refusal is logged), while reads go on.

What this means for each user of the cache: API pages are read from the database; the throttle cannot count, so it
fails open (requests are served, unthrottled) until Redis is back. The data version that pages are kept under is in
the database (``apps.core.data_version``), so nothing Redis loses or brings back can serve a page older than a write.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class TolerantRedisCache(RedisCache):
    """Django's RedisCache; while Redis cannot be reached, reads miss and writes are dropped (see the module)."""

    RETRY_AFTER = 1.0

    def __init__(self, server, params):
        super().__init__(server, params)
        self.down_until = 0.0
        # Whether the last operation could not reach Redis.
        self.unreachable = False
        # Whether the last write was refused for want of memory.
        self.full = False

    def _tolerant(self, operation, fallback, *args, **kwargs):
        """``operation`` (a RedisCache method's name, or a callable), or ``fallback`` if Redis cannot be reached."""
        if time.monotonic() < self.down_until:
            return fallback
        call = operation if callable(operation) else getattr(super(), operation)
        try:
            result = call(*args, **kwargs)
        except OutOfMemoryError as error:
            if not self.full:
                logger.warning("Redis cache %r full, its writes are dropped: %s", self.key_prefix, error)
            self.full = True
            return fallback
        except UNREACHABLE as error:
            if not self.unreachable:
                logger.warning("Redis cache %r unreachable, serving without it: %s", self.key_prefix, error)
            self.unreachable = True
            self.down_until = time.monotonic() + self.RETRY_AFTER
            return fallback
        if self.unreachable:
            logger.warning("Redis cache %r reachable again.", self.key_prefix)
            self.unreachable = False
        return result

    def get(self, key, default=None, version=None):
        return self._tolerant("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._tolerant("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._tolerant("has_key", False, key, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant("add", False, key, value, timeout, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant("set_many", list(data), data, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._tolerant("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._tolerant("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._tolerant("delete_many", None, keys, version)

    def incr(self, key, delta=1, version=None):
        # Like an absent key (the caller's fallback path), which is what an unreachable cache holds.
        result = self._tolerant("incr", None, key, delta, version)
        if result is None:
            raise ValueError(f"Key '{key}' not found (the cache is unreachable).")
        return result

    def clear(self):
        """Delete this alias's keys only: Django's clear() empties the whole database, the other aliases too."""

        def delete_prefixed():
            client = self._cache.get_client(None, write=True)
            keys = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=1000):
                keys.append(key)
                if len(keys) == 1000:
                    client.delete(*keys)
                    keys = []
            if keys:
                client.delete(*keys)

        return self._tolerant(delete_prefixed, None)
