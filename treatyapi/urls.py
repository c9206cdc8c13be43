"""URL configuration: the admin (the curation desk) and the API under /api/."""

from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
