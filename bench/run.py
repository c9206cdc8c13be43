#!/usr/bin/env python
"""Load benchmark of Treaty API on SQLite and PostgreSQL, with its baselines measured in the same run.

For each backend: build a database of synthetic data (``generate_synthetic``; reused while size, seed, generator and
migrations are unchanged), start the app under gunicorn (gunicorn.conf.py's settings, one worker per core), count
each scenario's queries through Django's test client, drive bounded load with wrk over 127.0.0.1, and print req/s,
p50, p99 and queries per request, with ratios to three baselines:

  floor     a plain Django view in bench/views.py: the same page of events with .values() + JsonResponse
  ceiling   a precomputed static JSON response through the same middleware
  datasette Datasette serving the same SQLite file, with a canned SQL query per equivalent scenario

Two passes: "uncached" on a server whose Django cache is a DummyCache (BENCH_CACHE=off), every request a miss;
"cached" with the product's cache (a directory shared by the workers), where repeating a URL measures cache hits.
PostgreSQL is a throwaway cluster of its own (port 25436, data under the work directory), stopped at the end
whatever happens. Needs wrk (apt-get install wrk) and the ``bench`` extra.

Scenarios whose API endpoint answers 404 are reported as "n/a (endpoint missing)"; the baselines still run.
"""

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
PG_BIN = Path("/usr/lib/postgresql/15/bin")
# Below Linux's ephemeral range (32768-60999): wrk's client sockets, lingering in TIME_WAIT, once held 55436 and
# PostgreSQL could not bind it.
# Each can be moved (BENCH_PG_PORT, ...) so that two checkouts can be measured on one machine at once.
PG_PORT = int(os.environ.get("BENCH_PG_PORT", "25436"))
APP_PORT = int(os.environ.get("BENCH_APP_PORT", "8765"))
DATASETTE_PORT = int(os.environ.get("BENCH_DATASETTE_PORT", "8766"))
CACHE_DIR = Path(os.environ.get("BENCH_CACHE_DIR", "/tmp/treaty-bench-cache"))


@dataclass
class Scenario:
    name: str
    path: str  # formatted with the probe's parameters
    datasette: tuple[str, dict] | None = None  # canned query name and its parameters
    result: dict = field(default_factory=dict)


def scenarios() -> list[Scenario]:
    by_treaty = "events_by_treaty"
    return [
        Scenario("events treaty p50", "/api/events/?treaty={treaty}&page_size=50", (by_treaty, {"limit": 50})),
        Scenario("events treaty p100", "/api/events/?treaty={treaty}&page_size=100", (by_treaty, {"limit": 100})),
        Scenario(
            "events date range",
            "/api/events/?date_after=2001-01-01&date_before=2001-12-31&page_size=100",
            ("events_by_date", {"after": "2001-01-01", "before": "2001-12-31"}),
        ),
        Scenario(
            "events state", "/api/events/?state={state}&page_size=100", ("events_by_state", {"state": "{state}"})
        ),
        Scenario("events search", "/api/events/?q={state_name}&page_size=100", ("events_search", {"q": "{search_q}"})),
        Scenario(
            "memberships as_of",
            "/api/memberships/?as_of=2010-06-30&page_size=100",
            ("memberships_as_of", {"d": "2010-06-30"}),
        ),
        Scenario("event detail", "/api/events/{event}/", ("event_detail", {"slug": "{event}"})),
        # Paginated like the lists: the busiest treaty's timeline, a first and a middle page of 100.
        Scenario("treaty timeline p100", "/api/treaties/{treaty}/timeline/?page_size=100"),
        Scenario("timeline middle page", "/api/treaties/{treaty}/timeline/?page_size=100&page={middle_timeline_page}"),
        Scenario(
            "timeline middle by link",
            "/api/treaties/{treaty}/timeline/?page_size=100&after={middle_timeline_cursor}",
        ),
        Scenario("schema", "/api/schema/"),
        Scenario(
            "events treaty deep page",
            "/api/events/?treaty={treaty}&page_size=100&page={last_page}",
            (by_treaty, {"limit": 100, "offset": "{last_offset}"}),
        ),
    ]


