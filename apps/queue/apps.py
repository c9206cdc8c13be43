"""App configuration of the queue: the workers' heartbeats, and the worker command with its lease."""

from django.apps import AppConfig


class QueueConfig(AppConfig):
    """Background work: ``manage.py db_worker``, django-tasks-db's worker with a heartbeat and a lost-task reaper."""

    name = "apps.queue"
    label = "queue"
    verbose_name = "background work"
