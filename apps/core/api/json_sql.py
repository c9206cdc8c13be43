"""SQL expressions that make the database write a record's JSON text, compact and in the serializer's key order.

``RowPlan`` (rows.py) composes these from the read serializer's fields; nothing else uses them. Each expression is
the JSON text of one value, never NULL (a missing value is the text ``null``), so that a record is its pieces joined
with ``||``: the same bytes on SQLite and PostgreSQL, and the same bytes Python's ``json.dumps`` writes with DRF's
compact separators and ``ensure_ascii=False``. ``tests/test_api_rows.py`` holds both databases to that.

Objects are written by concatenation rather than with ``json_object()`` / ``json_build_object()``: PostgreSQL's
puts spaces around every colon and comma (its ``jsonb`` sorts the keys instead), and SQLite's loses a nested
object's JSON type through a subquery.
"""

import json

from django.db.models import Expression, F, Func, Subquery, TextField
from django.db.models.expressions import Value
from django.db.models.sql import Query

TEXT = TextField()


def key(name: str) -> str:
    """A key as it is written before its value, e.g. ``"slug":``."""
    return json.dumps(name, ensure_ascii=False) + ":"


def string_piece(text: str) -> str:
    """``text`` as it is written inside a JSON string, without the quotes."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


class Origin(str):
    """Where the response's scheme and host go in a link: a parameter of its own, given per request (json_by_key),
    so that the compiled statement is the same for every host."""


ORIGIN = Origin("origin")


class Column(Func):
    """The JSON text of one column: ``sqlite`` and ``postgresql`` write a value that is not NULL, NULL is ``null``.
    The SQL repeats the column, which a column's SQL can be (it has no parameters to repeat with it)."""

    output_field = TEXT
    sqlite = postgresql = ""

    def __init__(self, column: F):
        if not isinstance(column, F):
            raise TypeError(f"{type(self).__name__} reads a column, not {column!r}.")
        super().__init__(column)

    def as_sqlite(self, compiler, connection, **extra):
        return self._written(compiler, connection, self.sqlite)

    def as_postgresql(self, compiler, connection, **extra):
        return self._written(compiler, connection, self.postgresql)

    def _written(self, compiler, connection, value: str):
        template = f"(CASE WHEN %(expressions)s IS NULL THEN 'null' ELSE {value} END)"
        return self.as_sql(compiler, connection, template=template)


class Text(Expression):
    """Literal JSON pieces and expressions' JSON text, joined into one text (``||``) in the given order."""

    output_field = TEXT

    def __init__(self, *parts: "str | Expression"):
        super().__init__()
        # Adjacent literals are one parameter: the fewer parts, the less the database concatenates.
        merged: list = []
        for part in parts:
            if type(part) is str and merged and type(merged[-1]) is str:
                merged[-1] += part
            elif part != "":
                merged.append(part)
        self.parts = merged

    def get_source_expressions(self):
        return [part for part in self.parts if not isinstance(part, str)]

    def set_source_expressions(self, expressions):
        given = iter(expressions)
        self.parts = [part if isinstance(part, str) else next(given) for part in self.parts]

    def as_sql(self, compiler, connection):
        pieces, params = [], []
        for part in self.parts:
            if isinstance(part, str):
                # Typed, so that PostgreSQL never has to guess a type for "unknown || unknown".
                pieces.append("CAST(%s AS TEXT)")
                params.append(part)
            else:
                sql, part_params = compiler.compile(part)
                pieces.append(sql)
                params.extend(part_params)
        return f"({' || '.join(pieces)})", params


class Quoted(Column):
    """A column's value as JSON: a string quoted and escaped, a number as it is, NULL as ``null`` (by the functions
    themselves, without the CASE of other columns)."""

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="json_quote(%(expressions)s)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="COALESCE(to_json(%(expressions)s)::text, 'null')")


class Boolean(Column):
    """A boolean column as ``true`` or ``false`` (SQLite stores 1 and 0)."""

    sqlite = postgresql = "(CASE WHEN %(expressions)s THEN 'true' ELSE 'false' END)"


_UTC = "(%(expressions)s AT TIME ZONE 'UTC')"


class UTCDateTime(Column):
    """A UTC timestamp as DRF's DateTimeField shows it in UTC: ``2020-05-21T14:00:00Z``, with six digits of
    fraction when it has one (``datetime.isoformat()``)."""

    # Django stores SQLite timestamps in UTC as str(datetime): "2020-05-21 14:00:00" or "... 14:00:00.250000".
    sqlite = "'\"' || replace(%(expressions)s, ' ', 'T') || 'Z\"'"
    postgresql = (
        f"'\"' || to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
        f"|| CASE WHEN date_trunc('second', {_UTC}) = {_UTC} THEN '' ELSE to_char({_UTC}, '.US') END || 'Z\"'"
    )


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
SQLITE_MONTH = (
    "CASE CAST(strftime('%%m', {d}) AS INTEGER) "
    + " ".join(f"WHEN {number} THEN '{name}'" for number, name in enumerate(MONTHS, start=1))
    + " END"
)


