"""Endpoints of the events app, and a treaty's timeline (here, because events depend on treaties)."""

import json
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Prefetch, QuerySet
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from apps.core.api.renderers import RawJSON, table_free_renderers
from apps.core.api.rows import RenderedPage, row_plan, splices
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


class EventViewSet(CuratedModelViewSet):
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


class TimelineKeys:
    """A treaty's timeline as keys {pk, entry}, in timeline order, for the paginator.

    The database merges the treaty's events and statements, each walked in its list order (date, slug) from its
    (treaty, date, slug, id) index, only as far as the page: a Merge Append of two index-only scans on PostgreSQL, a
    MERGE of two covering-index searches on SQLite (each ordering its kind's entries of one date by slug). A page
    past the middle is read from the end, in the reversed order, so no page walks more than half the timeline. At a
    million events (the busiest treaty: 74,000 entries), the middle page's keys take 10-11 ms on PostgreSQL and 14-24
    ms on SQLite; reading both streams into Python and merging them there took 84 and 113 ms, a sorted UNION 358 ms.
    Neither database knows that the kind is constant in each branch, so each sorts the entries of every date the page
    reaches; on PostgreSQL each kind is bounded to the page's reach, so that a date shared by thousands of entries (or
    thousands undated) costs no more than the page (a review measured 48-55 ms for such pages unbounded).
    """

    def __init__(self, treaty: Treaty):
        self.treaty = treaty
        self.models = {kind: viewset.queryset.model for kind, viewset in TIMELINE_VIEWSETS.items()}

    @cached_property
    def total(self) -> int:
        return sum(model.objects.filter(treaty=self.treaty).count() for model in self.models.values())

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[dict]:
        start, stop = window.start or 0, min(window.stop, self.total)
        if start >= stop:
            return []
        if start <= self.total - stop:
            return self._read(start, stop - start, reverse=False)
        # From the end: the same window counted backwards, read in the reversed order, put back in order.
        return self._read(self.total - stop, stop - start, reverse=True)[::-1]

    def _read(self, offset: int, limit: int, *, reverse: bool) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(*self._sql(offset, limit, reverse=reverse))
            return [{"pk": pk, "entry": kind} for pk, _date, _slug, kind in cursor.fetchall()]

    def _sql(self, offset: int, limit: int, *, reverse: bool) -> tuple[str, list]:
        date, slug = map(connection.ops.quote_name, ("date", "slug"))
        # Unknown dates last on both databases; the exact reverse of that when reading from the end.
        nulls, direction = ("FIRST", " DESC") if reverse else ("LAST", "")
        order = f"{date}{direction} NULLS {nulls}, entry{direction}, {slug}{direction}"
        pk = self.treaty.pk
        if connection.vendor == "sqlite":
            # SQLite merges a compound SELECT by its own ORDER BY (as a subquery, it sorted all of its rows).
            union = " UNION ALL ".join(self._branch(kind) for kind in self.models)
            return f"{union} ORDER BY {order} LIMIT %s OFFSET %s", [pk, pk, limit, offset]
        # PostgreSQL merges the two kinds on the date, then sorts each date's entries (it does not know that the
        # entry is constant in each branch): each kind's first offset + limit keys, from its index, keep that sort
        # within the page's reach where thousands of entries share a date or have none.
        bounded = f"ORDER BY {date}{direction} NULLS {nulls}, {slug}{direction} LIMIT %s"
        union = " UNION ALL ".join(
            f"SELECT * FROM ({self._branch(kind)} {bounded}) AS {kind.value}" for kind in self.models
        )
        return f"SELECT * FROM ({union}) AS timeline ORDER BY {order} LIMIT %s OFFSET %s", [
            *[pk, offset + limit] * len(self.models),
            limit,
            offset,
        ]

    def _branch(self, kind: TimelineEntryKind) -> str:
        """A kind's id, date, slug and entry (its kind) under those names, of the treaty."""
        model, quote = self.models[kind], connection.ops.quote_name
        column = {name: quote(model._meta.get_field(name).column) for name in ("id", "date", "slug", "treaty")}
        names = ", ".join(f"{column[name]} AS {quote(name)}" for name in ("id", "date", "slug"))
        return (
            f"SELECT {names}, '{kind.value}' AS entry FROM {quote(model._meta.db_table)} WHERE {column['treaty']} = %s"
        )


