"""Endpoints of the events app, and a treaty's timeline (here, because events depend on treaties)."""

import datetime
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import slug_re
from django.db import connection
from django.db.models import F, Prefetch, QuerySet
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.api.pagination import PageNumberPagination
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
        return self._keys(*self._sql(offset, limit, reverse=reverse))

    @staticmethod
    def _keys(sql: str, params: list) -> list[dict]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                {"pk": pk, "entry": entry, "date": day, "slug": slug} for pk, day, slug, entry in cursor.fetchall()
            ]

    def _sql(self, offset: int, limit: int, *, reverse: bool) -> tuple[str, list]:
        date, slug = map(connection.ops.quote_name, ("date", "slug"))
        # Unknown dates last on both databases; the exact reverse of that when reading from the end.
        nulls, direction = ("FIRST", " DESC") if reverse else ("LAST", "")
        order = self._order(reverse=reverse)
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

    def seek(self, position: "TimelinePosition", limit: int, *, reverse: bool) -> list[dict]:
        """Up to ``limit`` keys after ``position`` in timeline order (before it, nearest first, when ``reverse``): a
        seek in each kind's (treaty, date, slug, id) index, whatever the depth, where a page number walks every entry
        before it (at a million events, the middle of a 74,000-entry timeline: see the benchmark's cursor page)."""
        date, slug = map(connection.ops.quote_name, ("date", "slug"))
        direction, beyond = (" DESC", "<") if reverse else ("", ">")
        day = connection.ops.adapt_datefield_value(position.date)
        parts, params = [], []
        for kind in self.models:
            # Where this kind's entries of the position's date stand: an entry's kind orders it before its slug.
            kind_beyond = position.entry < kind if not reverse else position.entry > kind
            # Dated entries, then undated ones (after every dated entry); each part a range of the kind's index, read
            # in its order (no NULLS clause: a part's dates are all known or all unknown, and SQLite sorted for one).
            dated, undated = None, None
            if position.date is not None:
                if kind == position.entry:
                    dated = (f"({date}, {slug}) {beyond} (%s, %s)", [day, position.slug])
                else:
                    dated = (f"{date} {beyond}{'=' if kind_beyond else ''} %s", [day])
                undated = None if reverse else (f"{date} IS NULL", [])
            else:
                dated = (f"{date} IS NOT NULL", []) if reverse else None
                if kind == position.entry:
                    undated = (f"{date} IS NULL AND {slug} {beyond} %s", [position.slug])
                elif kind_beyond:
                    undated = (f"{date} IS NULL", [])
            for condition in filter(None, (dated, undated)):
                parts.append(
                    f"SELECT * FROM ({self._branch(kind)} AND {condition[0]} "
                    f"ORDER BY {date}{direction}, {slug}{direction} LIMIT %s) AS part{len(parts)}"
                )
                params += [self.treaty.pk, *condition[1], limit]
        if not parts:
            return []
        union = " UNION ALL ".join(parts)
        return self._keys(
            f"SELECT * FROM ({union}) AS seek ORDER BY {self._order(reverse=reverse)} LIMIT %s", [*params, limit]
        )

    @staticmethod
    def _order(*, reverse: bool) -> str:
        """The timeline's order over its merged keys (date, unknown last; entry; slug), or its exact reverse."""
        date, slug = map(connection.ops.quote_name, ("date", "slug"))
        nulls, direction = ("FIRST", " DESC") if reverse else ("LAST", "")
        return f"{date}{direction} NULLS {nulls}, entry{direction}, {slug}{direction}"

    def _branch(self, kind: TimelineEntryKind) -> str:
        """A kind's id, date, slug and entry (its kind) under those names, of the treaty."""
        model, quote = self.models[kind], connection.ops.quote_name
        column = {name: quote(model._meta.get_field(name).column) for name in ("id", "date", "slug", "treaty")}
        names = ", ".join(f"{column[name]} AS {quote(name)}" for name in ("id", "date", "slug"))
        return (
            f"SELECT {names}, '{kind.value}' AS entry FROM {quote(model._meta.db_table)} WHERE {column['treaty']} = %s"
        )


TIMELINE_VIEWSETS = {TimelineEntryKind.EVENT: EventViewSet, TimelineEntryKind.STATEMENT: StatementViewSet}
UNDATED = "undated"


