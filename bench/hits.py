#!/usr/bin/env python
"""What a cached hit costs: wrk on cached API pages through gunicorn (gunicorn.conf.py, 2 workers), on a throwaway
PostgreSQL 15 or SQLite database with a throwaway Redis as the shared cache (tests/servers.py starts them).

Several checkouts, or settings, can be compared in one run (``--checkout DIR[@NAME=VALUE,...]``, repeatable;
default this one with its defaults): every round starts each one's server in turn on the same database and Redis, so
a machine shared with other work slows them alike. Prints each run's requests per second, then the median of each.

    python -m bench.hits --backend postgresql --rounds 5 --checkout /tmp/before --checkout . \
        --checkout .@API_CACHE_VERSION_TTL=0

Needs wrk (apt-get install wrk), redis-server and, for PostgreSQL, its binaries (as the service tests do).
"""

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from tests.servers import PROJECT, django_env, fetch, gunicorn, manage, postgres, redis

PAGES = ["/api/treaties/", "/api/events/?page_size=100"]


def variant(spec: str) -> tuple[str, Path, dict]:
    """``DIR[@NAME=VALUE,...]``: its label, the directory and the environment it changes."""
    directory, _, assignments = spec.partition("@")
    env = dict(assignment.split("=", 1) for assignment in assignments.split(",") if assignment)
    return spec, Path(directory).resolve(), env


def wrk(url: str, seconds: int, connections: int) -> float:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    assert "Non-2xx" not in output, output
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument(
        "--checkout", action="append", help="DIR[@NAME=VALUE,...]: a project and its settings (default: this one)."
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="Seconds of wrk per page and run.")
    parser.add_argument("--connections", type=int, default=2)
    options = parser.parse_args()
    checkouts = [variant(spec) for spec in options.checkout or [str(PROJECT)]]
    results: dict[tuple[str, str], list[float]] = {}
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="treatyapi-hits-")))
        cache = stack.enter_context(redis(workdir))
        if options.backend == "postgresql":
            database_url = stack.enter_context(postgres()).url
        else:
            database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
        env = django_env(DATABASE_URL=database_url, CACHE_URL=cache.url)
        manage(env, "load_dataset")
        for round_ in range(options.rounds):
            for label, checkout, changes in checkouts:
                with gunicorn({**env, **changes}, workdir / "gunicorn.log", checkout=checkout) as base:
                    for page in PAGES:
                        fetch(base + page)
                        assert fetch(base + page).headers.get("X-Cache") == "hit", page
                        rps = wrk(base + page, options.duration, options.connections)
                        results.setdefault((label, page), []).append(rps)
                        print(f"round {round_ + 1} {label} {page}: {rps:.0f} req/s", flush=True)
    print(f"\nmedian req/s, {options.backend}, wrk -c{options.connections} -d{options.duration}s:")
    for (label, page), values in results.items():
        print(f"  {label}  {page:<30} {statistics.median(values):7.0f}   ({', '.join(f'{v:.0f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
