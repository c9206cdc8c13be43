"""The worker: django-tasks-db's, with the queue's lease; as a command (``db_worker``) or a thread of ``runserver``."""

import threading
import uuid

from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from .lease import Heartbeat


class LeasedWorker(Worker):
    """django-tasks-db's worker, alive to the others through its heartbeat, and reaping the tasks of dead ones."""

    def run(self) -> None:
        with Heartbeat(self.worker_id):
            super().run()


def start_in_thread() -> threading.Thread:
    """A worker on the default queue in a daemon thread of this process (the development server's)."""
    worker = LeasedWorker(
        queue_names=[DEFAULT_TASK_QUEUE_NAME],
        interval=1,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=uuid.uuid4().hex,
        excluded_queue_names=[],
    )
    thread = threading.Thread(target=worker.run, name="queue-worker", daemon=True)
    thread.start()
    return thread
