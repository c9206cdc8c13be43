"""What the queue adds to django-tasks-db's tables: a heartbeat per running worker process."""

from django.db import models


class WorkerHeartbeat(models.Model):
    """A worker process that is alive, as long as ``seen_at`` is recent (see ``apps/queue/lease.py``).

    django-tasks-db marks a task ``RUNNING`` when a worker claims it and leaves it so if that worker is killed:
    nothing else would ever run it or say it stopped. Every worker renews its row here each
    ``TASKS_HEARTBEAT_SECONDS``; a running task whose worker has not been seen for ``TASKS_LEASE_SECONDS`` was lost,
    and any live worker puts it back on the queue (or marks it failed after ``TASKS_MAX_ATTEMPTS`` runs).
    """

    worker_id = models.CharField(primary_key=True, max_length=64, help_text="The id the worker claims tasks with.")
    seen_at = models.DateTimeField(help_text="The database's clock at the worker's last heartbeat.")
    started_at = models.DateTimeField(help_text="When the worker process started.")
    host = models.CharField(max_length=255, blank=True, help_text="The machine it runs on, for the operator.")
    pid = models.PositiveIntegerField(help_text="Its process id on that machine, for the operator.")

    class Meta:
        ordering = ["worker_id"]

    def __str__(self) -> str:
        return f"worker {self.worker_id} ({self.host}, pid {self.pid})"
