"""App configuration of the dataset tools (fixtures, validation, synthetic data); it has no models."""

from django.apps import AppConfig


class DatasetConfig(AppConfig):
    """The curated dataset as a whole: loading, validating and exporting the fixtures. Depends on every other app."""

    name = "apps.dataset"
    label = "dataset"
