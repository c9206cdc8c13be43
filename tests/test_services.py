"""The production stack under faults: gunicorn (gunicorn.conf.py, DEBUG off) on PostgreSQL 15 and Redis.

Each test starts the servers it needs (tests/servers.py) and measures what clients get when one of them fails:
a paused or stopped database is a quick 503 with Retry-After while cached pages keep being served; a stopped Redis
costs cache misses, not errors; a write through one app process is never served stale by another. Run with ``-s``
to see the fault table the tests measure (status, latency, recovery).
"""

import threading
import time

import pytest

from tests.servers import curator_token, django_env, fetch, gunicorn, manage, postgres, redis, wait_until

pytestmark = [pytest.mark.services, pytest.mark.slow]


def report(fault: str, what: str, answer, extra: str = "") -> None:
    print(f"\n| {fault} | {what} | {answer.status} | {answer.seconds:.2f} s | {extra} |", end="")


def summary(base: str, token: str) -> tuple[str, str]:
    answer = fetch(base + "/api/treaties/inf/", Authorization=f"Token {token}")
    assert answer.status == 200, answer.body
    return answer.json()["summary"], answer.headers["ETag"]


def patch_summary(base: str, token: str, text: str):
    _, etag = summary(base, token)
    return fetch(
        base + "/api/treaties/inf/",
        "PATCH",
        {"summary": text},
        Authorization=f"Token {token}",
        **{"If-Match": etag},
    )


def anonymous_summary(base: str):
    answer = fetch(base + "/api/treaties/inf/")
    assert answer.status == 200, answer.body
    return answer.json()["summary"], answer.headers.get("X-Cache")


# --- Redis shared by two app servers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_servers_on_redis(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("redis-stack")
    with redis(tmp_path) as cache_server:
        env = django_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", CACHE_URL=cache_server.url)
        manage(env, "load_dataset")
        token = curator_token(env)
        with gunicorn(env, tmp_path / "a.log") as a, gunicorn(env, tmp_path / "b.log") as b:
            yield cache_server, a, b, token


def test_a_forged_host_port_reaches_only_its_sender(two_servers_on_redis):
    """Defect 1 through gunicorn with DEBUG off: the port of Host is not checked against ALLOWED_HOSTS."""
    _, a, b, _ = two_servers_on_redis
    forged = fetch(a + "/api/events/?page_size=1", Host="127.0.0.1:6666")
    assert forged.status == 200
    assert forged.json()["next"].startswith("http://127.0.0.1:6666/")
    for server in (a, b, b):
        honest = fetch(server + "/api/events/?page_size=1")
        assert honest.json()["next"].startswith(server + "/"), honest.json()["next"]
    assert honest.headers["X-Cache"] == "hit"


def test_a_write_through_one_server_is_never_served_stale_by_the_other(two_servers_on_redis):
    cache_server, a, b, token = two_servers_on_redis
    for round_ in range(5):
        anonymous_summary(b)
        assert anonymous_summary(b)[1] == "hit"
        assert patch_summary(a, token, f"Round {round_}.").status == 200
        assert anonymous_summary(b)[0] == f"Round {round_}."


def test_a_stopped_redis_costs_misses_not_errors_and_caching_resumes(two_servers_on_redis):
    cache_server, a, b, token = two_servers_on_redis
    anonymous_summary(a)
    cache_server.stop()
    try:
        for server in (a, b, a, b):
            answer = fetch(server + "/api/events/?page_size=5")
            assert answer.status == 200
            assert len(answer.json()["results"]) == 5
        report("Redis stopped", "anonymous GET (a cached page before)", answer, "read from the database")
        written = patch_summary(a, token, "Written while Redis was down.")
        assert written.status == 200
        report("Redis stopped", "PATCH with token", written)
        assert anonymous_summary(b)[0] == "Written while Redis was down."
    finally:
        cache_server.start()
    restarted = time.monotonic()
    anonymous_summary(b)  # the first request after RETRY_AFTER (1 s) reaches Redis again and stores the page

    def cached_again() -> bool:
        return anonymous_summary(b)[1] == "hit"

    wait_until(cached_again, 10, "pages cached again")
    recovery = time.monotonic() - restarted
    print(f"\n| Redis restarted | cache hits again after | | {recovery:.2f} s | |", end="")
    assert anonymous_summary(b)[0] == "Written while Redis was down."


