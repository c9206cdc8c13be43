"""Endpoints of the events app, and a treaty's timeline (here, because events depend on treaties)."""

from dataclasses import dataclass

from django.db.models import F, Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.settings import api_settings

from apps.core.api.writes import CuratedModelViewSet
from apps.events.filtersets import EventFilterSet, StatementFilterSet
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.treaties.models import Treaty

from .serializers import (
    EventSerializer,
    EventWriteSerializer,
    StatementSerializer,
    StatementWriteSerializer,
    TimelineEntrySerializer,
)

# Unknown dates last on every database (SQLite and PostgreSQL disagree on where NULL sorts by default).
DATE_ORDER = [F("date").asc(nulls_last=True), "slug"]
# Treaty columns an embedded treaty brief does not show.
TREATY_UNUSED = [f"treaty__{name}" for name in ("created_at", "updated_at", "notes", "aliases", "summary")]


class EventViewSet(CuratedModelViewSet):
    """Dated acts and happenings: signatures, withdrawal notices, refused flights, meetings, with the states
    involved and the sources that report them."""

    # Only the columns the serializer reads: timestamps and JSON fields nobody shows cost a conversion per row.
    queryset = (
        Event.objects.select_related("treaty")
        .defer("created_at", *TREATY_UNUSED)
        .prefetch_related(
            # to_attr: a plain list per event; through the related manager, Django clones a queryset per event.
            Prefetch(
                "participants",
                EventParticipant.objects.select_related("state").only("event", "role", "state__code", "state__name"),
                to_attr="participant_list",
            ),
            Prefetch(
                "citations",
                EventCitation.objects.select_related("source").only(
                    "event", "quote", "locator", "stance", "note", "source__slug", "source__title"
                ),
                to_attr="citation_list",
            ),
        )
        .order_by(*DATE_ORDER)
    )
    serializer_class = EventSerializer
    write_serializer_class = EventWriteSerializer
    filterset_class = EventFilterSet
    lookup_field = "slug"


class StatementViewSet(CuratedModelViewSet):
    """What people and bodies said about treaties and events: the words, who said them, for whom, with what stance."""

    queryset = (
        Statement.objects.select_related("treaty", "on_behalf_of", "responds_to")
        .prefetch_related(
            "joint_with", "mentions", Prefetch("citations", StatementCitation.objects.select_related("source"))
        )
        .order_by(*DATE_ORDER)
    )
    serializer_class = StatementSerializer
    write_serializer_class = StatementWriteSerializer
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
    renderer_classes = [
        renderer for renderer in api_settings.DEFAULT_RENDERER_CLASSES if renderer.format in {"json", "api"}
    ]

    @extend_schema(operation_id="treaties_timeline")
    def get(self, request, *args, **kwargs):
        treaty = self.get_object()
        entries = [TimelineEntry("event", event) for event in EventViewSet.queryset.filter(treaty=treaty)]
        entries += [TimelineEntry("statement", st) for st in StatementViewSet.queryset.filter(treaty=treaty)]
        entries.sort(key=TimelineEntry.sort_key)
        return Response(self.get_serializer(entries, many=True).data)
