from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Shared building blocks with no models of their own: timestamps, partial dates."""

    name = "apps.core"
    label = "core"
