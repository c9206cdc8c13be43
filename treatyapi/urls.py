"""URL configuration: the admin (the curation desk), and the read API under /api/ with its schema and docs."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from apps.core.api.views import OfflineRedocView
from apps.events.api import urls as events_api
from apps.sources.api import urls as sources_api
from apps.treaties.api import urls as treaties_api

router = DefaultRouter()
for prefix, viewset, basename in [*treaties_api.routes, *events_api.routes, *sources_api.routes]:
    router.register(prefix, viewset, basename=basename)

api_urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", OfflineRedocView.as_view(url_name="schema"), name="redoc"),
    *events_api.urlpatterns,
    *router.urls,
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include(api_urlpatterns)),
]

handler400 = "apps.core.api.exceptions.bad_request_view"
handler403 = "apps.core.api.exceptions.permission_denied_view"
handler404 = "apps.core.api.exceptions.not_found_view"
handler500 = "apps.core.api.exceptions.server_error_view"
