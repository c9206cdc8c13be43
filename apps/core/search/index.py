"""A model's full-text index, declared once on the model, and how each database keeps and queries it.

``search_index = SearchIndex(title="A", description="B", ...)`` on a model names the text fields ``q`` searches and
their weight, A (most) to D (least), PostgreSQL's four ranks. From that one declaration, each database has a search
table (``<table>_search``) keyed by the record's id, holding what the search reads:

- **PostgreSQL**: the record's weighted ``tsvector`` (``setweight(to_tsvector(...title), 'A') || ...``, in a text
  search configuration of English stems without stop words and without accents, ``treatyapi_search``), under a GIN
  index; a search is ``vector @@ query``, ranked by ``ts_rank``. The vector is stored rather than computed from an
  expression index because ranking needs it for every match: computing it cost about 110 µs a record (60 ms for
  540 matches at 100,000 events). Beside it, the record's list-order columns (the model's ``Meta.ordering``), so
  that a search with no other condition is ranked, ordered and counted in the search table alone
  (``ranked_keys``): at 1,000,000 events, a word in 5,100 of them, 22 ms with a join to the events, 10 ms without.
- **SQLite**: an FTS5 table (Porter stems, accents removed) holding a copy of the fields, ranked by ``bm25`` with the
  same weights per column.

The search tables are written in one place, ``apps.core.search.maintenance``: a record's row whenever a version of it
is recorded (every write path records one), every row after raw bulk inserts, and whole tables when ``migrate``
finds one missing, stale or built from another declaration. No database trigger: Django rebuilds SQLite tables to
alter them, which drops triggers. Adding a field to the model needs nothing here; only a field to be searched is
added to the declaration, and the next ``migrate`` rebuilds the table.
"""

import hashlib

from django.apps import apps
from django.db import ProgrammingError, connections
from django.db.models import F, FloatField, OrderBy, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.where import ExtraWhere

from .query import SearchQuery

# ts_rank's default weights for A, B, C and D; bm25 on SQLite weighs its columns the same.
WEIGHTS = {"A": 1.0, "B": 0.4, "C": 0.2, "D": 0.1}
CONFIGURATION = "treatyapi_search"
# English stems (the Snowball stemmer, PostgreSQL's own) without its stop-word list, so that "under" or "not" can
# be searched for as on SQLite; accents removed first, as SQLite's unicode61 does.
CONFIGURATION_SQL = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH DICTIONARY treatyapi_english_stem (TEMPLATE = snowball, LANGUAGE = english)",
    f"CREATE TEXT SEARCH CONFIGURATION {CONFIGURATION} (COPY = english)",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIGURATION} ALTER MAPPING FOR asciiword, asciihword, hword_asciipart "
    "WITH treatyapi_english_stem",
    f"ALTER TEXT SEARCH CONFIGURATION {CONFIGURATION} ALTER MAPPING FOR word, hword, hword_part "
    "WITH unaccent, treatyapi_english_stem",
]
FTS5_TOKENIZER = "porter unicode61 remove_diacritics 2"
UNDEFINED_COLUMN = "42703"  # PostgreSQL's SQLSTATE


