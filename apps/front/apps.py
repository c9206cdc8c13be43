from django.apps import AppConfig


class FrontConfig(AppConfig):
    """The front page at ``/``: the dataset explained to people, with links to the API, its docs and the desk."""

    name = "apps.front"
    label = "front"