TIMELINE_VIEWSETS = {TimelineEntryKind.EVENT: EventViewSet, TimelineEntryKind.STATEMENT: StatementViewSet}


def timeline_records(keys: list[dict], kind: TimelineEntryKind) -> QuerySet:
    """The page's records of one kind, read as on their own list endpoint."""
    viewset = TIMELINE_VIEWSETS[kind]
    return viewset.queryset.filter(pk__in=[key["pk"] for key in keys if key["entry"] == kind])


def timeline_entry(kind: str, record) -> dict:
    """An entry as TimelineEntrySerializer shows it: the record under its kind, the other kind null."""
    others = {name: record if name == kind else None for name in TimelineEntryKind.values}
    return {"kind": kind, "date": record["date"], **others}


def timeline_entry_json(kind: str, record: str, date: str) -> str:
    """``timeline_entry`` as JSON, from the JSON texts of the record and of its date."""
    others = "".join(f",{json.dumps(name)}:{record if name == kind else 'null'}" for name in TimelineEntryKind.values)
    return f'{{"kind":{json.dumps(kind)},"date":{date}{others}}}'


class TreatyTimelineView(generics.ListAPIView):
    """A treaty's events and statements in one chronological list, a page at a time.

    Entries are in date order (a date known to the month or year sorts at its period's first day), events before
    statements on the same date, entries with unknown dates last, then by slug.
    """

    queryset = Treaty.objects.all()
    serializer_class = TimelineEntrySerializer
    lookup_field = "slug"
    # CSV cannot flatten two kinds of rows.
    renderer_classes = table_free_renderers()
    # As on the lists: False renders the entries through the serializer, and write_json False builds them from rows
    # in Python (the row test compares the three).
    render_rows = True
    write_json = True

    @extend_schema(operation_id="treaties_timeline")
    def get(self, request, *args, **kwargs):
        keys = self.paginate_queryset(TimelineKeys(self.get_object()))
        if not self.render_rows or self.format_kwarg:
            return self.get_paginated_response(self.serialized(keys))
        if self.write_json and splices(request.accepted_renderer) and not self.refusal():
            return self.get_paginated_response(self.entries_json(keys))
        return self.get_paginated_response(self.entries(keys))

    def refusal(self) -> str | None:
        return next(filter(None, (row_plan(viewset).json_refusal() for viewset in TIMELINE_VIEWSETS.values())), None)

    def entries_json(self, keys: list[dict]) -> RawJSON:
        """The entries from the database's JSON of their records and dates: one query per kind on the page."""
        page = RenderedPage(self.request)
        texts = {
            kind: row_plan(viewset).json_by_key([key["pk"] for key in keys if key["entry"] == kind], page, "date")
            for kind, viewset in TIMELINE_VIEWSETS.items()
        }
        # A record deleted since the keys were read is left out, as on the lists.
        entries = (
            timeline_entry_json(key["entry"], *texts[key["entry"]][key["pk"]])
            for key in keys
            if key["pk"] in texts[key["entry"]]
        )
        return RawJSON(f"[{','.join(entries)}]")

    def entries(self, keys: list[dict]) -> list[dict]:
        """The entries built from rows: one read per kind of record on the page (none for a kind it lacks)."""
        records = {
            kind: row_plan(viewset).render_by_key(timeline_records(keys, kind), self.request)
            for kind, viewset in TIMELINE_VIEWSETS.items()
        }
        return [
            timeline_entry(key["entry"], records[key["entry"]][key["pk"]])
            for key in keys
            if key["pk"] in records[key["entry"]]
        ]

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
