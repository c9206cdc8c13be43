"""GET lists and details written by the database, or built from ``.values()`` rows, exactly as the read serializers
render model instances.

This is the API's one speed mechanism on the read path, and the only module that knows it exists. A page of a
hundred events is some nine hundred model instances (events, treaties, participants, states, citations, sources) and
DRF's per-field work on each; the same JSON built from ``.values()`` rows costs less than half as much CPU, and
written by the database (SQLite or PostgreSQL) a fifth: 3 ms for the page's 185 KB.

The representation is declared once, by the read serializer, which documents it in the schema and renders writes'
responses. A ``RowPlan`` is derived from the serializer's fields, through DRF's public field API, in their order.
For each field it holds:

- a reader: the columns it would read from the instance (``treaty__slug`` for a nested treaty's slug), formatted with
  the serializer's own code (partial dates, field ``to_representation``); links are built from a per-view path
  template instead of resolving the URLconf for each;
- a JSON writer: the SQL of the same value's JSON text (``json_sql.py``), the same bytes DRF's renderer writes.

A JSON page is its count, its keys, then one query writing every record's JSON with its nested records and related
lists; CSV, the browsable API and a time zone other than UTC use the readers. A field the plan cannot read from a
row is refused when the plan is built, never dropped; one the database cannot write sends its plan to the readers
(``json_refusal``; a test holds every endpoint to the database's JSON). ``tests/test_api_rows.py`` compares the
three renderings byte for byte, on both databases.

A related list (participants, citations, joint states) read from rows is one ``.values()`` query for the whole
page, grouped by record in Python, in the related model's default ordering: the queries are the ones prefetching
runs. Written by the database, it is a subquery per record in the same order.

A new model field shown by a serializer needs nothing here; a new kind of serializer field either reads one column
(and works) or is refused with its name when the first list is requested (and the row test fails).
"""

import copy
import json
import re
from collections import defaultdict
from collections.abc import Callable
from functools import cache, lru_cache
from urllib.parse import quote

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Expression, F, ForeignObjectRel, Model, OuterRef, Q, QuerySet, SlugField
from django.http import Http404
from django.urls import NoReverseMatch, get_script_prefix, reverse
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.relations import HyperlinkedIdentityField, HyperlinkedRelatedField
from rest_framework.response import Response
from rest_framework.settings import api_settings

from . import json_sql
from .pagination import page_keys
from .renderers import JSONRenderer, RawJSON
from .serializers import SLUG_SAFE, ListLinkField, PartialDateSerializer, list_link, partial_date_representation

# Fields that show a text column as it is (CharField.to_representation is str(), a ChoiceField's value its key).
VERBATIM_FIELDS = (serializers.CharField, serializers.ChoiceField)
TEXT_COLUMNS = ("CharField", "TextField", "SlugField")

Reader = Callable[[dict, "RenderedPage"], object]
# The SQL of a field's JSON text for one response (links carry the response's scheme, host and script prefix).
JSONWriter = Callable[["RenderedPage"], Expression]

# Keys that fit the project's URL patterns (slugs; three-letter codes) and appear nowhere else in a path.
PLACEHOLDERS = ("__key__", "QQQ", "qqq", "0")
# What django.urls.reverse() leaves unquoted in a path (RFC 3986 sub-delimiters and /~:@).
URL_SAFE = "!$&'()*+,;=/~:@"


@lru_cache(maxsize=256)
def _path_template(view_name: str, kwarg: str, script_prefix: str) -> tuple[str, str]:
    """The path of ``view_name`` split around its key; placeholders are tried until one fits the URL pattern."""
    for placeholder in PLACEHOLDERS:
        try:
            path = reverse(view_name, kwargs={kwarg: placeholder})
        except NoReverseMatch:
            continue
        if path.count(placeholder) == 1:
            before, _, after = path.partition(placeholder)
            return before, after
    raise NoReverseMatch(f"No placeholder fits the URL pattern of {view_name!r}.")


