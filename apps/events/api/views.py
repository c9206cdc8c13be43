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

    The database merges the treaty's events and statements, each read in its list order (date, slug) from its
    (treaty, date, slug, id) index, and walks only as far as the page: a Merge Append of two index-only scans on
    PostgreSQL, a MERGE of two covering-index searches on SQLite (the kind, constant in each, ordered per date). The
    treaty's condition stands outside the UNION ALL: inside each branch, PostgreSQL does not see the treaty as fixed
    and sorts every entry instead of merging. A page past the middle is read from the end, in the reversed order,
    so no page walks more than half the timeline. At a million events (the busiest treaty: 74,000 entries), the
    middle page's keys cost 24 ms on PostgreSQL and 25 ms on SQLite this way; merging them in Python cost 84 and
    113 ms, sorting them in a UNION 358 ms.
    """

    def __init__(self, treaty: Treaty):
        self.treaty = treaty
        self.models = {TimelineEntryKind.EVENT: Event, TimelineEntryKind.STATEMENT: Statement}

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
            cursor.execute(self._sql(reverse), [self.treaty.pk, limit, offset])
            return [{"pk": pk, "entry": kind} for pk, kind in cursor.fetchall()]

    def _sql(self, reverse: bool) -> str:
        quote = connection.ops.quote_name
        branches = " UNION ALL ".join(
            "SELECT {}, '{}' AS entry FROM {}".format(
                ", ".join(
                    f"{quote(model._meta.get_field(name).column)} AS {quote(name)}"
                    for name in ("id", "date", "slug", "treaty")
                ),
                kind.value,
                quote(model._meta.db_table),
            )
            for kind, model in self.models.items()
        )
        key, date, slug, treaty = map(quote, ("id", "date", "slug", "treaty"))
        # Unknown dates last on both databases; the exact reverse of that when reading from the end.
        order = f"{date} DESC NULLS FIRST, entry DESC, {slug} DESC" if reverse else f"{date} NULLS LAST, entry, {slug}"
        where = f"{treaty} = %s ORDER BY {order} LIMIT %s OFFSET %s"
        return f"SELECT {key}, entry FROM ({branches}) AS timeline WHERE {where}"


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
