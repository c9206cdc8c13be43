"""The data version: a token in the database that every write to the dataset replaces, in its own transaction.

Cached API pages (``apps.core.caching``) and other derived values (the front page's summary) are kept under it, so
a page is served only under a version of the data as committed:

- a write commits its new version with its rows; a rolled-back write leaves the version it found, and a token is
  never reused, so no page cached under a version that never committed can be served;
- nothing depends on the shared cache taking a write: a cache that lost one, restarted from an older snapshot, or
  was cut off from the writer only holds pages under versions nobody asks for any more;
- a process reads the version from the database at most every ``API_CACHE_VERSION_TTL`` seconds
  (``recent_data_version``; 0: on every request) and forgets it when one of its own writes commits. So a read that
  begins ``API_CACHE_VERSION_TTL`` after a write was acknowledged, on any server, is under the write's version or a
  later one: that is the bound on a stale read, whatever the shared cache does. Reading it on every request cut a
  cached hit's throughput by three quarters or more on PostgreSQL (two round trips, with Django's health check) and
  by half on SQLite; every 0.1 s costs nothing measurable (``bench/hits.py``).

Writes that bypass model signals (``QuerySet.update()``, ``bulk_create()``, raw SQL) must call ``bump_data_version()``
in their transaction.

**Writers take turns.** On PostgreSQL the row is locked from a transaction's first bump to its commit, and the change
log (``apps.changes.log``) has writers take turns through an advisory lock for its ids. Both are taken in one order
(``take_writers_turn()`` first), or two writers each holding one would wait for the other until PostgreSQL breaks the
deadlock by failing one of them. SQLite lets one writer at a time in anyway.
"""

import uuid
from time import monotonic

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from .models import DataVersion

# An arbitrary 64-bit key naming the writers' turn among the database's advisory locks.
WRITERS_LOCK = 7_135_246_001
ROW = 1


def take_writers_turn(using: str = DEFAULT_DB_ALIAS) -> None:
    """Wait for the writers' turn, held until the current transaction ends (PostgreSQL; SQLite needs none)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [WRITERS_LOCK])


def data_version(using: str = DEFAULT_DB_ALIAS) -> str:
    """The version of the data as committed now (or as this transaction wrote it)."""
    token = DataVersion.objects.using(using).filter(pk=ROW).values_list("token", flat=True).first()
    # The row is missing only after a flush (tests): a new version costs nothing but misses.
    return token or bump_data_version(using)


def bump_data_version(using: str = DEFAULT_DB_ALIAS) -> str:
    """Give the data a new version, in the current transaction: it commits, or rolls back, with the write."""
    token = uuid.uuid4().hex
    take_writers_turn(using)
    versions = DataVersion.objects.using(using).filter(pk=ROW)
    if not versions.update(token=token):
        DataVersion.objects.using(using).bulk_create([DataVersion(pk=ROW, token=token)], ignore_conflicts=True)
        versions.update(token=token)
    # Now, for this transaction's own next read, and at the commit, for every thread of the process.
    Recent.forget()
    transaction.on_commit(Recent.forget, using=using)
    return token


class Recent:
    """The data version this process read last: (token, monotonic time the read began), or (None, 0)."""

    last: tuple[str | None, float] = (None, 0.0)

    @classmethod
    def forget(cls) -> None:
        cls.last = (None, 0.0)


def recent_data_version() -> str:
    """The data version as this process read it at most ``API_CACHE_VERSION_TTL`` seconds ago (see the module).

    The database's error is raised when the version must be read and cannot be; ``Recent.last`` still holds the last
    one read.
    """
    token, read_at = Recent.last
    began = monotonic()
    if token is not None and began - read_at < settings.API_CACHE_VERSION_TTL:
        return token
    token = data_version()
    # When the read began: the token is at least as new as the data then.
    Recent.last = (token, began)
    return token
