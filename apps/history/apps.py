"""App configuration of the historical models django-simple-history keeps, apart from the dataset's fixtures."""

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    """Holds the historical models django-simple-history builds for every dataset model (HistoricalEvent, ...).

    They live in their own app so that the dataset apps hold only the dataset: ``dumpdata sources treaties events``
    and the fixtures never include history, and adding history touched none of the dataset apps' migrations.
    """

    name = "apps.history"
    label = "history"
