"""Read-only endpoints of the sources app."""

from rest_framework import viewsets

from apps.sources.filtersets import SourceFilterSet
from apps.sources.models import Source

from .serializers import SourceSerializer


class SourceViewSet(viewsets.ReadOnlyModelViewSet):
    """Documents the dataset is drawn from: news reports, official statements, treaty texts, reference works."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    lookup_field = "slug"
