"""App configuration of the curation desk: keeps the roles in step with the models after migrate."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CurationConfig(AppConfig):
    """The curation desk around the admin: roles, history of fixture loads, CSV imports. Depends on every dataset app
    and on the queue (apps/queue), whose tasks check and import large files."""

    name = "apps.curation"
    label = "curation"

    def ready(self) -> None:
        from django_tasks_db.compat import task_finished

        from apps.core.registry import dataset_models

        from .history import connect_fixture_load_history
        from .jobs import on_task_finished
        from .roles import sync_roles_after_migrate

        # After every migrate (and every test-database flush), so new models' permissions reach the roles at once.
        post_migrate.connect(sync_roles_after_migrate, sender=self)
        connect_fixture_load_history(dataset_models())
        # A background check or import whose task failed outside its own error handling is marked stopped.
        task_finished.connect(on_task_finished)