def record_url(page: "RenderedPage", view_name: str, kwarg: str, value) -> str | None:
    """The absolute API URL of the record whose key (URL keyword ``kwarg``) is ``value``, as DRF's link fields build
    it (``reverse()`` then ``build_absolute_uri()``, a quarter of a page's time when done per link); None without a
    key."""
    if value in (None, ""):
        return None
    before, after = _path_template(view_name, kwarg, page.script_prefix)
    value = str(value)
    if not SLUG_SAFE.fullmatch(value):
        value = quote(value, safe=URL_SAFE)
    return f"{page.origin}{before}{value}{after}"


# A pattern that only ever matches what SLUG_SAFE does: anchored at both ends, ASCII letters, digits, "-" and "_",
# alone or in classes of whole ranges (A-Z, a-z, 0-9), repeated or not (the state code's ``^[A-Z]{3}$``; every write
# path strips the newline "$" would let through).
SLUG_SAFE_PATTERN = re.compile(
    r"\^(?:(?:\[(?:A-Z|a-z|0-9|[-_])+\]|[-A-Za-z0-9_])(?:\{\d+(?:,\d*)?\}|[+*?])?)+(?:\$|\\Z)"
)


def field_at(model: type[Model], path: str):
    """The model field at ``path`` from ``model``, through its relations (``state__code``)."""
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def url_safe(model: type[Model], path: str) -> bool:
    """Whether every value the column at ``path`` (``state__code``) may hold is one that SLUG_SAFE matches, as its
    validators make sure (the model's rule, on every write path): a URL shows it without quoting."""
    field = field_at(model, path)
    if isinstance(field, SlugField) and not field.allow_unicode:
        return True
    return any(
        isinstance(validator, RegexValidator)
        and not validator.inverse_match
        and SLUG_SAFE_PATTERN.fullmatch(validator.regex.pattern)
        for validator in field.validators
    )


def splices(renderer) -> bool:
    """Whether the response's renderer writes the database's JSON as it is: the project's JSON renderer, compact and
    not ASCII-escaped, as the database writes it."""
    return isinstance(renderer, JSONRenderer) and renderer.compact and not renderer.ensure_ascii


def utc_only() -> bool:
    """Whether timestamps are shown in UTC, as the database writes them (the zone DRF would show them in)."""
    return settings.USE_TZ and timezone.get_current_timezone_name() == "UTC"


@lru_cache(maxsize=64)
def in_zone(field: serializers.DateTimeField, zone) -> Callable:
    """``field.to_representation`` with the time zone DRF would look up for each value given once, as
    ``DateTimeField(default_timezone=zone)`` has it: 5 µs a value instead of 19."""
    fixed = copy.copy(field)
    fixed.timezone = zone
    return fixed.to_representation


class RenderedPage:
    """What the readers of one response share: the request (for absolute links) and the page's related lists."""

    def __init__(self, request):
        self.request = request
        # Scheme and host, and the script prefix, are the same for every link of a response.
        self.origin = request.build_absolute_uri("/")[:-1]
        self.script_prefix = get_script_prefix()
        # DRF's DateTimeField looks the current time zone up for each value it shows; a response has one.
        self.timezone = timezone.get_current_timezone() if settings.USE_TZ else None
        self.related: dict[str, dict] = {}

    @classmethod
    def fixed(cls, script_prefix: str) -> "RenderedPage":
        """A page of no request, for what depends only on its script prefix (compiled SQL; the origin is a
        parameter given for each request)."""
        page = cls.__new__(cls)
        page.request, page.origin, page.script_prefix, page.timezone, page.related = (
            None,
            None,
            script_prefix,
            None,
            {},
        )
        return page


