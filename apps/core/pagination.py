"""Page-number pagination that stays fast on deep pages of large lists.

``OFFSET n`` makes the database walk n rows, whole rows, before the page: at a million events the last page of a
busy treaty costs hundreds of milliseconds. Two changes keep the page-number contract (``count``, ``next``,
``previous``, ``results``) and remove most of that cost:

- past the middle of the list, the page is read from the end, in the reversed order, with an offset counted from
  the end (the last page costs what the first does), and the rows are put back in order in Python;
- past ``DEFERRED_JOIN_AFTER`` rows, the offset is walked over the primary keys only (an index-only scan with a
  covering index), then the page's rows are fetched by key: one more query, much less data read;
- a filter may hand over cheaper queries for the count and the keys (``with_shortcuts``).

Plug it into a DRF pagination class as ``django_paginator_class``. The ordering must be total (end with a unique
field, as ``date, slug`` does) so that the reversed order is exactly the forward order backwards.
"""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

DEFERRED_JOIN_AFTER = 1_000


def with_shortcuts(queryset: QuerySet, *, count: QuerySet, keys: QuerySet | None = None) -> QuerySet:
    """Tell the paginator cheaper queries answering for ``queryset``: ``count.count()`` is its number of rows, and
    ``keys`` (a flat ``values_list``, reversible) lists its primary keys in its order.

    A filter that knows its rows through a smaller table (a state's events through its participations) can so spare
    the database a visit to every row for the count or a deep page. The note is on this queryset object only: any
    queryset derived from it (filtered, reordered) is counted and paged as usual, never by a stale shortcut.
    """
    queryset = queryset.all()
    queryset.count_shortcut, queryset.keys_shortcut = count, keys
    return queryset


class DeepPagePaginator(Paginator):
    """A Django paginator that reads deep pages from the nearer end of the list, by key.

    ``read`` turns the queryset of a page's records into what the page holds (by default the model instances), e.g.
    their ``.values()`` rows: the count is taken on the queryset as given, without the joins of the rows' columns.
    """

    def __init__(self, object_list, per_page, *args, read=None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        self.read = read or (lambda queryset: queryset)

    @cached_property
    def count(self) -> int:
        shortcut = getattr(self.object_list, "count_shortcut", None)
        return shortcut.count() if shortcut is not None else super().count

    def page(self, number):
        number = self.validate_number(number)
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
        keys = getattr(queryset, "keys_shortcut", None)
        if keys is None:
            keys = queryset.values_list("pk", flat=True)
        if from_end:
            # Offsets counted from the end of the list, in the reversed order.
            queryset, keys, bottom, top = queryset.reverse(), keys.reverse(), self.count - top, self.count - bottom
        if bottom < DEFERRED_JOIN_AFTER:
            rows = list(self.read(queryset[bottom:top]))
        else:
            keys = list(keys[bottom:top])
            by_key = {_key(row): row for row in self.read(queryset.filter(pk__in=keys).order_by())}
            rows = [by_key[key] for key in keys if key in by_key]
        return rows[::-1] if from_end else rows


def _key(row):
    """A row's primary key, whether the queryset gives model instances or ``.values()`` dictionaries (with "pk")."""
    return row["pk"] if isinstance(row, dict) else row.pk
