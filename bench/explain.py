"""EXPLAIN ANALYZE every query of each benchmark scenario, to check that each filter uses an index.

Run inside the benchmark settings against a PostgreSQL database filled by ``generate_synthetic``:

    DATABASE_URL=postgres://... python -m bench.explain [URL ...]

Without URLs it explains the harness's scenarios with the parameters it would pick. For each query it prints the
execution time and the plan's top lines (scan types and sorts show whether an index served the filter and order).
"""

import os
import sys


def main(urls: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["BENCH_CACHE"] = "off"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.probe import params
    from bench.run import scenarios

    if connection.vendor != "postgresql":
        sys.exit("EXPLAIN ANALYZE plans are checked on PostgreSQL; set DATABASE_URL=postgres://...")
    if not urls:
        found = params()
        found["last_page"] = max(1, -(-found["treaty_events"] // 100))
        found["last_offset"] = (found["last_page"] - 1) * 100
        urls = list(dict.fromkeys(scenario.path.format(**found) for scenario in scenarios()))
    client = Client()
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            status = client.get(url).status_code
        print(f"\n### {url}  ({status}, {len(captured)} queries)")
        for query in captured.captured_queries:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = [row[0] for row in cursor.fetchall()]
            execution = next((line for line in plan if line.startswith("Execution Time")), "")
            print(f"-- {execution}: {query['sql'][:160]}")
            for line in plan:
                if any(word in line for word in ("Scan", "Sort", "Limit", "Join", "Nested", "Aggregate")):
                    print("   " + line.strip()[:150])


if __name__ == "__main__":
    main(sys.argv[1:])
