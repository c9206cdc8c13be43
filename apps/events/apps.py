"""App configuration of events and statements (part of the dataset)."""

from django.apps import AppConfig


class EventsConfig(AppConfig):
    """What happened (events) and what was said about it (statements)."""

    name = "apps.events"
    label = "events"
    # Part of the dataset: see apps.core.registry.
    dataset = True
    verbose_name = "Events and statements"
