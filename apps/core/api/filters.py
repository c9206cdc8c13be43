"""Filtering shared by every endpoint: strict parameters, typed filters, readable error messages.

Every query parameter an endpoint does not know is refused with 400: a typo such as ``?tretay=inf`` silently
answering the unfiltered list would be a wrong answer that looks right.
"""

import datetime
from urllib.parse import unquote, unquote_to_bytes

import django_filters
from django import forms
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.db import connections
from django.db.models import F, QuerySet
from django.db.models.lookups import Lookup
from django.db.models.sql.where import AND
from django.forms import ModelChoiceField
from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.settings import api_settings

from apps.core.caching import QUERY_CHECKED
from apps.core.partial_dates import overlaps_range_q
from apps.core.search import SearchSyntaxError, index_of, parse

ISO_DATE = "%Y-%m-%d"


class FilterSet(django_filters.FilterSet):
    """A FilterSet whose validation messages say what each parameter accepts."""

    @classmethod
    def get_filters(cls):
        # At class creation, before anything (the schema generator, a first request) builds and caches the form fields.
        filters = super().get_filters()
        for name, filter_ in filters.items():
            messages = filter_.extra.setdefault("error_messages", {})
            if isinstance(filter_, django_filters.MultipleChoiceFilter | django_filters.ChoiceFilter):
                accepted = ", ".join(str(value) for value, _ in filter_.extra.get("choices", []))
                messages.setdefault(
                    "invalid_choice", f"'%(value)s' is not accepted for {name}; give one of: {accepted}."
                )
            elif isinstance(filter_, django_filters.IsoDateTimeFilter):
                messages.setdefault("invalid", "Give a date and time in ISO 8601, e.g. 2024-05-01T00:00:00Z.")
            elif isinstance(filter_, django_filters.DateFilter):
                messages.setdefault("invalid", "Give a date in ISO 8601, YYYY-MM-DD, e.g. 2020-11-22.")
                # ISO 8601 only: Django's other input formats read 01/02/2020 as 2 January, a silent wrong answer
                # for anyone who meant 1 February.
                filter_.extra.setdefault("input_formats", [ISO_DATE])
        return filters

    def get_form_class(self):
        """The form class, built once per FilterSet: its fields come from the filters' declarations alone (no filter's
        queryset depends on the request), and each form copies them, as every Django form copies its base fields.
        django-filter built the class anew for every request: ~0.7 ms of a 7.8 ms page of 100 events (in-process,
        100,000 events on SQLite)."""
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    def is_valid(self) -> bool:
        """Valid values, and a date range that is not inverted (which would silently match nothing)."""
        if not super().is_valid():
            return False
        after, before = self.form.cleaned_data.get("date_after"), self.form.cleaned_data.get("date_before")
        if after and before and after > before:
            message = f"date_after ({after}) is later than date_before ({before}); give date_after <= date_before."
            self.form.add_error("date_after", forms.ValidationError(message, code="invalid_range"))
            return False
        return True

    @classmethod
    def accepts_many(cls, name: str) -> bool:
        """Whether a parameter may be repeated (``?type=a&type=b``)."""
        return isinstance(cls.base_filters.get(name), django_filters.MultipleChoiceFilter)


class KeyChoiceField(ModelChoiceField):
    """Resolves a natural key to its record, naming what was not found and where the valid keys are listed."""

    def __init__(self, *args, normalise=None, **kwargs):
        self.normalise = normalise
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if isinstance(value, str) and self.normalise:
            value = self.normalise(value.strip())
        return super().to_python(value)


class KeyFilter(django_filters.ModelChoiceFilter):
    """Filters by a related record given by its natural key; an unknown key is a 400, not an empty list.

    ``endpoint`` names the list endpoint where valid keys can be found, for the error message. A ``method`` must
    name its argument ``value`` and annotate it with the model, so the schema documents the parameter as a string.
    """

    field_class = KeyChoiceField

    def __init__(self, *args, to_field_name: str, endpoint: str, normalise=None, **kwargs):
        model_name = kwargs["queryset"].model._meta.verbose_name
        kwargs.setdefault(
            "error_messages",
            {"invalid_choice": f"No {model_name} has the {to_field_name} '%(value)s'; see /api/{endpoint}/."},
        )
        super().__init__(*args, to_field_name=to_field_name, normalise=normalise, **kwargs)


