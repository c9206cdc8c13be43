from django.apps import AppConfig


class TreatiesConfig(AppConfig):
    """Treaties, the states that take part in them, and each state's membership period."""

    name = "apps.treaties"
    label = "treaties"
    verbose_name = "Treaties and states"
