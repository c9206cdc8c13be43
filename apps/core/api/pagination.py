"""Page-number pagination: the DRF envelope, malformed page parameters refused, deep pages read cheaply.

``OFFSET n`` makes the database walk n rows, whole rows, before the page: at a million events the last page of a
busy treaty costs hundreds of milliseconds. ``DeepPagePaginator`` keeps the page-number contract (``count``,
``next``, ``previous``, ``results``) and removes most of that cost:

- past the middle of the list, the page is read from the end, in the reversed order, with an offset counted from
  the end (the last page costs what the first does), and the rows are put back in order in Python;
- past ``DEFERRED_JOIN_AFTER`` rows, the offset is walked over the primary keys only (an index-only scan with a
  covering index), then the page's rows are fetched by key: one more query, much less data read.

The ordering must be total (end with a unique field, as ``date, slug`` does) so that the reversed order is exactly
the forward order backwards.
"""

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, QuerySet, Window
from django.utils.functional import cached_property
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from apps.core.search import index_of

from .exceptions import ParameterNotFound
from .filters import known_count

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFERRED_JOIN_AFTER = 1_000
# Past this offset a page is past the end of any list, and PostgreSQL refuses an OFFSET beyond a bigint: the count
# answers it first (404) rather than a page query.
MAX_OFFSET = 2**62


