"""Filters of the sources endpoint."""

import django_filters

from apps.core.api.filters import (
    FilterSet,
    partial_date_after,
    partial_date_before,
    search_filter,
    updated_after_filter,
)
from apps.sources.models import Source


class SourceFilterSet(FilterSet):
    publisher = django_filters.CharFilter(
        lookup_expr="icontains", label="Only sources whose publisher contains this text (any case), e.g. 'Reuters'."
    )
    language = django_filters.CharFilter(
        lookup_expr="iexact", label="Only sources in this language: a BCP 47 tag such as 'en' or 'ru' (any case)."
    )
    date_after = partial_date_after("published_on", "sources published")
    date_before = partial_date_before("published_on", "sources published")
    updated_after = updated_after_filter("sources")
    q = search_filter(Source, "sources")

    class Meta:
        model = Source
        fields = []
