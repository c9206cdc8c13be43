"""Background work on a queue kept in the database (Django's tasks framework, django-tasks-db's backend and worker),
with a lease, so that a worker killed mid-task costs seconds, not a task stuck "running" for ever.

``task`` is Django's ``@task`` decorator: ``django.tasks`` from Django 6 on, its backport ``django_tasks`` before.
"""

try:
    from django.tasks import task
except ImportError:  # Django 5.2
    from django_tasks import task

__all__ = ["task"]
