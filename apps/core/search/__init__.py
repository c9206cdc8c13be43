"""Full-text search that ranks, for ``q``: the query syntax (``query``), a model's index (``index``), and the one
place that keeps the SQLite copies in step (``maintenance``)."""

from .index import SearchIndex, index_of, search_indexes
from .query import SearchQuery, SearchSyntaxError, parse

__all__ = ["SearchIndex", "SearchQuery", "SearchSyntaxError", "index_of", "parse", "search_indexes"]
