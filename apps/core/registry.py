"""The dataset's apps and models, declared once.

An app is part of the dataset when its ``AppConfig`` says ``dataset = True`` (sources, treaties, events). Everything
that must know which models make up the dataset asks here: cache invalidation (``apps.core.caching``), the curation
roles (``apps.curation.roles``), the release package and its load order (``apps.releases.package``), the validator
and the history of loads. A new dataset app sets the flag in its ``apps.py`` and is covered by all of them.
"""

from django.apps import AppConfig, apps
from django.core.serializers import sort_dependencies
from django.db.models import Model


def dataset_app_configs() -> list[AppConfig]:
    """The dataset's apps, in INSTALLED_APPS order."""
    return [config for config in apps.get_app_configs() if getattr(config, "dataset", False)]


def dataset_app_labels() -> list[str]:
    return [config.label for config in dataset_app_configs()]


def is_dataset_model(model: type[Model]) -> bool:
    """True for a model whose rows are part of the dataset (its own table, or an automatic many-to-many table)."""
    return model._meta.app_label in dataset_app_labels()


def dataset_models() -> list[type[Model]]:
    """The dataset's models, each after every model it refers to by natural key (the order loaddata needs).

    Automatic many-to-many tables are left out: their rows travel in their owner's fixture as key lists.
    """
    configs = dataset_app_configs()
    return sort_dependencies([(config, list(config.get_models())) for config in configs], allow_cycles=False)