# How many keys ``among`` gives PostgreSQL as one array at most; past it, the subquery (below).
INLINE_KEYS = 20_000


def among(queryset: QuerySet, keys: QuerySet) -> QuerySet:
    """``queryset`` where ``pk IN keys``, for ``keys`` a ``values_list`` of one integer column (e.g. a state's events,
    from its participations).

    On PostgreSQL the keys are read first and given as one array constant, when there are at most ``INLINE_KEYS``. As
    a subquery, the planner guesses how many keys it gives, and walks the list order (date, slug) probing an index for
    each event it passes: at a million events, a state in 10,228 of them, 20,923 probes for a first page (80 ms).
    Given the array, it knows the count, and either walks the order's index checking each event against the keys'
    hash (1.5 ms), or, for a page deep in the list, fetches the keys' events and sorts them. With no other condition
    the count is the number of keys (``known_count``), else it probes each key's event (14-24 ms). In-process, the
    whole first page went from 148 to 53 ms, and to 30 ms without the count. Past ``INLINE_KEYS``
    (2% of a million events) the subquery's walk finds a page sooner than reading the keys and sending them (20,368
    keys: 28 ms against 17 + 8; 40,398: 7 ms against 36 + 18), so the subquery stays; at most ``INLINE_KEYS`` + 1
    rows are read to find out. SQLite keeps the subquery: it reads it into a temporary index and fetches the keys'
    events by rowid, 25 ms for the same page, where walking the order would cost a deep page 113 ms.
    """
    if connections[queryset.db].vendor == "postgresql":
        # Rows, not distinct keys: the index gives them without reading them all (a key in two roles counts twice).
        read = list(keys.using(queryset.db).order_by()[: INLINE_KEYS + 1])
        if len(read) <= INLINE_KEYS:
            return _narrowed(queryset, PkAmong(read, all_exist=_references(keys, queryset.model)))
    return queryset.filter(pk__in=keys)


def _narrowed(queryset: QuerySet, among_keys: "PkAmong") -> QuerySet:
    """``queryset`` filtered by ``among_keys``; when it already holds ``among``'s keys (e.g. ``actor`` and ``target``
    together), one array of the keys in both replaces them. Given two arrays, PostgreSQL guessed a handful of events
    matched and walked the whole list order checking both (at a million events, two states: 186-317 ms where the two
    subqueries took 17-33 ms)."""
    where = queryset.query.where
    earlier = [child for child in where.children if isinstance(child, PkAmong)]
    if not earlier or where.connector != AND or where.negated:
        return queryset.filter(among_keys)
    narrowed = queryset.all()
    where = narrowed.query.where
    where.children = [child for child in where.children if not isinstance(child, PkAmong)]
    both = PkAmong(
        among_keys.keys.intersection(*(child.keys for child in earlier)),
        all_exist=among_keys.all_exist or any(child.all_exist for child in earlier),
    )
    return narrowed.filter(both)


def _references(keys: QuerySet, model) -> bool:
    """Whether ``keys`` are the values of a constrained foreign key to ``model``: each is then one of its records."""
    try:
        field = keys.model._meta.get_field(keys.query.values_select[0])
    except (FieldDoesNotExist, IndexError):
        return False
    return bool(field.many_to_one and field.related_model is model and field.db_constraint)


class PkAmong(Lookup):
    """``pk = ANY('{...}'::bigint[])``: the condition ``among`` gives PostgreSQL (one array parameter), with its
    distinct keys, and whether each is known to be a record, kept for ``known_count``."""

    prepare_rhs = False

    def __init__(self, keys, *, all_exist: bool):
        self.keys = frozenset(keys)
        self.all_exist = all_exist
        super().__init__(F("pk"), "{" + ",".join(str(key) for key in self.keys) + "}")

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::bigint[])", (*lhs_params, *rhs_params)