EVENT_COLUMNS = (
    "e.slug, e.type, e.date, e.date_precision, e.title, e.location, t.slug AS treaty_slug, t.name AS treaty_name"
)
EVENTS_FROM = "FROM events_event e LEFT JOIN treaties_treaty t ON t.id = e.treaty_id"
PAGE = "ORDER BY e.date, e.slug LIMIT 100"
CANNED_QUERIES = {
    "events_by_treaty": f"SELECT {EVENT_COLUMNS} {EVENTS_FROM} WHERE t.slug = :treaty ORDER BY e.date, e.slug "
    "LIMIT CAST(:limit AS INTEGER) OFFSET CAST(:offset AS INTEGER)",
    "events_by_date": f"SELECT {EVENT_COLUMNS} {EVENTS_FROM} WHERE e.date BETWEEN :after AND :before {PAGE}",
    "events_by_state": f"SELECT {EVENT_COLUMNS} {EVENTS_FROM} WHERE e.id IN (SELECT p.event_id FROM "
    "events_eventparticipant p JOIN treaties_state s ON s.id = p.state_id WHERE s.code = :state) " + PAGE,
    # The API's full-text index, ranked as the API ranks it (apps.core.search); table and weights come from the probe.
    "events_search": f"SELECT {EVENT_COLUMNS} FROM {{search_table}} "
    "JOIN events_event e ON e.id = {search_table}.rowid LEFT JOIN treaties_treaty t ON t.id = e.treaty_id "
    "WHERE {search_table} MATCH :q "
    "ORDER BY bm25({search_table}, {search_weights}), e.date, e.slug LIMIT 100",
    "memberships_as_of": "SELECT m.slug, m.status, m.joined_on, m.left_on, t.slug AS treaty, s.code AS state "
    "FROM treaties_membership m JOIN treaties_treaty t ON t.id = m.treaty_id JOIN treaties_state s "
    "ON s.id = m.state_id WHERE (m.joined_on IS NULL OR m.joined_on <= :d) AND (m.left_on IS NULL OR m.left_on > :d) "
    "ORDER BY t.slug, s.code LIMIT 100",
    "event_detail": f"SELECT {EVENT_COLUMNS}, e.description {EVENTS_FROM} WHERE e.slug = :slug",
}


def citations_of(table: str, key: str, record: str) -> str:
    return (
        "(SELECT json_group_array(json_object('source', json_object('slug', so.slug, 'title', so.title), "
        "'quote', c.quote, 'locator', c.locator, 'stance', c.stance, 'note', c.note, 'prefix', c.prefix, "
        f"'suffix', c.suffix, 'start', c.start, 'end', c.\"end\", 'verified', so.has_text)) FROM {table} c "
        f"JOIN sources_source so ON so.id = c.source_id WHERE c.{key} = {record}.id) AS citations"
    )


# The same queries giving what the API's records hold, nested lists included (Datasette parses the columns named by
# ``_json``): Datasette doing the API's work, less the links, which it has no way to build.
EVENT_CONTENT = (
    ", e.description, e.notes, e.updated_at, t.short_name AS treaty_short_name, (SELECT json_group_array("
    "json_object('code', s.code, 'name', s.name, 'role', p.role)) FROM events_eventparticipant p "
    "JOIN treaties_state s ON s.id = p.state_id WHERE p.event_id = e.id) AS participants, "
    + citations_of("events_eventcitation", "event_id", "e")
)
SAME_CONTENT_QUERIES = {
    f"{name}_content": (
        sql.replace(f"SELECT {EVENT_COLUMNS}", f"SELECT {EVENT_COLUMNS}{EVENT_CONTENT}", 1)
        if name != "memberships_as_of"
        else sql.replace(
            " FROM treaties_membership m",
            ", m.withdrawal_notified_on, m.role, m.notes, m.updated_at, t.name AS treaty_name, s.name AS state_name, "
            + citations_of("treaties_membershipcitation", "membership_id", "m")
            + " FROM treaties_membership m",
            1,
        )
    )
    for name, sql in CANNED_QUERIES.items()
}
SAME_CONTENT_JSON = {"_json": ["participants", "citations"]}


