from django.apps import AppConfig


class SourcesConfig(AppConfig):
    """Provenance: the documents the dataset is drawn from, and the citation base every other app uses."""

    name = "apps.sources"
    label = "sources"
    verbose_name = "Sources"
