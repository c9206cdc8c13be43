from django.apps import AppConfig


class EventsConfig(AppConfig):
    """What happened (events) and what was said about it (statements)."""

    name = "apps.events"
    label = "events"
    verbose_name = "Events and statements"
