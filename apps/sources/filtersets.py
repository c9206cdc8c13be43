"""Filters of the sources endpoint."""

import django_filters
from django.db.models import Q

from apps.core.api.filters import FilterSet, partial_date_after, partial_date_before, updated_after_filter
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
    q = django_filters.CharFilter(
        method="search", label="Text search (any case) in the slug, title, publisher, author and document name."
    )

    class Meta:
        model = Source
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(slug__icontains=value)
            | Q(title__icontains=value)
            | Q(publisher__icontains=value)
            | Q(author__icontains=value)
            | Q(document__icontains=value)
        )
