"""CPU time per request of a few API pages and of the floor view, through Django's test client (no server, no cache).

Wall-clock load tests on a shared machine move with the neighbours; CPU time of this process does not (much). Run
against a database filled by ``generate_synthetic``:

    SECRET_KEY=x BENCH_CACHE=off DATABASE_URL=sqlite:////tmp/fast/bench.sqlite3 python -m bench.cpu --requests 200

Prints one line per page: milliseconds of CPU per request (median of three rounds) and the response size.
"""

import argparse
import os
import statistics
import time


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("BENCH_CACHE", "off")
    # The test client speaks plain HTTP.
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    import django

    django.setup()


def pages() -> dict[str, str]:
    from bench.probe import params

    found = params()
    treaty, typical = found["treaty"], found["typical_treaty"]
    return {
        f"floor events p100 ({treaty})": f"/bench/values/?treaty={treaty}&page_size=100",
        f"events p100 ({treaty})": f"/api/events/?treaty={treaty}&page_size=100",
        f"events state p100 ({found['state']})": f"/api/events/?state={found['state']}&page_size=100",
        f"events state deep p100 ({found['state']})": f"/api/events/?state={found['state']}&page_size=100&page=9",
        "statements p100": "/api/statements/?page_size=100",
        f"statements p100 ({treaty})": f"/api/statements/?treaty={treaty}&page_size=100",
        f"timeline ({typical}, {found['typical_treaty_events']} events)": f"/api/treaties/{typical}/timeline/",
        f"timeline ({treaty}, {found['treaty_events']} events)": f"/api/treaties/{treaty}/timeline/",
        f"timeline p100 ({treaty})": f"/api/treaties/{treaty}/timeline/?page_size=100",
        f"timeline deep p100 ({treaty})": f"/api/treaties/{treaty}/timeline/?page_size=100&page=40",
        "memberships p100": "/api/memberships/?page_size=100",
    }


def cpu_per_request(client, url: str, requests: int) -> tuple[float, int]:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    rounds = []
    for _ in range(3):
        started = time.process_time()
        for _ in range(requests):
            client.get(url)
        rounds.append((time.process_time() - started) / requests * 1000)
    return statistics.median(rounds), len(response.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="Requests per round (three rounds per page).")
    parser.add_argument("--only", default="", help="Only the pages whose name contains this text.")
    args = parser.parse_args()
    setup()
    from django.test import Client

    client = Client()
    for name, url in pages().items():
        if args.only in name:
            milliseconds, size = cpu_per_request(client, url, args.requests)
            print(f"{name:48} {milliseconds:7.2f} ms CPU/request  {size:>9} bytes  {url}", flush=True)


if __name__ == "__main__":
    main()