def test_a_write_while_redis_is_paused_is_not_served_stale_once_it_answers(two_servers_on_redis):
    """Paused, Redis keeps the old version and pages; the writer's bump failed, so it retries until Redis answers."""
    cache_server, a, b, token = two_servers_on_redis
    # Each gunicorn worker backs off Redis for RETRY_AFTER (1 s) after a failure of its own, so after the previous
    # test's outage one of b's workers may still read past the cache for up to a second: wait for a hit.
    wait_until(lambda: anonymous_summary(b)[1] == "hit", 10, "the page cached in Redis")
    cache_server.pause()
    try:
        written = patch_summary(a, token, "Written while Redis was paused.")
        assert written.status == 200
        report("Redis paused", "PATCH with token", written, "socket timeouts 0.5 s")
    finally:
        cache_server.resume()
    time.sleep(1.5)  # the writer retries its bump every 0.5 s
    assert anonymous_summary(b)[0] == "Written while Redis was paused."


# --- PostgreSQL paused or stopped ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server_on_postgres(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("pg-stack")
    with postgres() as database:
        env = django_env(DATABASE_URL=database.url, CACHE_URL=f"file://{tmp_path / 'cache'}")
        manage(env, "load_dataset")
        token = curator_token(env)
        with gunicorn(env, tmp_path / "gunicorn.log") as base:
            yield database, base, token


def test_a_paused_database_is_a_quick_503_while_cached_pages_flow(server_on_postgres):
    database, base, token = server_on_postgres
    cached = base + "/api/treaties/"
    fetch(cached)
    assert fetch(cached).headers["X-Cache"] == "hit"
    _, etag = summary(base, token)
    database.pause()
    try:
        waiting = []
        worker = threading.Thread(target=lambda: waiting.append(fetch(base + "/api/events/?page_size=7")))
        worker.start()
        time.sleep(0.5)
        # While one worker waits on the database, the other serves cached pages.
        during = [fetch(cached) for _ in range(5)]
        assert [answer.status for answer in during] == [200] * 5
        assert max(answer.seconds for answer in during) < 1
        report("PostgreSQL paused", "cached GET", during[-1], "served while others wait")
        worker.join(20)
        uncached = waiting[0]
        assert uncached.status == 503, uncached.body
        assert int(uncached.headers["Retry-After"]) > 0
        assert uncached.json()["code"] == "unavailable"
        assert uncached.seconds < 10
        report("PostgreSQL paused", "uncached GET", uncached, uncached.json()["detail"])
        write = fetch(
            base + "/api/treaties/inf/",
            "PATCH",
            {"summary": "x"},
            Authorization=f"Token {token}",
            **{"If-Match": etag},
        )
        assert write.status == 503, write.body
        assert write.seconds < 10
        report("PostgreSQL paused", "PATCH with token", write)
    finally:
        database.resume()
    resumed = time.monotonic()
    wait_until(lambda: fetch(base + "/api/events/?page_size=8").status == 200, 20, "reads after resuming")
    print(f"\n| PostgreSQL resumed | uncached GET 200 again after | | {time.monotonic() - resumed:.2f} s | |", end="")


def test_a_stopped_database_is_an_immediate_503_and_recovers_when_it_starts(server_on_postgres):
    database, base, token = server_on_postgres
    cached = base + "/api/states/"
    fetch(cached)
    database.stop()
    try:
        hit = fetch(cached)
        assert (hit.status, hit.headers["X-Cache"]) == (200, "hit")
        report("PostgreSQL stopped", "cached GET", hit)
        uncached = fetch(base + "/api/events/?page_size=9")
        assert uncached.status == 503, uncached.body
        assert int(uncached.headers["Retry-After"]) > 0
        assert uncached.seconds < 5
        report("PostgreSQL stopped", "uncached GET", uncached, uncached.json()["detail"])
    finally:
        database.start()
    started = time.monotonic()
    wait_until(lambda: fetch(base + "/api/events/?page_size=10").status == 200, 20, "reads after restarting")
    print(f"\n| PostgreSQL restarted | uncached GET 200 after | | {time.monotonic() - started:.2f} s | |", end="")


def test_a_runaway_statement_is_cancelled_by_the_server_after_the_statement_timeout(server_on_postgres):
    database, _, _ = server_on_postgres
    code = (
        "import time; from django.db import connection, OperationalError\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    connection.cursor().execute('SELECT pg_sleep(30)')\n"
        "except OperationalError as error:\n"
        "    print(f'{time.monotonic() - started:.1f}', error)\n"
    )
    output = manage(django_env(DATABASE_URL=database.url, DB_STATEMENT_TIMEOUT="1"), "shell", "-c", code)
    seconds, _, message = output.strip().splitlines()[-1].partition(" ")
    assert "statement timeout" in message
    assert 1 <= float(seconds) < 3
