"""URL configuration: the front page, the admin (the curation desk), and the API under /api/ with its docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.changes.api import ChangesView
from apps.core.api.renderers import CSVRenderer
from apps.core.api.views import OfflineRedocView, SchemaView
from apps.events.api import urls as events_api
from apps.front.views import favicon, front_page
from apps.releases.api import urls as releases_api
from apps.releases.api.views import APIRootView
from apps.sources.api import urls as sources_api
from apps.treaties.api import urls as treaties_api

ROUTES = [*treaties_api.routes, *events_api.routes, *sources_api.routes]
router = DefaultRouter()
router.APIRootView = APIRootView
for prefix, viewset, basename in ROUTES:
    router.register(prefix, viewset, basename=basename)

# Each list as CSV at its own path (/api/events.csv), with the list's filters: an operation of its own in the schema,
# whose only response is text/csv, so a generated client reads it as text instead of parsing it as the JSON page.
csv_urlpatterns = [
    path(f"{prefix}.csv", viewset.as_view({"get": "list"}, renderer_classes=[CSVRenderer]), name=f"{basename}-csv")
    for prefix, viewset, basename in ROUTES
]

api_urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    path("changes/", ChangesView.as_view(), name="changes"),
    *releases_api.urlpatterns,
    *events_api.urlpatterns,
    *csv_urlpatterns,
    *router.urls,
]

urlpatterns = [
    # The front page, for people; also where the admin's "View site" link leads (admin.site.site_url is "/").
    path("", front_page, name="front"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
]

handler400 = "apps.core.api.exceptions.bad_request_view"
handler403 = "apps.core.api.exceptions.permission_denied_view"
handler404 = "apps.core.api.exceptions.not_found_view"
handler500 = "apps.core.api.exceptions.server_error_view"
