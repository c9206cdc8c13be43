from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    """Numbered, immutable releases of the dataset: Frictionless Data Packages written from one consistent snapshot,
    with the changes since the release before, a citation, and the loading of a release into the working copy."""

    name = "apps.releases"
    label = "releases"
