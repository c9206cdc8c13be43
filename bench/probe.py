"""Inside Django, for the harness: pick the scenario parameters, and count the queries each URL runs.

Run as ``python -m bench.probe params`` or ``python -m bench.probe queries URL...``; prints JSON on stdout.
"""

import json
import os
import sys
import time


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()


def params() -> dict:
    from django.db.models import Count

    from apps.core.search import parse
    from apps.core.search.index import WEIGHTS
    from apps.events.api.views import TimelineKeys, TimelinePosition
    from apps.events.models import Event, EventParticipant, Statement
    from apps.treaties.models import State, Treaty

    treaties = list(Treaty.objects.annotate(n=Count("events")).order_by("-n", "slug").values_list("slug", "n"))
    hot_slug, hot_count = treaties[0]
    # A typical treaty, for bench/cpu.py's whole-timeline figures.
    typical_slug, typical_count = treaties[len(treaties) // 2]
    timeline_entries = hot_count + Statement.objects.filter(treaty__slug=hot_slug).count()
    event = Event.objects.filter(treaty__slug=hot_slug).order_by("date", "slug").values_list("slug", flat=True)
    middle_event = event[hot_count // 2]
    middle_page = max(1, -(-timeline_entries // 100) // 2)
    # The last entry before the middle page (one key read at its offset); a one-page timeline has none, and its
    # "middle by link" is then its first page.
    before = (middle_page - 1) * 100
    before_middle = TimelineKeys(Treaty.objects.get(slug=hot_slug))[before - 1 : before] if before else []
    middle_cursor = TimelinePosition.of(before_middle[0]).encode() if before_middle else ""
    state = (
        EventParticipant.objects.values("state__code").annotate(n=Count("id")).order_by("-n", "state__code").first()
    )
    state_name = State.objects.get(code=state["state__code"]).name
    return {
        "treaty": hot_slug,
        "treaty_events": hot_count,
        "typical_treaty": typical_slug,
        "typical_treaty_events": typical_count,
        "event": middle_event,
        # The middle page is the most expensive: the paginator reads the nearer end of the list.
        "middle_timeline_page": middle_page,
        # The same page reached by the previous page's `next` link: a seek from the last entry before it.
        "middle_timeline_cursor": middle_cursor,
        "state": state["state__code"],
        # Searching for a state's name finds the events it acted in, as a reader would search.
        "state_name": state_name,
        # Datasette's search reads the API's index with the API's query and weights (bench/run.py).
        "search_q": parse(state_name).fts5(),
        "search_table": Event.search_index.table,
        "search_weights": ", ".join(str(WEIGHTS[weight]) for weight in Event.search_index.weights.values()),
        "state_events": state["n"],
        "total_events": Event.objects.count(),
    }


def queries(urls: list[str]) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    result = {}
    for url in urls:
        calls = []
        for _ in range(2):  # the second call shows whether a cache answered it
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            calls.append({"queries": len(captured), "ms": round(elapsed * 1000, 2)})
        result[url] = {
            "status": response.status_code,
            "bytes": len(response.content),
            "queries": calls[0]["queries"],
            "queries_repeat": calls[1]["queries"],
            "ms_first": calls[0]["ms"],
            "ms_repeat": calls[1]["ms"],
        }
    return result


if __name__ == "__main__":
    setup()
    command, *args = sys.argv[1:]
    print(json.dumps(params() if command == "params" else queries(args)))
