"""Read-only endpoints of the events app, and a treaty's timeline (here, because events depend on treaties)."""

from dataclasses import dataclass

from django.db.models import F, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics, renderers, viewsets
from rest_framework.response import Response

from apps.events.filtersets import EventFilterSet, StatementFilterSet
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.treaties.models import Treaty

from .serializers import EventSerializer, StatementSerializer, TimelineEntrySerializer

# Unknown dates last on every database (SQLite and PostgreSQL disagree on where NULL sorts by default).
DATE_ORDER = [F("date").asc(nulls_last=True), "slug"]


class EventViewSet(viewsets.ReadOnlyModelViewSet):
    """Dated acts and happenings: signatures, withdrawal notices, refused flights, meetings, with the states
    involved and the sources that report them."""

    queryset = (
        Event.objects.select_related("treaty")
        .prefetch_related(
            Prefetch("participants", EventParticipant.objects.select_related("state")),
            Prefetch("citations", EventCitation.objects.select_related("source")),
        )
        .order_by(*DATE_ORDER)
    )
    serializer_class = EventSerializer
    filterset_class = EventFilterSet
    lookup_field = "slug"


class StatementViewSet(viewsets.ReadOnlyModelViewSet):
    """What people and bodies said about treaties and events: the words, who said them, for whom, with what stance."""

    queryset = (
        Statement.objects.select_related("treaty", "on_behalf_of", "responds_to")
        .prefetch_related(
            "joint_with", "mentions", Prefetch("citations", StatementCitation.objects.select_related("source"))
        )
        .order_by(*DATE_ORDER)
    )
    serializer_class = StatementSerializer
    filterset_class = StatementFilterSet
    lookup_field = "slug"


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    record: Event | Statement

    @property
    def date(self):
        return self.record.date

    @property
    def date_precision(self):
        return self.record.date_precision

    @property
    def event(self):
        return self.record if self.kind == "event" else None

    @property
    def statement(self):
        return self.record if self.kind == "statement" else None

    def sort_key(self):
        # Unknown dates last; at the same date an event comes before the statements answering it.
        return (self.date is None, self.date or "", self.kind, self.record.slug)


class TreatyTimelineView(generics.ListAPIView):
    """A treaty's events and statements in one chronological list.

    Entries are in date order (a date known to the month or year sorts at its period's first day), events before
    statements on the same date, entries with unknown dates last.
    """

    queryset = Treaty.objects.all()
    serializer_class = TimelineEntrySerializer
    lookup_field = "slug"
    # One treaty's record is bounded; it comes whole, as JSON only (CSV cannot flatten two kinds of rows).
    pagination_class = None
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer]

    @extend_schema(operation_id="treaties_timeline")
    def get(self, request, *args, **kwargs):
        treaty = self.get_object()
        entries = [TimelineEntry("event", event) for event in EventViewSet.queryset.filter(treaty=treaty)]
        entries += [TimelineEntry("statement", st) for st in StatementViewSet.queryset.filter(treaty=treaty)]
        entries.sort(key=TimelineEntry.sort_key)
        return Response(self.get_serializer(entries, many=True).data)