class DeepPagePaginator(Paginator):
    """A Django paginator that reads deep pages from the nearer end of the list, by key.

    ``read`` turns the queryset of a page's records into what the page holds (by default the model instances), e.g.
    their ``.values()`` rows: the count is taken on the queryset as given, without the joins of the rows' columns.
    """

    def __init__(self, object_list, per_page, *args, read=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.read = read or (lambda queryset: queryset)
        self.counted_rows = None

    @cached_property
    def count(self):
        known = known_count(self.object_list)
        return super().count if known is None else known

    def read_counted(self, number: int) -> None:
        """Reads page ``number`` and the count in one query (``COUNT(*) OVER ()``), for a list whose page query reads
        every match anyway (a search on PostgreSQL: its matches come from the search index, all of them ranked or
        joined before the page's order can be known). A separate count read them all a second time: at a million
        events, a word in 5,100 of them, count 22-25 ms and page 28-33 ms, against 35-36 ms for the page with its
        count (psql). A page past the end reads nothing, and the count is then taken as usual."""
        bottom = (number - 1) * self.per_page
        if bottom >= MAX_OFFSET:
            return
        # A search with no other condition is read from its search table alone (``SearchIndex.ranked_keys``).
        pairs = index_of(self.object_list.model).ranked_keys(self.object_list, bottom, bottom + self.per_page)
        if pairs is None:
            counted = self.object_list.annotate(matches_in_all=Window(Count("*")))
            pairs = list(counted.values_list("pk", "matches_in_all")[bottom : bottom + self.per_page])
        if not pairs:
            return
        self.count = pairs[0][1]
        keys = [key for key, _ in pairs]
        self.counted_rows = keys if self.read is page_keys else self.by_key(self.object_list, keys)

    def page(self, number):
        number = self.validate_number(number)
        if self.counted_rows is not None:
            return self._get_page(self.counted_rows, number, self)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return self._get_page(queryset[bottom:top], number, self)
        if not queryset.ordered or top - bottom <= 0:
            return self._get_page(list(self.read(queryset[bottom:top])), number, self)
        return self._get_page(self.rows(queryset, bottom, top), number, self)

    def rows(self, queryset: QuerySet, bottom: int, top: int) -> list:
        from_end = bottom > self.count - top
        if from_end:
            # Offsets counted from the end of the list, in the reversed order.
            queryset, bottom, top = queryset.reverse(), self.count - top, self.count - bottom
        if bottom < DEFERRED_JOIN_AFTER or self.read is page_keys:
            rows = list(self.read(queryset[bottom:top]))
        else:
            rows = self.by_key(queryset, list(queryset.values_list("pk", flat=True)[bottom:top]))
        return rows[::-1] if from_end else rows

    def by_key(self, queryset: QuerySet, keys: list) -> list:
        """The rows of ``keys``, read by key and put in their order; a record deleted since its key was read is left
        out."""
        found = {_key(row): row for row in self.read(queryset.filter(pk__in=keys).order_by())}
        return [found[key] for key in keys if key in found]


def searched_on_postgresql(queryset) -> bool:
    """Whether ``queryset`` is a full-text search on PostgreSQL, whose count ``read_counted`` reads with its page.
    SQLite refuses bm25(), its rank, beside a window function ("unable to use function bm25 in the requested
    context"): there the count stays a query of its own."""
    if not isinstance(queryset, QuerySet) or connections[queryset.db].vendor != "postgresql":
        return False
    index = index_of(queryset.model)
    return index is not None and index.matched(queryset)


def page_keys(queryset: QuerySet) -> QuerySet:
    """A page read as its records' primary keys only, for a view that reads the records by key itself: the offset is
    walked over the keys, so the deferred join has nothing left to save."""
    return queryset.prefetch_related(None).values_list("pk", flat=True)


def _key(row):
    """A row's primary key, whether the queryset gives model instances or ``.values()`` dictionaries (with "pk")."""
    return row["pk"] if isinstance(row, dict) else row.pk


def positive_int(request, name: str, *, maximum: int | None = None) -> int | None:
    """The query parameter ``name`` as a whole number from 1 (to ``maximum``), None when absent: the one reading of
    ``page`` and ``page_size`` on every endpoint. Written in ASCII digits only: ``int()`` also reads ``²`` or ``٣``,
    which ``str.isdigit()`` lets through, and a value that is not written as its number is refused, not reinterpreted.
    """
    raw = request.query_params.get(name)
    if raw is None:
        return None
    accepts = f"a whole number from 1 to {maximum}" if maximum else "a whole number from 1 up"
    value = int(raw) if raw.isascii() and raw.isdecimal() else None
    if value is None or value < 1 or (maximum and value > maximum) or raw != str(value):
        raise ValidationError({name: [f"'{raw}' is not accepted; give {accepts}."]}, code="invalid")
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """The DRF envelope (count, next, previous, results), with a default and an enforced maximum page size.

    A CSV export without ``page`` or ``page_size`` is one file of every matching row: a researcher opening it in a
    spreadsheet must not get the first page only without noticing.
    """

    # Deep pages read from the nearer end of the list and by key.
    django_paginator_class = DeepPagePaginator
    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    page_size_query_param = "page_size"
    last_page_strings = ()
    page_query_description = "Page number, from 1."
    page_size_query_description = (
        f"Results per page, from 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}); larger values are refused."
    )

    def paginate_queryset(self, queryset, request, view=None, read=None):
        """The page's records (see DeepPagePaginator for ``read``); None for a CSV export of every row."""
        page_number = positive_int(request, self.page_query_param)
        page_size = self.get_page_size(request)
        is_csv = getattr(getattr(request, "accepted_renderer", None), "format", None) == "csv"
        if is_csv and page_number is None and self.page_size_query_param not in request.query_params:
            return None
        paginator = self.django_paginator_class(queryset, page_size, read=read)
        page_number = page_number or 1
        if searched_on_postgresql(queryset):
            paginator.read_counted(page_number)
        if page_number > 1 and page_number > paginator.num_pages:
            raise ParameterNotFound(
                self.page_query_param,
                f"There is no page {page_number}; the last page is {paginator.num_pages} at page_size {page_size}.",
            )
        self.page = paginator.page(page_number)
        self.display_page_controls = paginator.num_pages > 1 and self.template is not None
        self.request = request
        return list(self.page)

    def get_page_size(self, request) -> int:
        return positive_int(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["schema"]["default"] = self.page_size
        return parameters

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["description"] = "One page of results, in the DRF envelope."
        properties = paginated["properties"]
        properties["count"]["description"] = "How many results match, over all pages."
        properties["next"]["description"] = "URL of the next page; null on the last page."
        properties["previous"]["description"] = "URL of the previous page; null on the first page."
        properties["results"]["description"] = "The results on this page."
        return paginated