class RowPlan:
    """The columns a serializer reads, and one reader per field, in the serializer's order."""

    def __init__(self, serializer: serializers.Serializer, model: type[Model], prefix: str = ""):
        self.model = model
        self.prefix = prefix
        self.columns: list[str] = []
        self.readers: list[tuple[str, Reader]] = []
        self.relations: dict[str, Relation] = {}
        self._nested_plans: dict[str, RowPlan] = {}
        # What the database writes of each field (see json_text), or why it cannot.
        self.json_writers: list[tuple[str, JSONWriter]] = []
        self.json_refused: str | None = None
        # Timestamps are written in UTC only (see json_refusal).
        self.json_timestamps = False
        for name, field in serializer.fields.items():
            if not field.write_only:
                self.readers.append((name, self._reader(name, field)))
                self._json_writer(name, field)
        self.columns = list(dict.fromkeys(self.columns))

    def values(self, queryset: QuerySet) -> QuerySet:
        """The queryset's rows as dictionaries of the columns the plan reads (prefetching is the plan's job)."""
        return queryset.prefetch_related(None).values("pk", *self.columns)

    def render(self, rows: list[dict], request) -> list[dict]:
        page = RenderedPage(request)
        keys = [row["pk"] for row in rows]
        for name, relation in self.relations.items():
            page.related[name] = relation.grouped(keys, page) if keys else {}
        return [self.row(row, page) for row in rows]

    def render_by_key(self, queryset: QuerySet, request) -> dict:
        """The queryset's records rendered, by primary key."""
        rows = list(self.values(queryset))
        return dict(zip([row["pk"] for row in rows], self.render(rows, request), strict=True))

    def row(self, row: dict, page: RenderedPage) -> dict:
        return {name: read(row, page) for name, read in self.readers}

    def json_text(self, page: RenderedPage) -> Expression:
        """The SQL of a record's JSON, byte for byte what ``row()`` gives through DRF's JSON renderer."""
        if refusal := self.json_refusal():
            raise TypeError(refusal)
        parts: list = []
        for position, (name, write) in enumerate(self.json_writers):
            parts += [("," if position else "{") + json_sql.key(name), write(page)]
        return json_sql.Text(*parts, "}")

    def json_by_key(self, keys: list, page: RenderedPage, *fields: str, using: str = DEFAULT_DB_ALIAS) -> dict:
        """The JSON text of the records with these primary keys, written by the database, then that of each of
        ``fields`` (the timeline shows a record's date beside it), by key: one query, whose SQL is compiled once per
        database, origin and script prefix (compiling it takes longer than running it)."""
        if not keys:
            return {}
        sql, params = self._json_select(connections[using].vendor, using, page.script_prefix, fields)
        # The origin and the keys are parameters: the statement is the same for every page and host.
        origin = json_sql.string_piece(page.origin)
        params = [origin if param is json_sql.ORIGIN else param for param in params]
        keys_param = json.dumps(keys) if connections[using].vendor == "sqlite" else list(keys)
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [*params, keys_param])
            return {key: texts for key, *texts in cursor.fetchall()}

    @lru_cache(maxsize=32)  # noqa: B019 (a plan lives as long as the process; a script prefix or two each)
    def _json_select(self, vendor: str, using: str, script_prefix: str, fields: tuple) -> tuple[str, list]:
        page = RenderedPage.fixed(script_prefix)
        writers = dict(self.json_writers)
        also = {f"field_{position}": writers[name](page) for position, name in enumerate(fields)}
        every = self.model._default_manager.using(using).order_by().values("pk", json=self.json_text(page), **also)
        sql, params = every.query.get_compiler(using=using).as_sql()
        quote = connections[using].ops.quote_name
        table, column = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        keys = "IN (SELECT value FROM json_each(%s))" if vendor == "sqlite" else "= ANY(%s)"
        return f"{sql} WHERE {table}.{column} {keys}", list(params)

    def _reader(self, name: str, field) -> Reader:
        if isinstance(field, PartialDateSerializer):
            return self._partial_date(field.date_field)
        if isinstance(field, HyperlinkedIdentityField):
            return self._link(field, self.prefix + field.lookup_field)
        if isinstance(field, ListLinkField):
            return self._list_link(field)
        if isinstance(field, HyperlinkedRelatedField):
            return self._link(field, f"{self._column(field)}__{field.lookup_field}")
        if isinstance(field, serializers.ListSerializer):
            return self._related_list(name, field)
        if isinstance(field, serializers.BaseSerializer):
            return self._nested(name, field)
        # A method field, one given the whole record, or a relation other than a link or a nested serializer.
        if not field.source_attrs or isinstance(field, serializers.RelatedField | serializers.ManyRelatedField):
            raise TypeError(f"{name}: {type(field).__name__} cannot be read from a row.")
        return self._scalar(field)

    def _json_writer(self, name: str, field) -> None:
        """The SQL of ``field``'s JSON, dispatched as ``_reader`` is; a field it cannot write refuses the plan's
        JSON (with its name), and the plan's rows are rendered in Python."""
        column = self._column(field) if field.source_attrs and field.source != "*" else None
        if isinstance(field, PartialDateSerializer):
            column = self.prefix + field.date_field
            writer = lambda page: json_sql.PartialDate(F(column), F(f"{column}_precision"))  # noqa: E731
        elif isinstance(field, HyperlinkedIdentityField | HyperlinkedRelatedField | ListLinkField):
            writer = self._json_link(name, field)
        elif isinstance(field, serializers.ListSerializer):
            self._json_inherit(self.relations[name].plan)
            writer = lambda page: self.relations[name].json_text(page)  # noqa: E731
        elif isinstance(field, serializers.BaseSerializer):
            nested_plan = self._json_inherit(self._nested_plans[name])
            writer = lambda page: json_sql.null_or(  # noqa: E731
                Q(**{f"{column}__isnull": True}), nested_plan.json_text(page)
            )
        elif isinstance(field, serializers.IntegerField) or (
            # A CharField shows other values than text as strings, which the database would write as they are.
            isinstance(field, VERBATIM_FIELDS)
            and field_at(self.model, column.removeprefix(self.prefix)).get_internal_type() in TEXT_COLUMNS
        ):
            writer = lambda page: json_sql.Quoted(F(column))  # noqa: E731
        elif isinstance(field, serializers.BooleanField):
            writer = lambda page: json_sql.Boolean(F(column))  # noqa: E731
        elif (
            isinstance(field, serializers.DateTimeField)
            and not hasattr(field, "timezone")
            and str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() == ISO_8601
        ):
            self.json_timestamps = True
            writer = lambda page: json_sql.UTCDateTime(F(column))  # noqa: E731
        elif isinstance(field, serializers.ListField) and isinstance(field.child, VERBATIM_FIELDS):
            writer = lambda page: json_sql.Strings(F(column))  # noqa: E731
        else:
            writer = None
        if writer is None:
            self.json_refused = self.json_refused or f"{name}: the database cannot write a {type(field).__name__}."
        else:
            self.json_writers.append((name, writer))

    def json_refusal(self) -> str | None:
        """Why the database cannot write this plan's records (under the current settings), or None."""
        if self.json_refused:
            return self.json_refused
        if self.json_timestamps and not utc_only():
            return f"timestamps are shown in {settings.TIME_ZONE}; the database writes them in UTC only."
        return None

    def _json_inherit(self, plan: "RowPlan") -> "RowPlan":
        """A nested record's or related list's plan: what it cannot write, this plan cannot either."""
        self.json_refused = self.json_refused or plan.json_refused
        self.json_timestamps = self.json_timestamps or plan.json_timestamps
        return plan

    def _json_link(self, name: str, field) -> "JSONWriter | None":
        """A link's URL: the text around the key is what ``record_url`` / ``list_link`` put there; the key is
        written as it is, so its column must hold values that need no quoting in a URL."""
        if isinstance(field, ListLinkField):
            column, record = self._column(field), False
            view_name, parameter = field.view_name, field.parameter

            def around(page):
                return list_link("", view_name, parameter, ""), ""

        else:
            record = True
            if isinstance(field, HyperlinkedIdentityField):
                column = self.prefix + field.lookup_field
            else:
                column = f"{self._column(field)}__{field.lookup_field}"
            view_name, kwarg = field.view_name, field.lookup_url_kwarg

            def around(page):
                return _path_template(view_name, kwarg, page.script_prefix)

        if not url_safe(self.model, column.removeprefix(self.prefix)):
            self.json_refused = self.json_refused or f"{name}: the values of {column} may need quoting in a URL."
            return None

        def write(page):
            before, after = (json_sql.string_piece(text) for text in around(page))
            link = json_sql.Text('"', json_sql.ORIGIN, before, F(column), f'{after}"')
            # A record link is null without a key, as record_url has it; a list link's key is the record's own.
            return json_sql.null_or(Q(**{f"{column}__isnull": True}) | Q(**{column: ""}), link) if record else link

        return write

    def _column(self, field) -> str:
        return self.prefix + "__".join(field.source_attrs)

    def _use(self, *columns: str) -> None:
        self.columns += columns

    def _scalar(self, field) -> Reader:
        column = self._column(field)
        self._use(column)
        if isinstance(field, VERBATIM_FIELDS):
            return lambda row, page: row[column]
        if isinstance(field, serializers.DateTimeField) and not hasattr(field, "timezone"):
            return lambda row, page: None if row[column] is None else in_zone(field, page.timezone)(row[column])
        represent = field.to_representation
        return lambda row, page: None if row[column] is None else represent(row[column])

    def _partial_date(self, date_field: str) -> Reader:
        column = self.prefix + date_field
        precision = f"{column}_precision"
        self._use(column, precision)
        return lambda row, page: partial_date_representation(row[column], row[precision])

    def _link(self, field, column: str) -> Reader:
        view_name, kwarg = field.view_name, field.lookup_url_kwarg
        self._use(column)
        return lambda row, page: record_url(page, view_name, kwarg, row[column])

    def _list_link(self, field: ListLinkField) -> Reader:
        column = self._column(field)
        self._use(column)
        view_name, parameter = field.view_name, field.parameter
        return lambda row, page: list_link(page.origin, view_name, parameter, row[column])

    def _nested(self, name: str, field) -> Reader:
        # A nested record is null when its foreign key is: the key column is read with the record's own columns.
        key = self._column(field)
        model = field_at(self.model, key.removeprefix(self.prefix)).related_model
        nested = RowPlan(field, model, prefix=f"{key}__")
        self._nested_plans[name] = nested
        self._use(key, *nested.columns)
        return lambda row, page: None if row[key] is None else nested.row(row, page)

    def _related_list(self, name: str, field: serializers.ListSerializer) -> Reader:
        if self.prefix:
            raise TypeError(f"{name}: lists inside a nested record cannot be read from a row.")
        self.relations[name] = Relation(self.model._meta.get_field(field.source), field.child)
        return lambda row, page: page.related[name].get(row["pk"], [])