# --- processes --------------------------------------------------------------------------------------------------


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def as_postgres(args: list[str]) -> list[str]:
    # initdb refuses to run as root; the cluster belongs to the postgres user.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def postgres_cluster(workdir: Path):
    """A throwaway PostgreSQL 15 cluster under the work directory, stopped on the way out whatever happens."""
    # The cluster's directory belongs to the postgres user, who writes the data and the server log there.
    home = workdir / "pg"
    datadir = home / "data"
    if not (datadir / "PG_VERSION").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(home, "postgres")
        initdb = [str(PG_BIN / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(as_postgres(initdb), check=True, stdout=subprocess.DEVNULL)
    # fsync off only speeds up loading; the measured requests are reads. shared_buffers fits a 1M-event database.
    options = f"-p {PG_PORT} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    options += " -c shared_buffers=1GB"
    pg_ctl = [str(PG_BIN / "pg_ctl"), "-D", str(datadir), "-l", str(home / "server.log"), "-w", "-t", "120"]
    try:
        subprocess.run(as_postgres([*pg_ctl, "-o", options, "start"]), check=True, stdout=subprocess.DEVNULL)
        yield f"postgres://postgres@127.0.0.1:{PG_PORT}/treaty_bench"
    finally:
        subprocess.run(as_postgres([*pg_ctl, "-m", "fast", "stop"]), check=False, stdout=subprocess.DEVNULL)
        log("PostgreSQL stopped")


@contextlib.contextmanager
def server(command: list[str], env: dict, ready_url: str, logfile: Path):
    """Start a server in its own process group, wait until it answers, and stop that group on the way out."""
    with open(logfile, "ab") as output:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=output, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(ready_url, timeout=5).read()
                break
            except urllib.error.HTTPError:
                break  # it answers, even if with an error status
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start; see {logfile}") from None
                time.sleep(0.2)
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def django_env(database_url: str, cache: bool) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=database_url,
        SECRET_KEY=env.get("SECRET_KEY", "bench-only-secret-key"),
        DEBUG="0",
        PYTHONPATH=str(ROOT),
        BENCH_CACHE="on" if cache else "off",
        # A directory cache shared by the workers, as in a default deployment; emptied before each server starts.
        CACHE_URL=f"file://{CACHE_DIR}",
        # wrk and the probes speak plain HTTP on loopback, as a server behind a TLS-terminating proxy is spoken to;
        # with production's redirect to HTTPS every request would be a 301 (and the readiness check never passes).
        SECURE_SSL_REDIRECT="0",
    )
    return env


def manage(env: dict, *args: str) -> None:
    # Its output is progress, not results: stderr, so stdout holds only the report. Loading a million rows in one
    # transaction takes longer than the statement timeout that bounds requests (the commit alone checks every
    # deferred foreign key), so commands run without it, as the settings advise for migrations.
    env = {**env, "DB_STATEMENT_TIMEOUT": "0"}
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, check=True, stdout=sys.stderr)