def known_count(queryset) -> int | None:
    """How many records ``queryset`` holds, known without asking the database when its one condition is ``among``'s
    array of keys read from a foreign key to its model (every key is a record): the number of distinct keys. Else
    None. At a million events, a state in 10,228 of them: the count probed each key's event, 14-24 ms of a 57 ms first
    page. Any other condition (a second filter, a search's table, a base filter of the view) leaves the count to the
    database."""
    if not isinstance(queryset, QuerySet):
        return None
    query = queryset.query
    where = query.where
    alone = (
        len(where.children) == 1
        and isinstance(where.children[0], PkAmong)
        and where.children[0].all_exist
        and not where.negated
        and not query.extra_tables
        and query.combinator is None
        and not query.distinct
        and not query.is_sliced
    )
    return len(where.children[0].keys) if alone else None


def partial_date_after(field: str, what: str) -> django_filters.DateFilter:
    """A filter keeping records whose partial date ``field`` ends on or after the given day."""
    return django_filters.DateFilter(
        method=lambda queryset, name, value: queryset.filter(overlaps_range_q(field, after=value)),
        label=f"Only {what} on or after this day (YYYY-MM-DD, inclusive). A date known only to the month or year "
        "matches when its period reaches this day; an unknown date never matches.",
    )


def partial_date_before(field: str, what: str) -> django_filters.DateFilter:
    """A filter keeping records whose partial date ``field`` starts on or before the given day."""
    return django_filters.DateFilter(
        method=lambda queryset, name, value: queryset.filter(overlaps_range_q(field, before=value)),
        label=f"Only {what} on or before this day (YYYY-MM-DD, inclusive). A date known only to the month or year "
        "matches when its period starts by this day; an unknown date never matches.",
    )


class MomentAfterFilter(django_filters.IsoDateTimeFilter):
    """``>=`` a moment, compared in UTC, including moments whose UTC time falls outside the years 1-9999 Python can
    hold.

    ``0001-01-01T00:00:00+01:00`` is a valid ISO 8601 moment, but in UTC it is in year 0: converting it for the
    database (SQLite stores UTC text) raised OverflowError, a 500 on every list. Such a moment is before or after
    every record, so the answer is known without asking the database.
    """

    def filter(self, qs, value):
        if value is not None:
            try:
                # In UTC: PostgreSQL refuses offsets beyond ±15:59 that ISO 8601 and Python accept (+16:00).
                value = value.astimezone(datetime.UTC)
            except OverflowError:
                return qs if value.year == datetime.MINYEAR else qs.none()
        return super().filter(qs, value)


def updated_after_filter(what: str) -> django_filters.IsoDateTimeFilter:
    """Records changed at or after a moment, so a mirror can sync incrementally."""
    return MomentAfterFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label=f"Only {what} changed at or after this moment (ISO 8601, e.g. 2024-05-01T00:00:00Z), for mirrors "
        "that sync incrementally.",
    )


class SearchQueryField(forms.CharField):
    """``q`` parsed when the parameters are validated, so a query that cannot run is a 400 naming ``q``."""

    def clean(self, value):
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return parse(value)
        except SearchSyntaxError as error:
            raise forms.ValidationError(str(error), code="invalid_search") from None


class SearchFilter(django_filters.CharFilter):
    """Full-text search over the fields the model's ``search_index`` declares, most relevant first
    (``apps.core.search``); an ``ordering`` filter declared after it replaces that order."""

    field_class = SearchQueryField

    def filter(self, qs, value):
        return qs if value is None else index_of(qs.model).matching(qs, value)