class Relation:
    """A record's related list (reverse foreign key or many-to-many), read for a whole page in one query."""

    def __init__(self, model_field, serializer: serializers.Serializer):
        self.model = model_field.related_model
        # The lookup from the related rows back to the record: "event" for participants, "joint_statements" for a
        # statement's joint states. Its value in a row is the record's primary key.
        if isinstance(model_field, ForeignObjectRel):
            self.lookup = model_field.field.name
        else:
            self.lookup = model_field.related_query_name()
        self.plan = RowPlan(serializer, self.model)
        if self.plan.relations or self.lookup in self.plan.columns:
            raise TypeError(f"{model_field.name}: this related list cannot be read from rows.")
        # The order of grouped(): the related model's default ordering, without the record itself (the same for
        # every row of one record's list, and a join when it names the record's own ordering).
        self.ordering = [name for name in self.model._meta.ordering if name not in (self.lookup, f"{self.lookup}_id")]

    def json_text(self, page: RenderedPage) -> Expression:
        """The SQL of the JSON array of a record's related list (the record is the outer query's row)."""
        related = self.model._default_manager.filter(**{self.lookup: OuterRef("pk")})
        return json_sql.JSONList(related.values(record_json=self.plan.json_text(page)), self.ordering)

    def grouped(self, keys: list, page: RenderedPage) -> dict:
        related = self.model._default_manager.filter(**{f"{self.lookup}__in": keys})
        rows = related.values(self.lookup, *self.plan.columns)
        grouped = defaultdict(list)
        for row in rows:
            grouped[row[self.lookup]].append(self.plan.row(row, page))
        return grouped


