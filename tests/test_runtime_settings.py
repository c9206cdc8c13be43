"""Timeouts, cache aliases and the public origin come from the environment, with safe defaults."""

import json

import pytest

from tests.test_settings import _manage
from treatyapi.settings import caches_from_url

PRINT_DATABASE = (
    "import json; from django.conf import settings; d = settings.DATABASES['default']; "
    "print(json.dumps({'ENGINE': d['ENGINE'], 'OPTIONS': d['OPTIONS']}))"
)


@pytest.fixture(autouse=True)
def default_timeouts(monkeypatch):
    """The suite's environment raises the timeouts (pyproject.toml); these tests read the defaults."""
    for name in ("DB_STATEMENT_TIMEOUT", "DB_LOCK_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)


def database_settings(**env) -> dict:
    result = _manage("shell", "-c", PRINT_DATABASE, DEBUG="1", **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_connects_runs_and_waits_for_locks_within_bounds():
    """Defaults: 3 s to connect, 5 s per statement, 3 s for a lock, no parallel workers; each from its environment
    variable."""
    default = database_settings(DATABASE_URL="postgres://u:p@db.example:5432/t")
    assert default["ENGINE"] == "apps.core.db.postgresql"
    assert default["OPTIONS"]["connect_timeout"] == 3
    assert default["OPTIONS"]["options"] == (
        "-c statement_timeout=5000 -c lock_timeout=3000 -c max_parallel_workers_per_gather=0"
    )
    tuned = database_settings(
        DATABASE_URL="postgres://u:p@db.example:5432/t",
        DB_CONNECT_TIMEOUT="2",
        DB_STATEMENT_TIMEOUT="0.5",
        DB_LOCK_TIMEOUT="0",
        DB_PARALLEL_WORKERS="2",
    )
    assert tuned["OPTIONS"]["connect_timeout"] == 2
    assert (
        tuned["OPTIONS"]["options"]
        == "-c statement_timeout=500 -c lock_timeout=0 -c max_parallel_workers_per_gather=2"
    )


def test_sqlite_waits_for_another_writer_as_long_as_the_lock_timeout():
    assert database_settings(DATABASE_URL="sqlite:////tmp/x.sqlite3", DB_LOCK_TIMEOUT="4")["OPTIONS"]["timeout"] == 4


@pytest.mark.parametrize("url", ["https://treaties.example.org/api/", "treaties.example.org", "ftp://x.example"])
def test_a_public_url_that_is_not_an_origin_is_refused(url):
    result = _manage("check", DEBUG="1", PUBLIC_URL=url)
    assert result.returncode != 0
    assert f"PUBLIC_URL={url!r} is not an origin" in result.stderr


@pytest.mark.parametrize(
    ("url", "backends"),
    [
        ("redis://cache.example:6379/2", {"apps.core.cache_backends.TolerantRedisCache"}),
        ("file:///srv/cache", {"django.core.cache.backends.filebased.FileBasedCache"}),
        ("locmem://", {"django.core.cache.backends.locmem.LocMemCache"}),
        ("dummy://", {"django.core.cache.backends.dummy.DummyCache"}),
    ],
)
def test_one_cache_url_gives_two_separate_aliases(url, backends):
    caches = caches_from_url(url)
    assert set(caches) == {"default", "throttle"}
    assert {cache["BACKEND"] for cache in caches.values()} == backends
    if url.startswith("redis"):
        assert {cache["KEY_PREFIX"] for cache in caches.values()} == {"default", "throttle"}
    elif not url.startswith("dummy"):
        assert len({cache["LOCATION"] for cache in caches.values()}) == 2
