"""Page-number pagination that refuses malformed page parameters instead of guessing."""

from rest_framework import pagination
from rest_framework.exceptions import ValidationError

from apps.core.pagination import DeepPagePaginator

from .exceptions import ParameterNotFound

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def _positive_int(request, name: str, *, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    accepts = f"a whole number from 1 to {maximum}" if maximum else "a whole number from 1 up"
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < 1 or (maximum and value > maximum) or raw.strip() != str(value):
        raise ValidationError({name: [f"'{raw}' is not accepted; give {accepts}."]}, code="invalid")
    return value


class PageNumberPagination(pagination.PageNumberPagination):
    """The DRF envelope (count, next, previous, results), with a default and an enforced maximum page size.

    A CSV export without ``page`` or ``page_size`` is one file of every matching row: a researcher opening it in a
    spreadsheet must not get the first page only without noticing.
    """

    # Deep pages read from the nearer end of the list and by key (see apps.core.pagination).
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
        page_number = _positive_int(request, self.page_query_param)
        page_size = self.get_page_size(request)
        is_csv = getattr(getattr(request, "accepted_renderer", None), "format", None) == "csv"
        if is_csv and page_number is None and self.page_size_query_param not in request.query_params:
            return None
        paginator = self.django_paginator_class(queryset, page_size, read=read)
        page_number = page_number or 1
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
        return _positive_int(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

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
