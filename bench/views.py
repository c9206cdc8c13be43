"""Baselines for the benchmark: the floor and the ceiling of this stack for one page of a treaty's events.

Floor: the least a Django view can do to answer the same question (a count and one page, ``.values()``,
``JsonResponse``). Ceiling: bytes computed once and returned as they are, through the same middleware.
"""

from django.http import HttpResponse, JsonResponse

from apps.events.models import Event

FIELDS = ["slug", "type", "date", "date_precision", "title", "location", "treaty__slug", "treaty__name"]
_static_pages: dict[str, bytes] = {}


def _page(request) -> dict:
    treaty = request.GET.get("treaty", "")
    size = int(request.GET.get("page_size", "100"))
    events = Event.objects.filter(treaty__slug=treaty).order_by("date", "slug")
    return {"count": events.count(), "results": list(events.values(*FIELDS)[:size])}


def values_page(request):
    return JsonResponse(_page(request))


def static_page(request):
    key = request.get_full_path()
    if key not in _static_pages:
        _static_pages[key] = JsonResponse(_page(request)).content
    return HttpResponse(_static_pages[key], content_type="application/json")
