"""Documentation views that work with no internet access."""

from drf_spectacular.views import SpectacularRedocView


class OfflineRedocView(SpectacularRedocView):
    """Redoc from the sidecar's local assets, without the web fonts the stock template loads from Google."""

    template_name = "api/redoc.html"
