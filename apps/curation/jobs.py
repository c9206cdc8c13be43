"""The background check and import of a large CSV file: tasks of the queue (apps/queue), run by a worker process.

A task is given the ``PendingImport``'s key only; the file, its format, the curator and the model are in that row,
and so is how far the work got. Both tasks can be run again after their worker was lost, and resume:

- the check records after each batch the rows checked, the totals and the problems found so far (it writes nothing
  else, so a batch checked twice costs time only);
- the import commits each batch in one transaction with its progress, so the next run starts at the first row not
  written, and no batch is ever written twice or in part.

Every write of a run is conditional on the run still holding the import (``PendingImport.attempt``): a worker that
was only paused past its lease, and wakes up while another run has taken the import over, writes nothing more.
Rows are saved through the resources' rules (``full_clean``, the citation rule) with the history recording the
curator, as the preview and the inline import do.
"""

import logging

import tablib
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import OperationalError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tasks_db.compat import TaskResultStatus
from simple_history.models import HistoricalRecords

from apps.queue import task
from apps.queue.lease import beat

from .models import ImportStatus, PendingImport

logger = logging.getLogger(__name__)

# The row errors a rejected file's status page lists; the rest are counted.
MAX_PROBLEMS = 100
KINDS = ("new", "update", "skip")


class Run:
    """One run of a check or an import, holding its ``PendingImport`` as attempt ``attempt`` of its task."""

    def __init__(self, pending: PendingImport, status: str, *, attempt: int, worker_id: str):
        self.pending, self.status, self.attempt, self.worker_id = pending, status, attempt, worker_id

    @classmethod
    def claim(cls, pending_pk: int, status: str, context) -> "Run | None":
        """Take the import over from any earlier run, if it is still ``status``; None if it is not (done, or gone).

        ``context`` is the task's: which run of it this is, and the worker running it.
        """
        attempt, worker_id = context.attempt, context.task_result.worker_ids[-1]
        claimed = PendingImport.objects.filter(pk=pending_pk, status=status, attempt__lt=attempt).update(
            attempt=attempt, updated_at=timezone.now()
        )
        if not claimed:
            return None
        pending = PendingImport.objects.select_related("user").get(pk=pending_pk)
        return cls(pending, status, attempt=attempt, worker_id=worker_id)

    def record(self, **fields) -> bool:
        """Write ``fields`` on the import if this run still holds it (a check's run also loses it once the file is
        confirmed, and the import's attempts count anew); whether it did.

        It also renews the worker's heartbeat: on SQLite, the heartbeat thread's own write waits for the batches'
        write lock, which the worker takes again the moment it lets it go, and starved for the whole check of a
        500-row file (measured: five "database is locked" in 20 s, no beat recorded).
        """
        held = PendingImport.objects.filter(pk=self.pending.pk, attempt=self.attempt, status=self.status)
        if not held.update(updated_at=timezone.now(), **fields):
            return False
        try:
            with transaction.atomic():  # a savepoint: a failure must not spoil the batch's transaction
                beat(self.worker_id)
        except OperationalError as error:  # the progress is recorded; the next batch or the thread beats again
            logger.info("Heartbeat of worker %s not recorded with the batch: %s", self.worker_id, error)
        return True

    def inputs(self) -> tuple:
        """The resource and the rows of the file, read as the import page's admin reads them, and the curator's
        request (for the history)."""
        model_admin = admin.site.get_model_admin(apps.get_model(self.pending.model))
        request = HttpRequest()
        request.user = self.pending.user
        return (*model_admin.background_inputs(self.pending, request), request)


def _batches(dataset, first_row: int):
    """(index of its first row, rows) for each batch of ``CURATION_IMPORT_BATCH_ROWS`` rows from ``first_row``."""
    size = settings.CURATION_IMPORT_BATCH_ROWS
    for start in range(first_row, len(dataset), size):
        yield start, tablib.Dataset(*dataset[start : start + size], headers=dataset.headers)


def _counted(totals: dict, result=None) -> dict:
    totals = {kind: totals.get(kind, 0) for kind in (*KINDS, "refused")}
    for kind in KINDS if result else ():
        totals[kind] += result.totals[kind]
    return totals


def described(totals: dict) -> str:
    return f"{totals['new']} new, {totals['update']} updated, {totals['skip']} unchanged."


