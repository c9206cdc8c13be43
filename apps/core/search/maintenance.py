"""Keeping the search tables in step with the records: the one place that writes them (``index.py`` says what
they hold).

- ``reindex_version``: every write path records a version of the record it writes (django-simple-history for the
  API, the admin, the CSV import, reverts and commands; ``apps.curation.history`` for fixture loads), and announces
  it with ``post_create_historical_record`` (the changes feed hears the same signal, ``apps/changes/log.py``). For a
  searched model, the record's row is rewritten from its table in the same transaction (removed, for a delete).
- ``rebuild_indexes``: writes that keep no history (``generate_synthetic``'s raw inserts) rebuild the tables after.
- ``sync_indexes``: after ``migrate`` (and ``flush``), each search table is built when it is missing, was built from
  another declaration, or does not hold one row per record (a flushed table).

A table built anew changes what searches answer, and no model signal says so: both bump the data version, so no
page cached before is served (``apps.core.data_version``).
"""

from django.db import connections, transaction

from ..data_version import bump_data_version
from ..models import DataVersion
from .index import CONFIGURATION, CONFIGURATION_SQL, index_of, search_indexes


def reindex_version(sender, instance, history_instance, **kwargs) -> None:
    """post_create_historical_record receiver: rewrite the record's row in its search table."""
    index = index_of(type(instance))
    if index is not None:
        connection = connections[history_instance._state.db]
        with connection.cursor() as cursor:
            index.copy_rows(cursor, connection.vendor, [instance.pk])


def rebuild_indexes(using: str = "default") -> None:
    """Build every search table anew from its table, after writes that record no versions (raw bulk inserts)."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for index in search_indexes():
            build(index, cursor, connection)
        bump_data_version(using)


def build(index, cursor, connection) -> None:
    """The search table dropped, created, filled, then (PostgreSQL) indexed."""
    if connection.vendor == "postgresql":
        ensure_configuration(cursor)
    cursor.execute(index.drop_sql())
    for statement in index.create_sql(connection):
        cursor.execute(statement)
    index.copy_rows(cursor, connection.vendor)
    for statement in index.finish_sql(connection):
        cursor.execute(statement)


def sync_indexes(using: str = "default", *, verbosity: int = 1, stdout=None) -> list[str]:
    """Build every search table that is missing, stale or built from another declaration; returns those built.

    Indexes of tables (or searched columns) that the database does not have yet are left for a later migrate.
    """
    connection = connections[using]
    built = []
    with transaction.atomic(using=using), connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
        for index in search_indexes():
            table = index.model._meta.db_table
            if table not in tables:
                continue
            # Its columns as a query sees them (Django's SQLite introspection cannot parse every table's SQL).
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} WHERE 1 = 0")
            present = {column[0] for column in cursor.description}
            if not set(index.columns) <= present:
                continue
            if not index.is_current(cursor, connection):
                build(index, cursor, connection)
                built.append(index.table)
        # A migrate that stops before the data version's table exists has no page cached under it either.
        if built and DataVersion._meta.db_table in tables:
            bump_data_version(using)
    if built and verbosity >= 1 and stdout is not None:
        stdout.write(f"  Full-text search indexes built: {', '.join(built)}\n")
    return built


def ensure_configuration(cursor) -> None:
    """PostgreSQL: the text search configuration the indexes use, created once."""
    cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [CONFIGURATION])
    if cursor.fetchone() is None:
        for statement in CONFIGURATION_SQL:
            cursor.execute(statement)


def sync_after_migrate(sender, using, verbosity=1, stdout=None, **kwargs) -> None:
    """post_migrate receiver."""
    sync_indexes(using, verbosity=verbosity, stdout=stdout)