@cache
def row_plan(viewset) -> RowPlan:
    """The plan of a viewset's read serializer (``serializer_class``) over its model, built once per process."""
    return RowPlan(viewset.serializer_class(), viewset.queryset.model)


class RowListMixin:
    """A viewset whose GET list and detail are built from rows by the plan of its read serializer (see the module's
    docstring).

    Filters, ordering, pagination, CSV and the response cache are as for any list: only the rendering changes.
    A format suffix in the path (``/api/events.json``) puts it into every link, which only DRF's fields do.
    """

    # False renders lists and details through the serializer, as writes' responses are (the row test compares them).
    render_rows = True
    # False renders JSON from rows in Python, as CSV and the browsable API are (the row test compares them).
    write_json = True

    def renders_rows(self) -> bool:
        return self.render_rows and not self.format_kwarg

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve" and self.renders_rows():
            # A detail looks its record up by key alone (a 404, the ETag); the plan reads what it shows. Through
            # the serializer, the same record with its prefetched lists cost twice as much CPU.
            queryset = queryset.select_related(None).prefetch_related(None).only("pk", "updated_at")
        return queryset

    def writes_json(self) -> bool:
        """Whether the database writes the records of this response: a JSON response of a plan it can write."""
        renderer = getattr(self.request, "accepted_renderer", None)
        return self.write_json and self.renders_rows() and splices(renderer) and not self.plan.json_refusal()

    @property
    def plan(self) -> RowPlan:
        return row_plan(type(self))

    def representation(self, record) -> dict | RawJSON:
        """What a detail GET shows of ``record``."""
        if not self.renders_rows():
            return self.get_serializer(record).data
        if self.writes_json():
            found = self.plan.json_by_key([record.pk], RenderedPage(self.request))
            shown = RawJSON(found[record.pk][0]) if record.pk in found else None
        else:
            one = type(self).queryset.filter(pk=record.pk)
            shown = self.plan.render_by_key(one, self.request).get(record.pk)
        if shown is None:
            # Deleted since it was looked up.
            raise Http404
        return shown

    def list(self, request, *args, **kwargs):
        if not self.renders_rows():
            return super().list(request, *args, **kwargs)
        plan = self.plan
        queryset = self.filter_queryset(self.get_queryset())
        if self.writes_json():
            # The page's keys, then their JSON written by the database in one query.
            keys = self.paginator.paginate_queryset(queryset, request, view=self, read=page_keys)
            texts = plan.json_by_key(keys, RenderedPage(request))
            # A record deleted between the two queries is left out, as the deferred join leaves it.
            return self.get_paginated_response(RawJSON(f"[{','.join(texts[key][0] for key in keys if key in texts)}]"))
        # The paginator counts the records, then reads the page's rows (a count of rows would join their columns).
        page = self.paginator.paginate_queryset(queryset, request, view=self, read=plan.values)
        if page is None:
            return Response(plan.render(list(plan.values(queryset)), request))
        return self.get_paginated_response(plan.render(page, request))