class PartialDate(Func):
    """A partial date (its date and precision columns) as ``partial_date_representation`` shows it:
    ``{"start":…,"end":…,"precision":…,"display":…}``, or ``null`` without a date."""

    output_field = TEXT
    arity = 2

    def as_sqlite(self, compiler, connection, **extra):
        year = "CAST(CAST(strftime('%%Y', {d}) AS INTEGER) AS TEXT)"
        month = SQLITE_MONTH
        end = (
            "CASE {p} WHEN 'year' THEN strftime('%%Y-12-31', {d}) "
            "WHEN 'month' THEN date({d}, 'start of month', '+1 month', '-1 day') ELSE {d} END"
        )
        display = (
            f"CASE {{p}} WHEN 'year' THEN {year} WHEN 'month' THEN {month} || ' ' || {year} "
            f"ELSE CAST(strftime('%%d', {{d}}) AS INTEGER) || ' ' || {month} || ' ' || {year} END"
        )
        return self._object(compiler, end, display, "json_quote({})")

    def as_postgresql(self, compiler, connection, **extra):
        year = "EXTRACT(YEAR FROM {d})::integer::text"
        month = "to_char({d}, 'FMMonth')"
        end = (
            "CASE {p} WHEN 'year' THEN (date_trunc('year', {d}) + interval '1 year - 1 day')::date "
            "WHEN 'month' THEN (date_trunc('month', {d}) + interval '1 month - 1 day')::date ELSE {d} END"
        )
        display = (
            f"CASE {{p}} WHEN 'year' THEN {year} WHEN 'month' THEN {month} || ' ' || {year} "
            f"ELSE EXTRACT(DAY FROM {{d}})::integer::text || ' ' || {month} || ' ' || {year} END"
        )
        return self._object(compiler, end, display, "to_json({})::text")

    def _object(self, compiler, end: str, display: str, quote: str):
        pieces = {"start": "{d}", "end": end, "precision": "{p}", "display": display}
        body = " || ".join(
            f"'{separator}{key(name)}' || {quote.format(value)}"
            for separator, (name, value) in zip(["{", *"," * 3], pieces.items(), strict=True)
        )
        template = f"(CASE WHEN {{d}} IS NULL THEN 'null' ELSE {body} || '}}' END)"
        (date_sql, date_params), (precision_sql, precision_params) = (
            compiler.compile(expression) for expression in self.source_expressions
        )
        # Each column appears several times: its SQL is repeated, which a column's (no parameters) can be.
        if date_params or precision_params:
            raise TypeError("A partial date is read from two columns, not from expressions with parameters.")
        return template.replace("{d}", date_sql).replace("{p}", precision_sql), []


class JSONList(Subquery):
    """The JSON array of a related list: each related record's text (the subquery's only column) in the given
    order, ``[]`` for none."""

    output_field = TEXT

    def __init__(self, queryset, ordering: list):
        super().__init__(queryset)
        self.ordering = ordering

    def as_sql(self, compiler, connection, template=None, **extra_context):
        # A subquery's ORDER BY is dropped when it is resolved (meaningless for IN); here it is the list's order,
        # which the aggregate keeps as it reads the ordered subquery.
        query: Query = self.query.clone()
        query.add_ordering(*self.ordering)
        aggregate = (
            "group_concat(item.record_json, ',')"
            if connection.vendor == "sqlite"
            else "string_agg(item.record_json, ',')"
        )
        subquery_sql, params = query.as_sql(compiler, connection)
        return f"(SELECT '[' || COALESCE({aggregate}, '') || ']' FROM {subquery_sql} item)", params


class Strings(Column):
    """A JSON column holding a list of strings, written as Python's json.dumps writes it (the stored text may be
    spaced or ASCII-escaped differently)."""

    sqlite = (
        "(SELECT '[' || COALESCE(group_concat(json_quote(value), ','), '') || ']' FROM json_each(%(expressions)s))"
    )
    postgresql = (
        "(SELECT '[' || COALESCE(string_agg(COALESCE(to_json(item.value)::text, 'null'), ',' ORDER BY item.position), "
        "'') || ']' FROM jsonb_array_elements_text(%(expressions)s) WITH ORDINALITY AS item(value, position))"
    )


def null_or(condition_sql_expression: Expression, text: Expression) -> Expression:
    """``null`` where the condition holds, else ``text``."""
    from django.db.models import Case, When

    return Case(When(condition_sql_expression, then=Value("null")), default=text, output_field=TEXT)