@task(takes_context=True)
def check_file(context, pending_pk: int) -> None:
    """Check the file as the preview does (a dry run, rolled back), batch by batch, each against the data as it
    stands, as the import will write it; then record its totals (``previewed``) or its row errors (``rejected``)."""
    run = Run.claim(pending_pk, ImportStatus.CHECKING, context)
    if run is None:
        return
    totals = _counted(run.pending.totals)
    problems = run.pending.report.splitlines()
    try:
        resource, dataset, request = run.inputs()
        for start, batch in _batches(dataset, run.pending.done_rows):
            result = resource.import_data(batch, dry_run=True, raise_errors=False, user=request.user)
            found = _problems(result, start)
            totals = _counted(totals, result)
            totals["refused"] += len(found)
            problems = (problems + found)[:MAX_PROBLEMS]
            if not run.record(done_rows=start + len(batch), totals=totals, report="\n".join(problems)):
                return
        if totals["refused"]:
            if totals["refused"] > len(problems):
                problems.append(f"... and {totals['refused'] - len(problems)} more.")
            run.record(status=ImportStatus.REJECTED, report="\n".join(problems), data=b"")
        else:
            run.record(status=ImportStatus.PREVIEWED, report=described(totals), done_rows=0, totals={})
    except Exception as error:  # noqa: BLE001 - whatever stopped it, the curator is told, and the log has it all
        logger.exception("Background check of import %s stopped", pending_pk)
        run.record(status=ImportStatus.REJECTED, report=f"The check stopped on an error: {error}", data=b"")


def _problems(result, start: int) -> list[str]:
    """Every row error of a checked batch, numbered in the whole file, one line each, by column."""
    lines = [
        (start + row.number, f"Row {start + row.number}, {column}: {' '.join(column_messages)}")
        for row in result.invalid_rows
        for column, column_messages in row.error.message_dict.items()
    ]
    lines += [(start + row.number, f"Row {start + row.number}: {row.errors[0].error}") for row in result.error_rows]
    return [line for _, line in sorted(lines, key=lambda numbered: numbered[0])]


@task(takes_context=True)
def import_file(context, pending_pk: int) -> None:
    """Import the file in committed batches, each with its progress, from the first row not yet written."""
    run = Run.claim(pending_pk, ImportStatus.RUNNING, context)
    if run is None:
        return
    totals = _counted(run.pending.totals)
    try:
        resource, dataset, request = run.inputs()
        # History records the importing curator, as in a request (simple_history reads the request it is given).
        HistoricalRecords.context.request = request
        for start, batch in _batches(dataset, run.pending.done_rows):
            with transaction.atomic():
                result = resource.import_data(batch, dry_run=False, user=request.user, use_transactions=True)
                problem = _first_problem(result, start)
                totals = _counted(totals, result)
                held = not problem and run.record(done_rows=start + len(batch), totals=totals)
                if not held:
                    transaction.set_rollback(True)
            if problem:
                run.record(status=ImportStatus.FAILED, report=problem)
                return
            if not held:
                return  # another run took the import over; this batch was rolled back
        run.record(status=ImportStatus.DONE, report=described(totals), data=b"")
    except Exception as error:  # noqa: BLE001 - whatever stopped it, the curator is told, and the log has it all
        logger.exception("Background import %s stopped", pending_pk)
        run.record(status=ImportStatus.FAILED, report=f"Stopped by an error: {error}")
    finally:
        HistoricalRecords.context.request = None


def _first_problem(result, start: int) -> str:
    """The first row error of a batch, numbered in the whole file, or ''."""
    for row in result.invalid_rows:
        return f"Row {start + row.number} was refused (the data changed since the preview?): {row.error.messages}."
    for row in result.error_rows:
        return f"Row {start + row.number} failed: {row.errors[0].error}."
    return ""


TASKS = {check_file.module_path: ImportStatus.CHECKING, import_file.module_path: ImportStatus.RUNNING}


def on_task_finished(sender, task_result, **kwargs) -> None:
    """A check or import whose task failed outside its own error handling (its worker lost too many times, or
    stopped by a second Ctrl-C) is marked stopped, saying why, instead of staying "checking" or "running"."""
    if task_result.status != TaskResultStatus.FAILED or task_result.task.module_path not in TASKS:
        return
    status = TASKS[task_result.task.module_path]
    error = task_result.errors[-1] if task_result.errors else None
    kind = error.exception_class_path.rsplit(".", 1)[-1] if error else ""
    if kind in ("SystemExit", "KeyboardInterrupt"):
        why = "Its worker was told twice to stop, and stopped in the middle of it."
    elif error:
        why = error.traceback.strip().splitlines()[-1].removeprefix(f"{kind}: ")
    else:
        why = "Its task failed."
    pending = PendingImport.objects.filter(pk=task_result.args[0], status=status)
    if status == ImportStatus.CHECKING:
        pending.update(status=ImportStatus.REJECTED, report=f"The check stopped: {why}", data=b"")
    else:
        pending.update(status=ImportStatus.FAILED, report=why)
