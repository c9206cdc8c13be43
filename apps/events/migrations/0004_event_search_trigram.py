"""Trigram indexes for the events' text search (``q``), on PostgreSQL only.

``q`` is a case-insensitive substring search (``UPPER(column) LIKE UPPER('%term%')``) over four columns: without
an index, a search at a million events reads every row (4.7 s for the count, measured with bench/explain.py). A GIN
trigram index per column lets PostgreSQL read only the rows that can match. SQLite has no trigram index; there the
search stays a scan.
"""

from django.db import migrations

COLUMNS = ["slug", "title", "description", "location"]


class PostgreSQLOnly(migrations.RunSQL):
    """RunSQL that does nothing on other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("events", "0003_list_order_indexes")]

    operations = [
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        PostgreSQLOnly("CREATE EXTENSION IF NOT EXISTS pg_trgm", reverse_sql=migrations.RunSQL.noop),
        *[
            PostgreSQLOnly(
                f"CREATE INDEX event_{column}_trgm ON events_event USING gin ((UPPER({column}::text)) gin_trgm_ops)",
                reverse_sql=f"DROP INDEX event_{column}_trgm",
            )
            for column in COLUMNS
        ],
    ]
