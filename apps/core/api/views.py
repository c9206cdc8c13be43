"""The API root, and documentation views that work with no internet access."""

from drf_spectacular.views import SpectacularRedocView
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView as RouterAPIRootView


class OfflineRedocView(SpectacularRedocView):
    """Redoc from the sidecar's local assets, without the web fonts the stock template loads from Google."""

    template_name = "api/redoc.html"


class APIRootView(RouterAPIRootView):
    """Every entry point of the API: the lists, a treaty's timeline (a URL template: put a treaty's slug in it), the
    changes feed, the schema and the docs."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # The path's own placeholder, so the template is the timeline URL with "{slug}" for the key.
        timeline = reverse("treaty-timeline", kwargs={"slug": "__slug__"}, request=request)
        response.data |= {
            "treaty_timeline": timeline.replace("__slug__", "{slug}"),
            "changes": reverse("changes", request=request),
            "schema": reverse("schema", request=request),
            "docs": reverse("swagger-ui", request=request),
        }
        return response
