"""The front page: what the dataset is, its treaties with counts, when it last changed, how to cite it, and links.

Server-rendered from one template with its style inline (no external assets). The counts are a few grouped queries,
kept in the shared cache under the data version, so the page is recomputed only after a write to the dataset.
"""

from pathlib import Path

from django.core.cache import cache
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from apps.changes.models import Change
from apps.core.caching import data_version
from apps.events.models import Event, Statement
from apps.releases import citation
from apps.releases.models import Release
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
    latest = Release.objects.order_by("-id").values("version", "created_at", "archive_sha256").first()
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
        # A new release bumps the data version too, so the cached summary names the latest one.
        "release": latest
        and {"version": latest["version"], "created": latest["created_at"], "sha256": latest["archive_sha256"]},
    }


def release_links(request, release: dict | None) -> dict | None:
    """The latest release (from the summary) with its addresses and citation; None before the first release."""
    if release is None:
        return None

    def link(name: str) -> str:
        return request.build_absolute_uri(reverse(name, kwargs={"version": release["version"]}))

    cited = Release(version=release["version"], created_at=release["created"], archive_sha256=release["sha256"])
    return {
        **release,
        "url": link("release-detail"),
        "archive": link("release-archive"),
        "csl_json": link("release-citation-csl"),
        "bibtex": link("release-citation-bibtex"),
        "citation": citation.text(cited, link("release-detail")),
    }


def front_page(request):
    summary = cache.get_or_set(f"treatyapi:front:{data_version()}", dataset_summary, timeout=3600)
    links = {
        "releases": reverse("release-list"),
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
        {
            **summary,
            "links": links,
            "site_url": request.build_absolute_uri("/"),
            "release": release_links(request, summary["release"]),
        },
    )


FAVICON = Path(__file__).resolve().parent / "static" / "front" / "favicon.ico"


def favicon(request):
    """The site's icon at /favicon.ico, where every browser asks for it (the admin and docs pages included)."""
    return HttpResponse(
        FAVICON.read_bytes(), content_type="image/x-icon", headers={"Cache-Control": "public, max-age=86400"}
    )
