"""Endpoints of the sources app."""

from apps.core.api.writes import CuratedModelViewSet
from apps.sources.filtersets import SourceFilterSet
from apps.sources.models import Source

from .serializers import SourceSerializer, SourceWriteSerializer


class SourceViewSet(CuratedModelViewSet):
    """Documents the dataset is drawn from: news reports, official statements, treaty texts, reference works."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    write_serializer_class = SourceWriteSerializer
    filterset_class = SourceFilterSet
    lookup_field = "slug"
