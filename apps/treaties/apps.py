"""App configuration of treaties, states and memberships (part of the dataset)."""

from django.apps import AppConfig


class TreatiesConfig(AppConfig):
    """Treaties, the states that take part in them, and each state's membership period."""

    name = "apps.treaties"
    label = "treaties"
    # Part of the dataset: see apps.core.registry.
    dataset = True
    verbose_name = "Treaties and states"
