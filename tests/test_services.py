"""The production stack under faults: gunicorn (gunicorn.conf.py, DEBUG off) on PostgreSQL 15 (Redis:
tests/test_services_redis.py).

Each test starts the servers it needs (tests/servers.py) and measures what clients get when one of them fails: a
paused or stopped database is a quick 503 with Retry-After while cached pages keep being served (marked stale), also
when every worker was busy on it. Run with ``-s`` to see the fault table the tests measure (status, latency,
recovery).
"""

import concurrent.futures
import threading
import time

import pytest

from tests.servers import (
    curator_token,
    django_env,
    fetch,
    gunicorn,
    manage,
    postgres,
    wait_until,
)

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
    # Each worker has read the data version (a worker that has read none since it started answers 503).
    assert {answer.status for answer in base.from_every_worker("/api/treaties/")} == {200}
    _, etag = summary(base, token)
    database.pause()
    try:
        waiting = []
        worker = threading.Thread(target=lambda: waiting.append(fetch(base + "/api/events/?page_size=7")))
        worker.start()
        time.sleep(0.5)
        # While one worker waits on the database, the other serves cached pages, under the last version it read.
        during = [fetch(cached) for _ in range(5)]
        # "hit" while the worker's data version is younger than VERSION_TTL, then "stale".
        assert {answer.status for answer in during} == {200}
        assert {answer.headers["X-Cache"] for answer in during} <= {"hit", "stale"}
        assert max(answer.seconds for answer in during) < 1
        slowest = max(during, key=seconds)
        marks = "/".join(sorted({answer.headers["X-Cache"] for answer in during}))
        report("PostgreSQL paused", "cached GET (slowest of 5)", slowest, f"X-Cache: {marks}, while others wait")
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


def test_with_every_worker_busy_on_a_paused_database_cached_pages_and_writes_answer_at_once(server_on_postgres):
    """Issue 22, defect 10: PostgreSQL paused and every worker busy on it: a cached GET waited 5.8 s for a worker, a
    PATCH answered 503 after 9.2 s (each request waited a health check and then a connect timeout, 3 s each)."""
    database, base, token = server_on_postgres
    cached = base + "/api/memberships/"
    # After the previous test's pause, a worker may still let the database be for DB_RETRY_AFTER (1 s).
    # Every worker has the page and reads the database again (one may still let it be after the last test's fault).
    wait_until(lambda: every_worker_hits(base, "/api/memberships/"), 10, "the page cached, the database answering")
    _, etag = summary(base, token)
    database.pause()
    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            # Three uncached requests per worker (the test servers run two), queued ahead of the others.
            uncached = [pool.submit(fetch, f"{base}/api/events/?page_size={20 + n}") for n in range(6)]
            time.sleep(0.2)
            hit = pool.submit(fetch, cached)
            write = pool.submit(
                fetch,
                base + "/api/treaties/inf/",
                "PATCH",
                {"summary": "x"},
                Authorization=f"Token {token}",
                **{"If-Match": etag},
            )
            hit, write, uncached = hit.result(), write.result(), [answer.result() for answer in uncached]
    finally:
        database.resume()
    assert [answer.status for answer in uncached] == [503] * 6
    assert hit.status == 200
    assert hit.headers["X-Cache"] in {"hit", "stale"}
    assert write.status == 503, write.body
    report("PostgreSQL paused, every worker busy", "uncached GET (slowest of 6)", max(uncached, key=seconds))
    report("PostgreSQL paused, every worker busy", "cached GET", hit, f"X-Cache: {hit.headers['X-Cache']}")
    report("PostgreSQL paused, every worker busy", "PATCH with token", write)
    # Less than one connect timeout (DB_CONNECT_TIMEOUT, 3 s): no request waits for a connection to a server that
    # already failed to answer.
    assert max(hit.seconds, write.seconds) < 3


def every_worker_hits(base, path: str) -> bool:
    """Whether every worker serves ``path`` from the cache under a data version it read (not "stale")."""
    return {answer.headers.get("X-Cache") for answer in base.from_every_worker(path)} == {"hit"}


def seconds(answer) -> float:
    return answer.seconds


def test_a_stopped_database_is_an_immediate_503_and_recovers_when_it_starts(server_on_postgres):
    database, base, token = server_on_postgres
    cached = base + "/api/states/"
    # Every worker has the page and reads the database again (one may still let it be after the last test's fault).
    wait_until(lambda: every_worker_hits(base, "/api/states/"), 10, "the page cached, the database answering")
    database.stop()
    try:
        hit = fetch(cached)
        assert hit.status == 200
        assert hit.headers["X-Cache"] in {"hit", "stale"}
        report("PostgreSQL stopped", "cached GET", hit, f"X-Cache: {hit.headers['X-Cache']}")
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
