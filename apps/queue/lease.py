"""The queue's lease: a worker proves it is alive, and a task whose worker stopped is run again or marked failed.

django-tasks-db's worker claims a task by marking it ``RUNNING``; killed (SIGKILL, out of memory, its machine lost),
it leaves the task so for ever, and a status page built on it would say "running" for ever too (its issue #46).
Here every worker renews a ``WorkerHeartbeat`` each ``TASKS_HEARTBEAT_SECONDS``, from a thread of its own so a long
task never delays it, and on the same tick looks for running tasks whose worker has not been seen for
``TASKS_LEASE_SECONDS``: such a task goes back on the queue, keeping its place, to be run again by the next free
worker, or, once ``TASKS_MAX_ATTEMPTS`` runs were lost, is marked failed (a task that kills its worker must not
kill every worker in turn). Times are the database's clock, which every worker shares, so machines' clocks may
differ.

A task run again must be safe to run again: it resumes from what it committed (see ``apps/curation/jobs.py``). A
worker that was only paused past its lease may wake up while its task runs elsewhere; a task that writes checks,
in the transaction of each write, that its run still holds the work (``TaskContext.attempt``). On SQLite a long task
also calls ``beat`` between its batches: its batches hold the one write lock, and the heartbeat thread's write,
waiting for it, would starve.
"""

import datetime
import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import DatabaseError, OperationalError, close_old_connections, connection
from django.db.models.functions import Now
from django_tasks_db.compat import TaskResultStatus, task_finished
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import is_locked_database_exception

from .models import WorkerHeartbeat

logger = logging.getLogger(__name__)

# Heartbeats of workers gone for this long are deleted when a worker starts.
FORGET_AFTER = datetime.timedelta(days=1)


class WorkerLost(Exception):
    """The worker running a task stopped without finishing it (recorded as the failed task's exception)."""


def lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TASKS_LEASE_SECONDS)


def beat(worker_id: str) -> None:
    """Record that the worker ``worker_id`` is alive now."""
    if not WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=Now()):
        WorkerHeartbeat.objects.create(
            worker_id=worker_id, seen_at=Now(), started_at=Now(), host=socket.gethostname(), pid=os.getpid()
        )


def alive_workers() -> set[str]:
    return set(WorkerHeartbeat.objects.filter(seen_at__gte=Now() - lease()).values_list("worker_id", flat=True))


def is_lost(result: DBTaskResult, alive: set[str] | None = None) -> bool:
    """Whether ``result`` is marked running by a worker that has not been seen for the lease."""
    if result.status != TaskResultStatus.RUNNING:
        return False
    alive = alive_workers() if alive is None else alive
    return not result.worker_ids or result.worker_ids[-1] not in alive


def requeue_lost_tasks() -> list[DBTaskResult]:
    """Put every task lost with its worker back on the queue, or mark it failed after ``TASKS_MAX_ATTEMPTS`` runs.

    Each change is conditional on the task still being the run found lost (same status, same start), so two workers
    reaping at once change it once. Returns the tasks changed.
    """
    alive = alive_workers()
    changed = []
    for result in DBTaskResult.objects.running():
        if not is_lost(result, alive):
            continue
        same_run = DBTaskResult.objects.filter(
            pk=result.pk, status=TaskResultStatus.RUNNING, started_at=result.started_at
        )
        runs = len(result.worker_ids)
        if runs < settings.TASKS_MAX_ATTEMPTS:
            if same_run.update(status=TaskResultStatus.READY):
                logger.warning("Task %s (%s) lost in run %d: queued again", result.pk, result.task_path, runs)
                changed.append(result)
            continue
        reason = (
            f"The worker running it stopped without finishing it ({runs} runs, the last by worker "
            f"{result.worker_ids[-1] if result.worker_ids else '?'}); it is not run again."
        )
        failed = same_run.update(
            status=TaskResultStatus.FAILED,
            finished_at=Now(),
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
            traceback=f"{WorkerLost.__name__}: {reason}",
            return_value=None,
        )
        if failed:
            logger.error("Task %s (%s) failed: %s", result.pk, result.task_path, reason)
            result.refresh_from_db()
            try:
                sender = type(result.task.get_backend())
            except ImportError:
                continue  # the task's code is gone; nothing can listen for it
            task_finished.send(sender=sender, task_result=result.task_result)
            changed.append(result)
    return changed


def again_while_locked(action, worker_id: str, doing: str, pause: float = 0):
    """``action()``, run again for as long as it fails only because SQLite's one write lock is held (another worker
    writing a batch); any other database error is raised."""
    while True:
        try:
            return action()
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            logger.info("Worker %s: the database was locked %s", worker_id, doing)
            time.sleep(pause)


class Heartbeat:
    """A worker's heartbeat and reaper, every ``TASKS_HEARTBEAT_SECONDS`` while the ``with`` block runs.

    The first beat is written before the block starts, so a task the worker claims never looks lost.
    """

    def __init__(self, worker_id: str):
        self.worker_id = worker_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{worker_id}", daemon=True)

    def __enter__(self):
        # On SQLite another worker's batch may hold the one write lock past the busy timeout: a worker that died here
        # left the queue to the others, or to none (seen in CI: the second of two died at its first beat, then the
        # first was killed, and the import waited for ever).
        def first_beat():
            WorkerHeartbeat.objects.filter(seen_at__lt=Now() - FORGET_AFTER).delete()
            beat(self.worker_id)

        again_while_locked(first_beat, self.worker_id, "as it started", pause=1)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()
        try:
            # Gone for good: a task it leaves running is lost at once, not after the lease.
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
        except DatabaseError:
            logger.warning("Worker %s stopped; its heartbeat is left to expire", self.worker_id)

    def _run(self) -> None:
        try:
            while not self._stop.wait(settings.TASKS_HEARTBEAT_SECONDS):
                try:
                    close_old_connections()
                    beat(self.worker_id)
                    requeue_lost_tasks()
                except DatabaseError as error:
                    # A database that is away: the next beat tries again; the lease allows for a few. On SQLite a
                    # running task's batches hold the write lock; the task renews the heartbeat itself between them.
                    locked = isinstance(error, OperationalError) and is_locked_database_exception(error)
                    level = logging.DEBUG if locked else logging.WARNING
                    logger.log(level, "Heartbeat of worker %s not recorded: %s", self.worker_id, error)
        finally:
            connection.close()
