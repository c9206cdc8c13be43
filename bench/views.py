"""Baselines for the benchmark: the floor and the ceiling of this stack for one page of a treaty's events.

Floor: the least a plain Django view can do to return the same JSON as ``/api/events/?treaty=...&page_size=N``
(the same fields, nesting and URLs), with the same five queries (the treaty, a count, then three ``.values()``),
dictionaries assembled by hand, ``JsonResponse``. Ceiling: those bytes computed once and returned as they are,
through the same middleware. ``tests/test_bench_baselines.py`` holds the floor to the API's JSON: a field added to
the API's events without adding it here would make every ratio flatter the API.
"""

from collections import defaultdict

from django.db.models import F
from django.http import HttpResponse, JsonResponse

from apps.core.partial_dates import PartialDate
from apps.events.models import Event, EventCitation, EventParticipant
from apps.treaties.models import Treaty

EVENT_FIELDS = ["id", "slug", "type", "date", "date_precision", "title", "description", "location", "notes"]
TREATY_FIELDS = ["treaty__slug", "treaty__name", "treaty__short_name"]
_static_pages: dict[str, bytes] = {}


def _date(value, precision):
    if value is None:
        return None
    partial = PartialDate(value, precision)
    return {"start": value, "end": partial.end, "precision": precision, "display": partial.display()}


def _page(request) -> dict:
    treaty = request.GET.get("treaty", "")
    size = int(request.GET.get("page_size", "100"))
    api = request.build_absolute_uri("/api/")
    # The treaty's id first, as the API's key filter does: filtering through a join on the slug hides the treaty's
    # size from PostgreSQL's planner, which then sorts all of a busy treaty's events (270 ms at 1M events).
    treaty_id = Treaty.objects.filter(slug=treaty).values_list("id", flat=True).first()
    events = Event.objects.filter(treaty_id=treaty_id).order_by(F("date").asc(nulls_last=True), "slug")
    rows = list(events.values(*EVENT_FIELDS, *TREATY_FIELDS, "updated_at")[:size])
    ids = [row["id"] for row in rows]
    participants = defaultdict(list)
    for row in EventParticipant.objects.filter(event_id__in=ids).values_list(
        "event_id", "state__code", "state__name", "role"
    ):
        participants[row[0]].append({"code": row[1], "url": f"{api}states/{row[1]}/", "name": row[2], "role": row[3]})
    citations = defaultdict(list)
    for row in EventCitation.objects.filter(event_id__in=ids).values_list(
        "event_id",
        "source__slug",
        "source__title",
        "quote",
        "locator",
        "stance",
        "note",
        "prefix",
        "suffix",
        "start",
        "end",
        "source__has_text",
    ):
        source = {"slug": row[1], "url": f"{api}sources/{row[1]}/", "title": row[2]}
        citations[row[0]].append(
            {
                "source": source,
                "quote": row[3],
                "locator": row[4],
                "stance": row[5],
                "note": row[6],
                "prefix": row[7],
                "suffix": row[8],
                "start": row[9],
                "end": row[10],
                "verified": row[11],
            }
        )
    results = [
        {
            "slug": row["slug"],
            "url": f"{api}events/{row['slug']}/",
            "type": row["type"],
            "date": _date(row["date"], row["date_precision"]),
            "title": row["title"],
            "description": row["description"],
            "location": row["location"],
            "treaty": row["treaty__slug"]
            and {
                "slug": row["treaty__slug"],
                "url": f"{api}treaties/{row['treaty__slug']}/",
                "name": row["treaty__name"],
                "short_name": row["treaty__short_name"],
            },
            "participants": participants[row["id"]],
            "citations": citations[row["id"]],
            "notes": row["notes"],
            "updated_at": row["updated_at"],
            "statements_url": f"{api}statements/?responds_to={row['slug']}",
        }
        for row in rows
    ]
    return {"count": events.count(), "next": None, "previous": None, "results": results}


def values_page(request):
    return JsonResponse(_page(request))


def static_page(request):
    key = request.get_full_path()
    if key not in _static_pages:
        _static_pages[key] = JsonResponse(_page(request)).content
    return HttpResponse(_static_pages[key], content_type="application/json")


def ping(request):
    """An instant answer, to tell when a server has caught up with its backlog."""
    return HttpResponse(b"ok", content_type="text/plain")