@dataclass(frozen=True)
class TimelinePosition:
    """An entry's place on a timeline (its date, kind and slug), as the cursor of ``after`` and ``before``:
    ``2020-05-22.event.us-withdrawal-notice``, ``undated.statement.some-slug``. Plain text rather than an encoding of
    it, so that the longest (a 150-character slug) stays within the 200 characters a parameter may have. It stays a
    place when the entry is deleted or changed: the pages around it are read from there."""

    date: datetime.date | None
    entry: str
    slug: str

    @classmethod
    def of(cls, key: dict) -> "TimelinePosition":
        date = key["date"]
        return cls(datetime.date.fromisoformat(str(date)) if date is not None else None, key["entry"], key["slug"])

    def encode(self) -> str:
        return f"{self.date.isoformat() if self.date else UNDATED}.{self.entry}.{self.slug}"

    @classmethod
    def decode(cls, name: str, raw: str) -> "TimelinePosition":
        day, entry, slug = (raw.split(".", 2) + ["", ""])[:3]
        try:
            if entry not in TimelineEntryKind.values or not slug_re.match(slug):
                raise ValueError(raw)
            return cls(None if day == UNDATED else datetime.date.fromisoformat(day), entry, slug)
        except ValueError:
            raise ValidationError(
                {name: [f"'{raw}' is not a cursor of this timeline; follow a page's `next` or `previous` link."]},
                code="invalid",
            ) from None


class TimelinePagination(PageNumberPagination):
    """The lists' page numbers, and cursors: ``after`` and ``before`` an entry's place. Every page links to the next
    and previous ones by cursor, so that a client following the links reads each page at the first page's cost,
    however deep (a page number walks every entry before it), and skips or repeats no entry when the timeline
    changes between two pages. ``count`` is the whole timeline's, as on the lists."""

    cursor_query_params = ("after", "before")

    def paginate_queryset(self, queryset: TimelineKeys, request, view=None, read=None):
        self.request = request
        cursors = {name: request.query_params.get(name) for name in self.cursor_query_params}
        cursors = {name: raw for name, raw in cursors.items() if raw}
        if not cursors:
            keys = super().paginate_queryset(queryset, request, view, read)
            self.count = self.page.paginator.count
            self.links(keys, has_previous=self.page.has_previous(), has_next=self.page.has_next())
            return keys
        given = [name for name in (self.page_query_param, *self.cursor_query_params) if request.query_params.get(name)]
        if len(given) > 1:
            raise ValidationError(
                {name: [f"Give one of page, after and before, not {' and '.join(given)}."] for name in given},
                code="invalid",
            )
        ((name, raw),) = cursors.items()
        reverse = name == "before"
        position = TimelinePosition.decode(name, raw)
        size = self.get_page_size(request)
        keys = queryset.seek(position, size + 1, reverse=reverse)
        more = len(keys) > size
        keys = keys[:size][::-1] if reverse else keys[:size]
        self.count = queryset.count()
        self.display_page_controls = False
        if keys:
            # One side is known from the extra key read; the other holds at least the cursor's place (an entry then, or
            # deleted since: its page is then empty).
            self.links(keys, has_previous=more if reverse else True, has_next=True if reverse else more)
        else:
            # Nothing beyond the cursor: the link back is the far end of the timeline, by page number.
            last_page = max(1, -(-self.count // size))
            self.next_link = None if not reverse else self.link(self.page_query_param, 1)
            self.previous_link = self.link(self.page_query_param, last_page) if not reverse and self.count else None
        return keys

    def links(self, keys: list[dict], *, has_previous: bool, has_next: bool) -> None:
        self.next_link = self.link("after", TimelinePosition.of(keys[-1]).encode()) if has_next and keys else None
        self.previous_link = (
            self.link("before", TimelinePosition.of(keys[0]).encode()) if has_previous and keys else None
        )

    def link(self, name: str, value) -> str:
        """This request's URL at another place: ``name`` (page, after or before) set to ``value``, the others gone."""
        url = self.request.build_absolute_uri()
        for other in (self.page_query_param, *self.cursor_query_params):
            url = remove_query_param(url, other)
        return replace_query_param(url, name, value)

    def get_next_link(self):
        return self.next_link

    def get_previous_link(self):
        return self.previous_link

    def get_paginated_response(self, data):
        return Response({"count": self.count, "next": self.next_link, "previous": self.previous_link, "results": data})

    def get_schema_operation_parameters(self, view):
        described = {
            "after": "The page after this entry's place on the timeline (`date.kind.slug`, e.g. "
            "`2020-05-22.event.us-notice`, `undated.statement.x`), as a page's `next` link gives it. Each page so "
            "reached costs what the first does, however deep. Not with `page` or `before`.",
            "before": "The page before this entry's place, as a page's `previous` link gives it. Not with `page` or "
            "`after`.",
        }
        cursors = [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": text,
                "schema": {"type": "string", "maxLength": settings.API_MAX_PARAMETER_LENGTH},
            }
            for name, text in described.items()
        ]
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] += " Not with `after` or `before`."
        return [*parameters, *cursors]

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        properties = paginated["properties"]
        example = "http://api.example.org/api/treaties/open-skies/timeline/?page_size=50&{}=2020-05-22.event.us-notice"
        properties["next"]["example"] = example.format("after")
        properties["previous"]["example"] = example.format("before")
        properties["next"]["description"] = "URL of the next page, by cursor (`after`); null on the last page."
        properties["previous"]["description"] = (
            "URL of the previous page, by cursor (`before`); null on the first page. Where the entries before a "
            "cursor have all been deleted since, it leads to an empty page linking to the first."
        )
        return paginated


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
    pagination_class = TimelinePagination
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
