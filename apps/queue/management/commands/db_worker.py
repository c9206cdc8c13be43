"""django-tasks-db's ``db_worker``, with the queue's lease (apps/queue/lease.py): same options, same loop."""

import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from apps.queue.worker import LeasedWorker


class Command(db_worker.Command):
    """Run a worker: it takes tasks from the queue in the database and runs them, one at a time.

    Run one or more, on any machine that reaches the database, with the web servers' environment. A worker stopped
    with SIGTERM or SIGINT finishes its task first; one killed leaves its task to be run again by another within
    ``TASKS_LEASE_SECONDS`` (or by itself, restarted).
    """

    help = __doc__.splitlines()[0]

    def handle(
        self,
        *,
        verbosity,
        queue_name,
        interval,
        batch,
        backend_name,
        startup_delay,
        reload,
        max_tasks,
        worker_id,
        exclude_queues,
        **options,
    ) -> None:
        self.configure_logging(verbosity)
        if reload and batch:
            reload = False
        queue_names = queue_name.split(",")
        excluded_queue_names = exclude_queues.split(",") if exclude_queues else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = LeasedWorker(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=backend_name,
            startup_delay=startup_delay,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=excluded_queue_names,
        )
        if not reload:
            worker.configure_signals()
            worker.run()
            return
        if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
            worker.configure_signals()  # in the reloaded child only
        run_with_reloader(worker.run)