def search_filter(model, what: str) -> SearchFilter:
    """``q`` for a model, described from its index declaration."""
    return SearchFilter(
        label=f"Full-text search in the {index_of(model).described()} of {what}. Each word must match, by its stem "
        '(withdrawal also finds withdraw and withdrawing); "a phrase" matches those words in order; word* matches '
        "words starting with it; OR between terms matches either; -word leaves out what matches it. Most relevant "
        "first (a match in an earlier-named field counts more), then in list order.",
    )


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Ordering with unknown values last in both directions on every database, and the slug as a tie-breaker."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        expression = F(self.param_map[param.lstrip("-")])
        return expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in django_filters.constants.EMPTY_VALUES:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "slug")


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing unknown or repeated parameters; detail views accept only ``format`` and the
    view's own ``query_parameters`` (an action's, e.g. ``@action(..., query_parameters=["page"])``)."""

    def filter_queryset(self, request, queryset, view):
        is_list = getattr(view, "action", "list") == "list"
        filterset_class = self.get_filterset_class(view, queryset) if is_list else None
        check_parameters(request, view, filterset_class, accepted=getattr(view, "query_parameters", ()))
        if not is_list:
            return queryset
        return super().filter_queryset(request, queryset, view)


def check_parameters(request, view, filterset_class, *, accepted: tuple | list = ()) -> None:
    """Raise a 400 naming every query parameter the view does not accept (its filters, its pagination's, ``format``
    and ``accepted``), repeats without accepting many, or whose value is not UTF-8 text, too long or holds a NUL.

    Then applies the one rule for empty values, on every endpoint: an empty value is the parameter left out
    (``?type=`` filters nothing, ``?page_size=`` is the default size), as a form submitted with a blank field means.
    """
    accepted = [*accepted, *(filterset_class.base_filters if filterset_class else [])]
    paginator = getattr(view, "paginator", None) if getattr(view, "action", "list") == "list" else None
    if paginator is not None:
        accepted += [
            paginator.page_query_param,
            paginator.page_size_query_param,
            *getattr(paginator, "cursor_query_params", ()),
        ]
    accepted.append(api_settings.URL_FORMAT_OVERRIDE)
    django_request = getattr(request, "_request", request)
    not_utf8 = _not_utf8(django_request)
    errors = {}
    limit = settings.API_MAX_PARAMETER_LENGTH
    for name, values in request.query_params.lists():
        given = [value for value in values if value != ""]
        if len(name) > limit or "\x00" in name:
            errors[name[:limit]] = [ErrorDetail("Not a query parameter of this endpoint.", "unknown")]
        elif name in not_utf8:
            errors[name] = [
                ErrorDetail(
                    "Not UTF-8 text: percent-encode the value's UTF-8 bytes (e.g. é as %C3%A9).", "invalid_encoding"
                )
            ]
        elif any(len(value) > limit for value in values):
            errors[name] = [ErrorDetail(f"Give at most {limit} characters.", "too_long")]
        elif any("\x00" in value for value in values):
            errors[name] = [ErrorDetail("The value contains a NUL character (%00); remove it.", "null_character")]
        elif name not in accepted:
            errors[name] = [
                ErrorDetail(
                    f"Unknown query parameter '{name}'; this endpoint accepts: {', '.join(accepted)}.", "unknown"
                )
            ]
        elif len(given) > 1 and not (filterset_class and filterset_class.accepts_many(name)):
            errors[name] = [ErrorDetail(f"Give '{name}' once; it takes a single value.", "repeated")]
    if errors:
        raise ValidationError(errors)
    if any("" in values for _, values in request.query_params.lists()):
        django_request.GET = _without_empty_values(request.query_params)
    # Every parameter is one the endpoint reads: the response cache may store the answer under this query string.
    setattr(django_request, QUERY_CHECKED, True)


def _not_utf8(request) -> set[str]:
    """The names (as Django reads them) of the parameters whose name or value is not UTF-8 once percent-decoded.

    Django reads such bytes as U+FFFD (or the whole query string as Latin-1), so ``?q=%FF`` would search for a
    replacement character and answer an empty list that looks like a real one.
    """
    raw = get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
    # As QueryDict reads it: the whole string as UTF-8, or as Latin-1 when it is not.
    encoding = "utf-8" if _is_utf8(raw) else "iso-8859-1"
    names = set()
    for pair in raw.split(b"&"):
        name, _, value = pair.partition(b"=")
        if not (_is_utf8(unquote_to_bytes(name.replace(b"+", b" "))) and _is_utf8(unquote_to_bytes(value))):
            names.add(unquote(name.decode(encoding).replace("+", " "), errors="replace"))
    return names


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _without_empty_values(query: QueryDict) -> QueryDict:
    kept = QueryDict(mutable=True)
    for name, values in query.lists():
        if given := [value for value in values if value != ""]:
            kept.setlist(name, given)
    kept._mutable = False
    return kept
