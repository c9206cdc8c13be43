"""Routes of the events app: events, statements, and a treaty's timeline."""

from django.urls import path

from .views import EventViewSet, StatementViewSet, TreatyTimelineView

# (prefix, viewset, basename) registered on the project's router, in the order the API root lists them.
routes = [
    ("events", EventViewSet, "event"),
    ("statements", StatementViewSet, "statement"),
]

urlpatterns = [
    path("treaties/<slug:slug>/timeline/", TreatyTimelineView.as_view(), name="treaty-timeline"),
]
