"""Drop the events' trigram indexes (PostgreSQL): ``q`` is a full-text search since issue 25.

They served ``q`` as a substring match (``UPPER(column) LIKE``); ``q`` now uses the full-text index that
``apps.core.search`` builds after migrate, so these four GIN indexes were only a cost on every write. Migrating back
recreates them (the extension stays).
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
    dependencies = [("events", "0008_merge_20261201_0752")]

    operations = [
        PostgreSQLOnly(
            f"DROP INDEX IF EXISTS event_{column}_trgm",
            reverse_sql=f"CREATE INDEX event_{column}_trgm ON events_event USING gin ((UPPER({column}::text)) gin_trgm_ops)",
        )
        for column in COLUMNS
    ]
