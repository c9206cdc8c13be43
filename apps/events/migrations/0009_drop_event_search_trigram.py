"""Drop the events' trigram indexes (PostgreSQL): ``q`` is a full-text search since issue 25.

They served ``q`` as a substring match (``UPPER(column) LIKE``); ``q`` now uses the full-text index that
``apps.core.search`` builds after migrate, so these four GIN indexes were only a cost on every write. Migrating back
recreates them (the extension stays).
"""

from importlib import import_module

from django.db import migrations

COLUMNS = ["slug", "title", "description", "location"]
# RunSQL that does nothing on other databases, as the migration that created them defined it.
PostgreSQLOnly = import_module("apps.events.migrations.0004_event_search_trigram").PostgreSQLOnly


class Migration(migrations.Migration):
    dependencies = [("events", "0008_merge_20261201_0752")]

    operations = [
        PostgreSQLOnly(
            f"DROP INDEX IF EXISTS event_{column}_trgm",
            reverse_sql=f"CREATE INDEX event_{column}_trgm ON events_event USING gin ((UPPER({column}::text)) gin_trgm_ops)",
        )
        for column in COLUMNS
    ]
