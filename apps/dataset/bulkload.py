"""Fast row loading for generated data: COPY on PostgreSQL, executemany elsewhere.

``bulk_create`` builds a model instance per row and one INSERT per batch; at a million rows the instances alone
cost more than the database does. Generated rows are plain tuples in a fixed column order with explicit primary keys
(so children can point at parents without reading ids back), and the database's own check and foreign-key
constraints are what keep them honest. Every other column of the table gets its model field's default, as a model
save would give it, so a field added to a model needs no change here or in the generator.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.core.management.color import no_style
from django.db import connections, models


class Table:
    """The target of one stream of rows: a model's table and the fields each row gives, in order; the table's other
    columns take their field's default."""

    def __init__(self, model: type[models.Model], fields: Sequence[str]):
        self.model = model
        self.fields = list(fields)
        meta = model._meta
        self.db_table = meta.db_table
        given = {meta.get_field(name).column for name in self.fields}
        self.defaulted = [
            field for field in meta.local_concrete_fields if field.column not in given and not field.primary_key
        ]
        self.columns = [meta.get_field(name).column for name in self.fields] + [f.column for f in self.defaulted]
        self.datetime_positions = [
            i for i, name in enumerate(self.fields) if isinstance(meta.get_field(name), models.DateTimeField)
        ]
        self.date_positions = [
            i
            for i, name in enumerate(self.fields)
            if isinstance(meta.get_field(name), models.DateField)
            and not isinstance(meta.get_field(name), models.DateTimeField)
        ]

    def next_id(self, using: str) -> int:
        """The first primary key free for new rows, so appended rows never collide with existing ones."""
        largest = self.model.objects.using(using).aggregate(largest=models.Max("pk"))["largest"]
        return (largest or 0) + 1


class BulkWriter:
    """Writes tuples into tables on one database connection, choosing the fastest path the backend offers."""

    def __init__(self, using: str = "default"):
        self.using = using
        self.connection = connections[using]
        self.vendor = self.connection.vendor
        self.rows_written: dict[str, int] = {}

    def write(self, table: Table, rows: Iterable[tuple]) -> None:
        rows = list(rows)
        if not rows:
            return
        if table.defaulted:
            defaults = tuple(field.get_db_prep_save(field.get_default(), self.connection) for field in table.defaulted)
            rows = [row + defaults for row in rows]
        if self.vendor == "postgresql":
            self._copy(table, rows)
        else:
            self._executemany(table, rows)
        self.rows_written[table.db_table] = self.rows_written.get(table.db_table, 0) + len(rows)

    def _copy(self, table: Table, rows: list[tuple]) -> None:
        quote = self.connection.ops.quote_name
        sql = f"COPY {quote(table.db_table)} ({', '.join(quote(c) for c in table.columns)}) FROM STDIN"
        self.connection.ensure_connection()
        # The raw psycopg 3 cursor: Django's wrapper does not expose COPY.
        with self.connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def _executemany(self, table: Table, rows: list[tuple]) -> None:
        ops = self.connection.ops
        if table.datetime_positions or table.date_positions:
            # Other backends store dates as text; adapt them the way the ORM would.
            rows = [self._adapt(table, row, ops) for row in rows]
        quote = ops.quote_name
        placeholders = ", ".join(["%s"] * len(table.columns))
        sql = (
            f"INSERT INTO {quote(table.db_table)} ({', '.join(quote(c) for c in table.columns)}) "
            f"VALUES ({placeholders})"
        )
        with self.connection.cursor() as cursor:
            cursor.executemany(sql, rows)

    @staticmethod
    def _adapt(table: Table, row: tuple, ops) -> tuple:
        values = list(row)
        for i in table.datetime_positions:
            if isinstance(values[i], datetime.datetime):
                values[i] = ops.adapt_datetimefield_value(values[i])
        for i in table.date_positions:
            if isinstance(values[i], datetime.date):
                values[i] = ops.adapt_datefield_value(values[i])
        return tuple(values)

    def reset_sequences(self, model_classes: Iterable[type[models.Model]]) -> None:
        """Point the id sequences past the explicit ids written, so the next ordinary save gets a fresh id."""
        statements = self.connection.ops.sequence_reset_sql(no_style(), list(model_classes))
        if statements:
            with self.connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
