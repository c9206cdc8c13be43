"""App configuration of the shared building blocks; connects cache invalidation to every dataset write."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks: timestamps, partial dates, the data version (its one model), API response caching."""

    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from .caching import connect_signals

        # Every write to the dataset must invalidate cached API responses, whichever path it takes.
        connect_signals()
