"""What the status page of a CSV import tells its curator: the truth about what is written, in one sentence.

While a check or an import is in the background, that includes whether a worker is on it: a worker killed mid-import
is seen within the lease (``TASKS_LEASE_SECONDS``, apps/queue/lease.py), not after minutes.
"""

from django.conf import settings
from django_tasks_db.compat import TaskResultStatus

from apps.queue.lease import alive_workers, is_lost

from .models import ImportStatus


def is_working(pending) -> bool:
    """Whether the check or import has yet to finish (its page refreshes itself)."""
    return pending.status in (ImportStatus.CHECKING, ImportStatus.RUNNING)


def import_status(pending) -> str:
    done = f"{pending.done_rows} of {pending.total_rows} rows written"
    if pending.status == ImportStatus.DONE:
        return f"Imported all {pending.total_rows} rows: {pending.report}"
    if pending.status == ImportStatus.FAILED:
        return f"Stopped: {done} (each batch is written whole or not at all). {pending.report}"
    if pending.status == ImportStatus.REJECTED:
        return (
            f"Nothing was written: checking the {pending.total_rows} rows found the problems below. "
            "Correct them and upload the file again."
        )
    if pending.status == ImportStatus.PREVIEWED:
        if pending.total_rows:
            return f"Checked all {pending.total_rows} rows; confirming would write {pending.report}"
        return "Previewed, not confirmed yet."
    return _in_background(pending)


def _in_background(pending) -> str:
    """Checking or importing: what the worker on it did so far, or that none is on it and what happens next."""
    checking = pending.status == ImportStatus.CHECKING
    doing = "checking" if checking else "importing"
    if checking:
        so_far = f"{pending.done_rows} of {pending.total_rows} rows checked; nothing is written yet"
    else:
        so_far = f"{pending.done_rows} of {pending.total_rows} rows written (each batch whole or not at all)"
    task, alive = pending.task, alive_workers()
    running = task is not None and task.status == TaskResultStatus.RUNNING
    if running and not is_lost(task, alive):
        return f"{doing.capitalize()}: {so_far}."
    if task is not None and task.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
        return f"Stopped: {so_far}; its task ended without finishing it."
    if not alive:
        next_step = "No worker is running: an administrator starts one with `manage.py db_worker`."
    elif running:
        next_step = f"A running worker takes it up within {settings.TASKS_LEASE_SECONDS} s of the stop."
    else:
        next_step = "It is queued for the next free worker."
    if running or pending.attempt:
        resumes = f"from row {pending.done_rows + 1}" if pending.done_rows else "from the start"
        return f"Interrupted: the worker {doing} it stopped; {so_far}. It goes on {resumes}. {next_step}"
    return f"Waiting for a worker to start {doing} its {pending.total_rows} rows. {next_step}"