class SearchIndex:
    """The fields ``q`` searches on a model, each with its weight (keyword arguments, field name = "A" to "D")."""

    def __init__(self, **weights: str):
        unknown = {weight for weight in weights.values() if weight not in WEIGHTS}
        if not weights or unknown:
            raise ValueError(f"Give each searched field a weight, one of {', '.join(WEIGHTS)}.")
        self.weights = weights
        self.model = None

    def contribute_to_class(self, model, name: str) -> None:
        self.model = model
        setattr(model, name, self)

    @property
    def table(self) -> str:
        """The database object holding the index: the FTS5 table on SQLite, the GIN index on PostgreSQL."""
        return f"{self.model._meta.db_table}_search"

    @property
    def columns(self) -> list[str]:
        return [self.model._meta.get_field(name).column for name in self.weights]

    def described(self) -> str:
        """The searched fields in words, heaviest first, for the filter's description."""
        names = sorted(self.weights, key=lambda name: self.weights[name])
        return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]

    # --- queries ---------------------------------------------------------------------------------------------------

    def matching(self, queryset: QuerySet, query: SearchQuery) -> QuerySet:
        """The records of ``queryset`` matching ``query``, most relevant first, then in the queryset's own order."""
        # The list order breaks ties, so that pages stay stable and the deep-page paginator can reverse the order:
        # the queryset's own, else its model's default (a queryset ordered by Meta.ordering has no order_by).
        then = queryset.query.order_by or (queryset.model._meta.ordering if queryset.query.default_ordering else ())
        connection = connections[queryset.db]
        quote = connection.ops.quote_name
        search, table = quote(self.table), quote(self.model._meta.db_table)
        key = quote(self.model._meta.pk.column)
        if connection.vendor == "postgresql":
            joined = f"{search}.{quote('id')} = {table}.{key}"
            match, rank = self._match_sql(search), self._rank_sql(search)
            params = [query.tsquery()]
            rank = RawSQL(rank, params, FloatField()).desc()
        elif connection.vendor == "sqlite":
            joined, match = f"{search}.rowid = {table}.{key}", f"{search} MATCH %s"
            weights = ", ".join(str(WEIGHTS[weight]) for weight in self.weights.values())
            # bm25 is lower for a better match.
            rank = RawSQL(f"bm25({search}, {weights})", [], FloatField()).asc()
            params = [query.fts5()]
        else:
            raise NotImplementedError(f"Full-text search is not built for {connection.vendor}.")
        # A join: ranking reads the search table's row of each match. Django's ORM has no join to a table it does
        # not model but extra(); this is its one use.
        return queryset.extra(tables=[self.table], where=[joined, match], params=params).order_by(rank, *then)

    @staticmethod
    def _match_sql(search: str) -> str:
        return f"{search}.\"vector\" @@ to_tsquery('{CONFIGURATION}', %s)"

    @staticmethod
    def _rank_sql(search: str) -> str:
        return f"ts_rank({search}.\"vector\", to_tsquery('{CONFIGURATION}', %s))"

    def ranked_keys(self, queryset: QuerySet, bottom: int, top: int) -> list[tuple] | None:
        """PostgreSQL: the keys of a page of ``queryset`` (its matches ``bottom`` to ``top``) with the number of all
        its matches, read from the search table alone; None unless ``queryset`` is ``matching``'s search of the
        model's records with no other condition and a tie order of the columns the search table copies.

        Read through the records' table, every match is joined to its record for the tie order (date, slug), though
        a page needs a hundred: at 1,000,000 events, a word in 5,100 of them, 22 ms against 10 ms here."""
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or query.combinator or query.distinct or query.extra or query.annotations:
            return None
        search = connection.ops.quote_name(self.table)
        children = query.where.children
        if query.extra_tables != (self.table,) or query.is_sliced or len(children) != 1 or query.where.negated:
            return None
        (condition,) = children
        if not isinstance(condition, ExtraWhere) or condition.sqls[1:] != [self._match_sql(search)]:
            return None
        if not query.order_by:
            return None
        rank, *then = query.order_by
        terms = condition.params
        if not (isinstance(rank, OrderBy) and rank.descending and isinstance(rank.expression, RawSQL)):
            return None
        if (rank.expression.sql, list(rank.expression.params)) != (self._rank_sql(search), terms):
            return None
        order, witness = self._copied_order(then, connection), self._witness()
        if order is None or witness is None:
            return None
        sql = (
            f'SELECT "id", COUNT(*) OVER (), COUNT(*) FILTER (WHERE "{witness.column}" IS NULL) OVER () '
            f"FROM {search} WHERE {self._match_sql(search)} "
            f"ORDER BY {self._rank_sql(search)} DESC, {order} LIMIT %s OFFSET %s"
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, [*terms, *terms, top - bottom, bottom])
                rows = cursor.fetchall()
        except ProgrammingError as error:
            # A table built from an earlier declaration lacks a copy (code serving before its migrate, which
            # rebuilds the table): the records' table answers until then. Inside a transaction the error stands.
            if connection.in_atomic_block or getattr(error.__cause__, "sqlstate", None) != UNDEFINED_COLUMN:
                raise
            return None
        # A row without its copies (written by code from before them, e.g. a worker still running the earlier
        # release after migrate) would sort as undated: the records' table answers until migrate rewrites it.
        if rows and rows[0][2]:
            return None
        return [(key, count) for key, count, _ in rows]

    def _witness(self):
        """A copied field that is never null on the records, so that a null copy marks a row written without its
        copies; None when there is none (then no search is read from the search table alone)."""
        return next((field for field in self.order_fields() if not field.null), None)

    def _copied_order(self, then, connection) -> str | None:
        """``then`` (a queryset's order_by after the rank) as SQL over the search table's copies, None when it names
        anything else. Written as Django writes it: a name alone leaves nulls where the database puts them."""
        key = {"pk": "id", self.model._meta.pk.name: "id"}  # the search table's key column
        copied = {field.name: field.column for field in self.order_fields()} | key
        quote = connection.ops.quote_name
        terms = []
        for item in then:
            if isinstance(item, str):
                name, descending, nulls = item.lstrip("-"), item.startswith("-"), ""
            elif isinstance(item, OrderBy) and type(item.expression) is F:
                name, descending = item.expression.name, item.descending
                nulls = " NULLS FIRST" if item.nulls_first else " NULLS LAST" if item.nulls_last else ""
            else:
                return None
            if name not in copied:
                return None
            terms.append(f"{quote(copied[name])} {'DESC' if descending else 'ASC'}{nulls}")
        # Ties left after the order's columns fall in whatever order the database finds them, as on the records.
        return ", ".join(terms) if terms else None

    def order_fields(self) -> list:
        """The model's own list-order columns (``Meta.ordering``), which the PostgreSQL search table copies: a
        relation is left out (Django orders it by the related model's ordering, through a join)."""
        names = [name.lstrip("-") for name in self.model._meta.ordering if isinstance(name, str)]
        fields = [self.model._meta.get_field(name) for name in names if name != "pk" and "__" not in name]
        return [field for field in fields if not field.is_relation]

    def matched(self, queryset: QuerySet) -> bool:
        """Whether ``matching`` was applied to ``queryset`` (it joins the search table), whatever came after."""
        return self.table in queryset.query.extra_tables

    def vector_sql(self) -> str:
        """PostgreSQL: the weighted tsvector of a row of the model's table.

        Punctuation is made a space first: PostgreSQL's parser would keep "U.S." or "e-mail" as one token, which
        the query's words (letters and digits, as SQLite's tokenizer splits them) could never match.
        """
        table = self.model._meta.db_table
        return " || ".join(
            f"setweight(to_tsvector('{CONFIGURATION}'::regconfig, "
            f"regexp_replace(\"{table}\".\"{column}\", '[[:punct:]]+', ' ', 'g')), '{weight}')"
            for column, weight in zip(self.columns, self.weights.values(), strict=True)
        )

    # --- the search table ---------------------------------------------------------------------------------------

    def create_sql(self, connection) -> list[str]:
        """The empty search table."""
        if connection.vendor == "postgresql":
            copies = "".join(f", {self._column_sql(field, connection)}" for field in self.order_fields())
            return [f'CREATE TABLE "{self.table}" ("id" bigint PRIMARY KEY, "vector" tsvector NOT NULL{copies})']
        columns = ", ".join(f'"{column}"' for column in self.columns)
        return [f"CREATE VIRTUAL TABLE \"{self.table}\" USING fts5({columns}, tokenize = '{FTS5_TOKENIZER}')"]

    @staticmethod
    def _column_sql(field, connection) -> str:
        """A copied column, of its field's type and collation, so that it sorts as the field does."""
        quote = connection.ops.quote_name
        collation = f" COLLATE {quote(field.db_collation)}" if getattr(field, "db_collation", None) else ""
        return f"{quote(field.column)} {field.db_type(connection)}{collation}"

    def finish_sql(self, connection) -> list[str]:
        """PostgreSQL: what follows filling the table (a GIN index is built faster in one pass than row by row), and
        the declaration it was built from, kept as the table's comment."""
        if connection.vendor != "postgresql":
            return []
        return [
            f'CREATE INDEX "{self.table}_vector" ON "{self.table}" USING gin ("vector")',
            f"COMMENT ON TABLE \"{self.table}\" IS '{self.signature(connection)}'",
        ]

    def signature(self, connection) -> str:
        """What a PostgreSQL search table is built from (SQLite keeps its CREATE statement, which says it)."""
        built_from = "\n".join([*CONFIGURATION_SQL, *self.create_sql(connection), self.vector_sql()])
        return "treatyapi search " + hashlib.sha256(built_from.encode()).hexdigest()

    def is_current(self, cursor, connection) -> bool:
        """Whether the search table exists, was built from this declaration, and holds a row per record."""
        if connection.vendor == "postgresql":
            cursor.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [f'"{self.table}"'])
            if cursor.fetchone()[0] != self.signature(connection):
                return False
            witness = self._witness()
            if witness is not None:
                # Rows written without their copies (see ranked_keys) are rewritten.
                cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{self.table}" WHERE "{witness.column}" IS NULL)')
                if cursor.fetchone()[0]:
                    return False
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [self.table])
            if cursor.fetchone() != (self.create_sql(connection)[0],):
                return False
        # A flushed or truncated table (tests, a restore) leaves the copy behind.
        cursor.execute(
            f'SELECT (SELECT count(*) FROM "{self.table}") = (SELECT count(*) FROM "{self.model._meta.db_table}")'
        )
        return bool(cursor.fetchone()[0])

    def drop_sql(self) -> str:
        return f'DROP TABLE IF EXISTS "{self.table}"'

    def copy_rows(self, cursor, vendor: str, keys: list | None = None) -> None:
        """(Re)write the rows of the records with these primary keys, or of every record."""
        table, key = self.model._meta.db_table, self.model._meta.pk.column
        if keys is None:
            cursor.execute(f'DELETE FROM "{self.table}"')
            where = ""
        else:
            marks = ", ".join(["%s"] * len(keys))
            cursor.execute(
                f'DELETE FROM "{self.table}" WHERE {"id" if vendor == "postgresql" else "rowid"} IN ({marks})', keys
            )
            where = f' WHERE "{key}" IN ({marks})'
        if vendor == "postgresql":
            copies = [f'"{field.column}"' for field in self.order_fields()]
            into = "(" + ", ".join(['"id"', '"vector"', *copies]) + ")"
            values = ", ".join([self.vector_sql(), *copies])
        else:
            into = "(rowid, " + ", ".join(f'"{column}"' for column in self.columns) + ")"
            values = ", ".join(f'"{column}"' for column in self.columns)
        cursor.execute(f'INSERT INTO "{self.table}" {into} SELECT "{key}", {values} FROM "{table}"{where}', keys or [])


def search_indexes() -> list[SearchIndex]:
    """Every model's declared index."""
    found = []
    for model in apps.get_models():
        index = model.__dict__.get("search_index")
        if isinstance(index, SearchIndex):
            found.append(index)
    return found


def index_of(model) -> SearchIndex | None:
    index = model.__dict__.get("search_index")
    return index if isinstance(index, SearchIndex) else None
