"""Endpoints of the events app, and a treaty's timeline (here, because events depend on treaties)."""

from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet, Value
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.settings import api_settings

from apps.core.api.rows import row_plan
from apps.core.api.writes import CuratedModelViewSet
from apps.events.filtersets import EventFilterSet, StatementFilterSet
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.treaties.models import Treaty

from .serializers import (
    EventSerializer,
    EventWriteSerializer,
    StatementSerializer,
    StatementWriteSerializer,
    TimelineEntryKind,
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


def timeline_keys(treaty: Treaty) -> QuerySet:
    """A treaty's events and statements as rows of (pk, date, slug, entry kind) in timeline order.

    One UNION ordered by the database, so that a page is a slice of it and only the page's records are read.
    """

    def keys(queryset: QuerySet, kind: TimelineEntryKind) -> QuerySet:
        return queryset.filter(treaty=treaty).order_by().values("pk", "date", "slug", entry=Value(kind.value))

    events = keys(Event.objects, TimelineEntryKind.EVENT)
    statements = keys(Statement.objects, TimelineEntryKind.STATEMENT)
    # On the same date an event comes before the statements answering it ("event" < "statement").
    return events.union(statements, all=True).order_by(F("date").asc(nulls_last=True), "entry", "slug")


TIMELINE_VIEWSETS = {TimelineEntryKind.EVENT: EventViewSet, TimelineEntryKind.STATEMENT: StatementViewSet}


def timeline_records(keys: list[dict], kind: TimelineEntryKind) -> QuerySet:
    """The page's records of one kind, read as on their own list endpoint."""
    viewset = TIMELINE_VIEWSETS[kind]
    return viewset.queryset.filter(pk__in=[key["pk"] for key in keys if key["entry"] == kind])


def timeline_entry(kind: str, record) -> dict:
    """An entry as TimelineEntrySerializer shows it: the record under its kind, the other kind null."""
    others = {name: record if name == kind else None for name in TimelineEntryKind.values}
    return {"kind": kind, "date": record["date"], **others}


class TreatyTimelineView(generics.ListAPIView):
    """A treaty's events and statements in one chronological list, a page at a time.

    Entries are in date order (a date known to the month or year sorts at its period's first day), events before
    statements on the same date, entries with unknown dates last, then by slug.
    """

    queryset = Treaty.objects.all()
    serializer_class = TimelineEntrySerializer
    lookup_field = "slug"
    # JSON only: CSV cannot flatten two kinds of rows.
    renderer_classes = [
        renderer for renderer in api_settings.DEFAULT_RENDERER_CLASSES if renderer.format in {"json", "api"}
    ]
    # As on the lists: False renders the entries through the serializer (the row test compares the two).
    render_rows = True

    @extend_schema(operation_id="treaties_timeline")
    def get(self, request, *args, **kwargs):
        keys = self.paginate_queryset(timeline_keys(self.get_object()))
        entries = self.entries(keys) if self.render_rows and not self.format_kwarg else self.serialized(keys)
        return self.get_paginated_response(entries)

    def entries(self, keys: list[dict]) -> list[dict]:
        """The entries built from rows: one read per kind of record on the page (none for a kind it lacks)."""
        records = {
            kind: row_plan(viewset).render_by_key(timeline_records(keys, kind), self.request)
            for kind, viewset in TIMELINE_VIEWSETS.items()
        }
        return [timeline_entry(key["entry"], records[key["entry"]][key["pk"]]) for key in keys]

    def serialized(self, keys: list[dict]) -> list:
        records = {kind: timeline_records(keys, kind).in_bulk() for kind in TIMELINE_VIEWSETS}
        entries = [TimelineEntry(key["entry"], records[key["entry"]][key["pk"]]) for key in keys]
        return self.get_serializer(entries, many=True).data


@dataclass(frozen=True)
class TimelineEntry:
    """A record on the timeline, as TimelineEntrySerializer reads it."""

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
        return self.record if self.kind == TimelineEntryKind.EVENT else None

    @property
    def statement(self):
        return self.record if self.kind == TimelineEntryKind.STATEMENT else None