def probe(env: dict, *args: str) -> dict:
    output = subprocess.run(
        [PYTHON, "-m", "bench.probe", *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout)


# --- data ---------------------------------------------------------------------------------------------------------


def data_stamp(options) -> dict:
    """What the generated data depends on: reuse a database only while this is unchanged."""
    generator = b"".join((ROOT / "apps/dataset" / name).read_bytes() for name in ("synthetic.py", "bulkload.py"))
    return {
        "events": options.events,
        "statements": options.statements,
        "seed": options.seed,
        "generator": hashlib.sha256(generator).hexdigest()[:16],
    }


def prepare_database(backend: str, database_url: str, workdir: Path, options) -> None:
    env = django_env(database_url, cache=False)
    stamp_file = workdir / f"{backend}.stamp.json"
    stamp = data_stamp(options)
    fresh = options.fresh or not stamp_file.exists() or json.loads(stamp_file.read_text()) != stamp
    if fresh:
        stamp_file.unlink(missing_ok=True)
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(f"{workdir / 'bench.sqlite3'}{suffix}").unlink(missing_ok=True)
        else:
            connect = ["-h", "/tmp", "-p", str(PG_PORT), "-U", "postgres"]
            subprocess.run(as_postgres([str(PG_BIN / "dropdb"), *connect, "--if-exists", "treaty_bench"]), check=True)
            subprocess.run(as_postgres([str(PG_BIN / "createdb"), *connect, "treaty_bench"]), check=True)
    log(f"{backend}: migrate")
    manage(env, "migrate", "--verbosity", "0")
    if fresh:
        log(f"{backend}: generate {options.events:,} events")
        started = time.perf_counter()
        manage(
            env,
            "generate_synthetic",
            f"--events={options.events}",
            f"--statements={options.statements}",
            f"--seed={options.seed}",
            "--verbosity=1",
        )
        log(f"{backend}: generated in {time.perf_counter() - started:.1f} s")
        # generate_synthetic builds the search tables after its inserts, each in one pass.
        if backend == "postgresql":
            # Fresh statistics, as autovacuum would gather them in production before long.
            subprocess.run(
                as_postgres(
                    [
                        str(PG_BIN / "vacuumdb"),
                        "-h",
                        "/tmp",
                        "-p",
                        str(PG_PORT),
                        "-U",
                        "postgres",
                        "--analyze",
                        "--quiet",
                        "treaty_bench",
                    ]
                ),
                check=True,
            )
        stamp_file.write_text(json.dumps(stamp))
    else:
        log(f"{backend}: reusing the data generated earlier ({stamp})")


# --- load -----------------------------------------------------------------------------------------------------------


def wrk(url: str, options) -> dict:
    """Run wrk, bounded in time (-d) and in count (limit.lua), after a short warm-up; parse its report."""
    base = ["wrk", "-t1", f"-c{options.connections}", "--timeout", "10s", "--latency", "-s", str(BENCH / "limit.lua")]
    env = dict(os.environ, WRK_MAX_REQUESTS=str(options.max_requests))
    subprocess.run([*base, f"-d{options.warmup}s", url], env=env, check=True, capture_output=True, timeout=120)
    output = subprocess.run(
        [*base, f"-d{options.duration}s", url], env=env, check=True, capture_output=True, text=True, timeout=300
    ).stdout
    percentiles = {
        int(match[1]): to_ms(float(match[2]), match[3])
        for match in re.finditer(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "requests": int(re.search(r"(\d+) requests in", output)[1]),
        "p50": percentiles.get(50),
        "p99": percentiles.get(99),
        "errors": int(errors[1]) if errors else 0,
    }


def to_ms(value: float, unit: str) -> float:
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def gunicorn_command(options) -> list[str]:
    return [
        PYTHON,
        "-m",
        "gunicorn",
        "treatyapi.wsgi:application",
        # The production settings; the options below override its bind and worker count.
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        str(options.workers),
        "--bind",
        f"127.0.0.1:{APP_PORT}",
        "--log-level",
        "warning",
    ]


def run_backend(backend: str, database_url: str, workdir: Path, options) -> dict:
    prepare_database(backend, database_url, workdir, options)
    params = probe(django_env(database_url, cache=False), "params")
    params["last_page"] = max(1, -(-params["treaty_events"] // 100))
    params["last_offset"] = (params["last_page"] - 1) * 100
    log(f"{backend}: parameters {params}")
    plan = scenarios()
    for scenario in plan:
        scenario.path = scenario.path.format(**params)
    results = {"backend": backend, "params": params, "rounds": options.rounds, "passes": {}}
    for cache in (False, True):
        label = "cached" if cache else "uncached"
        results["passes"][label] = measure_pass(backend, database_url, workdir, plan, params, options, cache=cache)
    return results


def measure_pass(backend, database_url, workdir, plan, params, options, *, cache: bool) -> dict:
    """Every scenario and baseline on one server: with a DummyCache (every request a miss), or the product's cache.

    With the cache, the load repeats one URL per scenario, so after the first request it measures cache hits: what
    pollers of a hot page get. Queries per request are counted on a repeated request in that pass.
    """
    env = django_env(database_url, cache=cache)
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    floor_path = f"/bench/values/?treaty={params['treaty']}&page_size=100"
    ceiling_path = floor_path.replace("/values/", "/static/")
    probed = probe(env, "queries", *{s.path for s in plan}, floor_path)
    app = f"http://127.0.0.1:{APP_PORT}"
    datasette = backend == "sqlite" and not options.no_datasette
    # Each round measures the baselines and every scenario, so each ratio compares figures taken a minute or two
    # apart at most; the report gives the median over rounds.
    targets = {"floor": app + floor_path, "ceiling": app + ceiling_path}
    targets |= {s.name: app + s.path for s in plan if probed[s.path]["status"] == 200}
    if datasette:
        targets |= {f"datasette:{s.name}": datasette_url(s, params) for s in plan if s.datasette}
        targets |= {f"datasette-content:{s.name}": datasette_url(s, params, content=True) for s in plan if s.datasette}
    log(f"{backend}: load, {'cache on' if cache else 'cache off'}" + (", with datasette" if datasette else ""))
    shutil.rmtree(CACHE_DIR, ignore_errors=True)
    with contextlib.ExitStack() as stack:
        stack.enter_context(server(gunicorn_command(options), env, app + ceiling_path, workdir / "gunicorn.log"))
        if datasette:
            stack.enter_context(datasette_server(workdir, params))
        runs = load_rounds(targets, options)
        # Datasette's answers are not probed like the app's: their size, from one request each.
        sizes = {
            name: len(urllib.request.urlopen(url, timeout=60).read())
            for name, url in targets.items()
            if name.startswith("datasette")
        }

    queries = "queries_repeat" if cache else "queries"
    floor = summarise(runs["floor"]) | {"queries": probed[floor_path][queries], "bytes": probed[floor_path]["bytes"]}
    ceiling = summarise(runs["ceiling"]) | {"queries": 0, "bytes": floor["bytes"]}
    measured = {"baselines": {"floor": floor, "ceiling": ceiling}, "scenarios": []}
    for scenario in plan:
        found = probed[scenario.path]
        row = {"name": scenario.name, "path": scenario.path, "status": found["status"], "bytes": found["bytes"]}
        row["queries"] = found[queries]
        mine = runs.get(scenario.name)
        if mine:
            row |= summarise(mine)
            row["x_floor"] = median_ratio(mine, runs["floor"])
            row["x_ceiling"] = median_ratio(mine, runs["ceiling"])
        for kind in ("datasette", "datasette-content"):
            other = runs.get(f"{kind}:{scenario.name}")
            if other:
                row[kind] = summarise(other) | {
                    "url": targets[f"{kind}:{scenario.name}"],
                    "bytes": sizes[f"{kind}:{scenario.name}"],
                }
                row[f"x_{kind}"] = median_ratio(mine, other) if mine else None
        measured["scenarios"].append(row)
    return measured


def load_rounds(targets: dict[str, str], options) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {name: [] for name in targets}
    for number in range(1, options.rounds + 1):
        log(f"  round {number} of {options.rounds}: {len(targets)} targets")
        for name, url in targets.items():
            runs[name].append(wrk(url, options))
            drain(url, options.workers)
    return runs


def drain(url: str, workers: int, deadline: float = 120) -> None:
    """Wait until the server has finished the requests wrk left in flight, so a slow scenario does not slow the next.

    wrk stops at its time limit, but each sync worker still answers the request it was given. One ping per worker at
    the same time: each is answered quickly only once every worker is free.
    """
    parts = url.split("/", 3)
    datasette = parts[2].endswith(str(DATASETTE_PORT))
    ping = "/".join(parts[:3]) + ("/-/versions.json" if datasette else "/bench/ping/")

    def timed() -> float:
        begun = time.monotonic()
        with contextlib.suppress(OSError):
            urllib.request.urlopen(ping, timeout=deadline).read()
        return time.monotonic() - begun

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        while time.monotonic() - started < deadline:
            if max(pool.map(lambda _: timed(), range(workers))) < 0.05:
                return


def summarise(runs: list[dict]) -> dict:
    return {
        "rps": statistics.median(run["rps"] for run in runs),
        "p50": statistics.median(run["p50"] for run in runs),
        "p99": statistics.median(run["p99"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
    }


def median_ratio(runs: list[dict], baseline: list[dict]) -> float | None:
    """The median over rounds of this round's ratio, so that a slow minute on a shared machine cancels out."""
    ratios = [run["rps"] / base["rps"] for run, base in zip(runs, baseline, strict=True) if base["rps"]]
    return statistics.median(ratios) if ratios else None


def datasette_url(scenario: Scenario, params: dict, *, content: bool = False) -> str:
    """The scenario's canned query on Datasette: the columns of CANNED_QUERIES, or (content) what the API's records
    hold, nested lists parsed as JSON."""
    name, query = scenario.datasette
    query = {"treaty": params["treaty"], "limit": 100, "offset": 0, **query}
    query = {key: str(value).format(**params) for key, value in query.items()}
    if content:
        name, query = f"{name}_content", query | SAME_CONTENT_JSON
    return f"http://127.0.0.1:{DATASETTE_PORT}/bench/{name}.json?_shape=array&" + urllib.parse.urlencode(
        query, doseq=True
    )


def datasette_server(workdir: Path, params: dict):
    queries = {name: {"sql": sql.format(**params)} for name, sql in (CANNED_QUERIES | SAME_CONTENT_QUERIES).items()}
    metadata = {"databases": {"bench": {"queries": queries}}}
    (workdir / "datasette.json").write_text(json.dumps(metadata))
    command = [PYTHON, "-m", "datasette", "serve", str(workdir / "bench.sqlite3"), "--port", str(DATASETTE_PORT)]
    command += ["--host", "127.0.0.1", "--metadata", str(workdir / "datasette.json")]
    command += ["--setting", "sql_time_limit_ms", "5000"]
    ready = f"http://127.0.0.1:{DATASETTE_PORT}/-/versions.json"
    return server(command, dict(os.environ), ready, workdir / "datasette.log")


# --- report ---------------------------------------------------------------------------------------------------------


def ratio(value) -> str:
    return f"{value:5.2f}x" if value else "   - "


def print_report(results: dict, options) -> None:
    backend, params = results["backend"], results["params"]
    for label, measured in results["passes"].items():
        baselines = measured["baselines"]
        print(
            f"\n== {backend}, {label}: {params['total_events']:,} events; treaty {params['treaty']} has "
            f"{params['treaty_events']:,}; {options.workers} gunicorn workers; wrk -c{options.connections} "
            f"-d{options.duration}s; median of {results['rounds']} rounds =="
        )
        print(
            f"{'scenario':<24} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'queries':>7} {'KB':>6}  {'/floor':>6} "
            f"{'/ceil':>6}  {'/datasette':>10} {'datasette req/s, p99':>21}  {'/same content':>13} {'req/s, KB':>13}"
        )
        for name, base in (
            ("baseline floor .values()", baselines["floor"]),
            ("baseline ceiling", baselines["ceiling"]),
        ):
            print(
                f"{name:<24} {base['rps']:>7.0f} {base['p50']:>7.2f} {base['p99']:>7.2f} {base['queries']:>7} "
                f"{base['bytes'] / 1024:>6.1f}"
            )
        for row in measured["scenarios"]:
            other = row.get("datasette")
            shown = f"{other['rps']:>8.0f}, {other['p99']:>7.2f} ms" if other else ""
            if "rps" not in row:
                why = "endpoint missing: 404" if row["status"] == 404 else f"status {row['status']}"
                print(f"{row['name']:<24} n/a ({why} {row['path']})  datasette: {shown or '-'}")
                continue
            errors = f"  ({row['errors']} non-2xx!)" if row["errors"] else ""
            content = row.get("datasette-content")
            same = f"{content['rps']:>6.0f}, {content.get('bytes', 0) / 1024:>5.1f}" if content else ""
            print(
                f"{row['name']:<24} {row['rps']:>7.0f} {row['p50']:>7.2f} {row['p99']:>7.2f} {row['queries']:>7} "
                f"{row['bytes'] / 1024:>6.1f}  {ratio(row.get('x_floor'))} {ratio(row.get('x_ceiling'))}  "
                f"{ratio(row.get('x_datasette')):>10} {shown:>21}  {ratio(row.get('x_datasette-content')):>13} "
                f"{same:>13}{errors}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="Synthetic events to generate (default 100000).")
    parser.add_argument("--statements", type=int, default=None, help="Synthetic statements (default: events / 10).")
    parser.add_argument("--seed", type=int, default=1, help="Seed of the synthetic data.")
    parser.add_argument(
        "--backends", default="sqlite,postgresql", help="Comma-separated: sqlite, postgresql (default both)."
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (default: cores).")
    parser.add_argument("--connections", type=int, default=None, help="wrk connections (default: workers).")
    parser.add_argument("--duration", type=int, default=3, help="Seconds of measured load per run (default 3).")
    parser.add_argument("--warmup", type=int, default=1, help="Seconds of unmeasured warm-up per run (default 1).")
    parser.add_argument(
        "--rounds", type=int, default=2, help="Rounds of every measurement; figures are medians (default 2)."
    )
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="Upper bound on requests per scenario run (default 200000)."
    )
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/treaty-bench"), help="Databases and logs.")
    parser.add_argument("--fresh", action="store_true", help="Regenerate the data even if it could be reused.")
    parser.add_argument("--no-datasette", action="store_true", help="Skip the Datasette baseline.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the raw results to this file.")
    options = parser.parse_args()
    options.statements = options.events // 10 if options.statements is None else options.statements
    options.connections = options.connections or options.workers
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed: apt-get install -y wrk")
    options.workdir.mkdir(parents=True, exist_ok=True)

    all_results = []
    for backend in options.backends.split(","):
        if backend == "sqlite":
            all_results.append(
                run_backend("sqlite", f"sqlite:///{options.workdir / 'bench.sqlite3'}", options.workdir, options)
            )
        elif backend == "postgresql":
            with postgres_cluster(options.workdir) as database_url:
                all_results.append(run_backend("postgresql", database_url, options.workdir, options))
        else:
            parser.error(f"Unknown backend {backend!r}: use sqlite, postgresql.")
    for results in all_results:
        print_report(results, options)
    if options.json:
        options.json.write_text(json.dumps(all_results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
