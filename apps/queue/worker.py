"""The worker: django-tasks-db's, with the queue's lease; as a command (``db_worker``) or a thread of ``runserver``."""

import itertools
import logging
import threading
import time
import uuid

from django.db import DatabaseError
from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME
from django_tasks_db.management.commands.db_worker import Worker

from .lease import Heartbeat, again_while_locked

logger = logging.getLogger(__name__)


class LeasedWorker(Worker):
    """django-tasks-db's worker, alive to the others through its heartbeat, and reaping the tasks of dead ones."""

    def run(self) -> None:
        with Heartbeat(self.worker_id):
            # django-tasks-db opens its claiming transaction (BEGIN EXCLUSIVE on SQLite) outside its own "database is
            # locked" handling: an idle worker died so while another wrote an import's batches. Nothing was claimed;
            # look again.
            again_while_locked(super().run, self.worker_id, "while looking for a task")


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

    def run() -> None:
        # The development server also starts on a database not migrated yet: wait for the tables, then work.
        for waited in itertools.count():
            try:
                worker.run()
                return
            except DatabaseError as error:
                if not waited:
                    logger.warning("The queue worker waits for its tables (run migrate): %s", error)
                time.sleep(5)

    thread = threading.Thread(target=run, name="queue-worker", daemon=True)
    thread.start()
    return thread
