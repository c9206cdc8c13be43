"""App configuration of the shared building blocks; connects cache invalidation and the search indexes to every
dataset write."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from simple_history.signals import post_create_historical_record


class CoreConfig(AppConfig):
    """Shared building blocks with no models of their own: timestamps, partial dates, API response caching, search."""

    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from .caching import connect_signals
        from .search.maintenance import reindex_version, sync_after_migrate

        # Every write to the dataset must invalidate cached API responses, whichever path it takes.
        connect_signals()
        # Every write path records a version of what it wrote: the SQLite search copies follow each version.
        post_create_historical_record.connect(reindex_version, dispatch_uid="treatyapi-search-index")
        # migrate (and flush) create the search indexes, or rebuild them when their declaration changed.
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="treatyapi-search-sync")
