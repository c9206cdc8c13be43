"""App configuration of sources and citations (part of the dataset)."""

from django.apps import AppConfig


class SourcesConfig(AppConfig):
    """Provenance: the documents the dataset is drawn from, and the citation base every other app uses."""

    name = "apps.sources"
    label = "sources"
    # Part of the dataset: see apps.core.registry.
    dataset = True
    verbose_name = "Sources"
