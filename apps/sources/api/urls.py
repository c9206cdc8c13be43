"""Routes of the sources app."""

from .views import SourceViewSet

# (prefix, viewset, basename) registered on the project's router, in the order the API root lists them.
routes = [("sources", SourceViewSet, "source")]
