from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """The changes feed: one append-only log of every create, update and delete of the API's resources, in commit
    order, written whenever django-simple-history records a version (see ``log.py``), served at ``/api/changes/``."""

    name = "apps.changes"
    label = "changes"

    def ready(self) -> None:
        from .log import connect_change_log

        connect_change_log()
