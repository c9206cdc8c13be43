"""The front page: what the dataset is, its treaties with counts, when it last changed, how to cite it, and links.

Server-rendered from one template with its style inline (no external assets). The counts are a few grouped queries,
kept in the shared cache under the data version (read from the database), so the page is recomputed only after a
write to the dataset.
"""

from django.core.cache import cache
from django.db.models import Count, Max
from django.shortcuts import render
from django.urls import reverse

from apps.changes.models import Change
from apps.core.data_version import data_version
from apps.events.models import Event, Statement
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty


def per_treaty(model) -> dict[int, int]:
    return dict(model.objects.values_list("treaty").annotate(count=Count("pk")).order_by())


def dataset_summary() -> dict:
    """The page's figures, from the database."""
    counts = {"memberships": per_treaty(Membership), "events": per_treaty(Event), "statements": per_treaty(Statement)}
    treaties = [
        {
            "slug": treaty.slug,
            "name": treaty.name,
            "short_name": treaty.short_name,
            "status": treaty.get_status_display(),
            **{name: by_treaty.get(treaty.pk, 0) for name, by_treaty in counts.items()},
        }
        for treaty in Treaty.objects.all()
    ]
    treaties.sort(key=lambda treaty: (treaty["short_name"] or treaty["name"]).casefold())
    last_change = Change.objects.aggregate(last=Max("at"))["last"]
    if last_change is None:
        # A database filled without history (a bulk load of synthetic data) still says when it last changed.
        moments = [
            model.objects.aggregate(last=Max("updated_at"))["last"] for model in (Treaty, State, Event, Statement)
        ]
        last_change = max((moment for moment in moments if moment is not None), default=None)
    return {
        "treaties": treaties,
        "totals": {
            "treaties": len(treaties),
            "states": State.objects.count(),
            "sources": Source.objects.count(),
            "memberships": sum(counts["memberships"].values()),
            "events": sum(counts["events"].values()),
            "statements": sum(counts["statements"].values()),
        },
        "last_change": last_change,
    }


def front_page(request):
    summary = cache.get_or_set(f"treatyapi:front:{data_version()}", dataset_summary, timeout=3600)
    links = {
        "api": reverse("api-root"),
        "docs": reverse("swagger-ui"),
        "redoc": reverse("redoc"),
        "schema": reverse("schema"),
        "changes": reverse("changes"),
        "admin": reverse("admin:index"),
    }
    return render(
        request,
        "front/index.html",
        {**summary, "links": links, "site_url": request.build_absolute_uri("/")},
    )
