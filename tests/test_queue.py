"""Background work on the queue: a task whose worker is lost is run again from what it committed, or marked failed,
and the import's status page says which, within the lease (apps/queue/lease.py, apps/curation/jobs.py).

A worker killed between two batches is reproduced here by stopping the task's run after its first committed batch
and leaving its task as the kill leaves it: RUNNING, claimed by a worker with no heartbeat. tests/test_worker_kill.py
kills a real worker process mid-batch.
"""

from contextlib import contextmanager

import pytest
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.compat import TaskContext, TaskResultStatus
from django_tasks_db.models import DBTaskResult

from apps.curation import jobs
from apps.curation.models import ImportStatus, PendingImport
from apps.events.models import Event
from apps.queue import task
from apps.queue.lease import alive_workers, beat, lease, requeue_lost_tasks
from apps.queue.models import WorkerHeartbeat
from apps.queue.worker import LeasedWorker
from tests import test_csv_import
from tests.test_csv_import import EVENT_COLUMNS, _bulk_rows, _csv, _preview

good_event_row = test_csv_import.good_event_row


class Killed(BaseException):
    """What stops a run here, where SIGKILL stops a worker process."""


@pytest.fixture
def confirmed_import(sample_dataset, good_event_row, curator_client, settings):
    """Five event rows previewed and confirmed, imported two per batch by a queued task: its status page URL."""
    settings.CURATION_IMPORT_INLINE_ROWS, settings.CURATION_IMPORT_BATCH_ROWS = 2, 2
    response = _preview(curator_client, "event", _csv(EVENT_COLUMNS, _bulk_rows(good_event_row, 5)))
    started = curator_client.post(
        reverse("admin:events_event_process_import"), response.context["confirm_form"].initial
    )
    assert started.status_code == 302
    return started["Location"]


def killed_after_first_batch(monkeypatch, worker_id: str = "killed-worker") -> DBTaskResult:
    """Run the queued task as worker ``worker_id`` and stop it dead once its first batch is committed."""
    result = DBTaskResult.objects.ready().get()
    result.claim(worker_id)
    batches = jobs._batches

    def first_batch_only(dataset, first_row):
        for number, batch in enumerate(batches(dataset, first_row)):
            if number == 1:
                raise Killed
            yield batch

    with monkeypatch.context() as patch:
        patch.setattr(jobs, "_batches", first_batch_only)
        with pytest.raises(Killed):
            result.task.call(TaskContext(task_result=result.task_result), *result.task_result.args)
    result.refresh_from_db()
    assert result.status == TaskResultStatus.RUNNING
    # Its heartbeat, last renewed with that batch, then ages past the lease.
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=timezone.now() - lease() * 1.1)
    return result


def status(client, url: str) -> str:
    page = client.get(url).content.decode()
    return page.split('<p id="import-status">', 1)[1].split("</p>", 1)[0]


def test_a_killed_workers_import_is_queued_again_and_resumes_after_its_last_whole_batch(
    confirmed_import, curator, curator_client, monkeypatch, run_queue, settings
):
    """The page says the import was interrupted and how much is written; a live worker's next tick queues it
    again; the next run writes the remaining rows once each, and the totals count every row once."""
    killed_after_first_batch(monkeypatch)
    assert sorted(Event.objects.filter(slug__startswith="bulk-").values_list("slug", flat=True)) == [
        "bulk-1",
        "bulk-2",
    ]
    assert status(curator_client, confirmed_import) == (
        "Interrupted: the worker importing it stopped; 2 of 5 rows written (each batch whole or not at all). "
        "It goes on from row 3. No worker is running: an administrator starts one with `manage.py db_worker`."
    )

    beat("live-worker")
    lease = settings.TASKS_LEASE_SECONDS
    assert f"A running worker takes it up within {lease} s of the stop." in status(curator_client, confirmed_import)
    assert [lost.worker_ids for lost in requeue_lost_tasks()] == [["killed-worker"]]
    assert DBTaskResult.objects.get().status == TaskResultStatus.READY
    assert "It goes on from row 3. It is queued for the next free worker." in status(curator_client, confirmed_import)

    assert run_queue() == 1
    events = Event.objects.filter(slug__startswith="bulk-")
    assert events.count() == 5
    assert {event.history.count() for event in events} == {1}
    assert {event.history.get().history_user for event in events} == {curator}
    assert status(curator_client, confirmed_import) == "Imported all 5 rows: 5 new, 0 updated, 0 unchanged."
    assert DBTaskResult.objects.get().worker_ids == ["killed-worker", "test-worker"]


def test_the_task_of_a_live_worker_is_left_running(confirmed_import, curator_client, monkeypatch):
    killed_after_first_batch(monkeypatch, worker_id="slow-worker")
    beat("slow-worker")
    assert requeue_lost_tasks() == []
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING
    assert status(curator_client, confirmed_import) == (
        "Importing: 2 of 5 rows written (each batch whole or not at all)."
    )


def test_a_worker_is_alive_for_the_lease_after_its_last_heartbeat(db):
    beat("recent")
    beat("silent")
    assert alive_workers() == {"recent", "silent"}
    WorkerHeartbeat.objects.filter(worker_id="silent").update(seen_at=timezone.now() - lease() * 1.1)
    WorkerHeartbeat.objects.filter(worker_id="recent").update(seen_at=timezone.now() - lease() * 0.5)
    assert alive_workers() == {"recent"}


def test_a_task_lost_on_its_last_attempt_is_failed_and_its_import_says_why(
    confirmed_import, curator_client, monkeypatch, settings
):
    """After TASKS_MAX_ATTEMPTS lost runs the task is not run again: it fails, and so does the import, saying
    what is written."""
    result = killed_after_first_batch(monkeypatch)
    DBTaskResult.objects.filter(pk=result.pk).update(
        worker_ids=[f"killed-{n}" for n in range(settings.TASKS_MAX_ATTEMPTS)]
    )
    assert len(requeue_lost_tasks()) == 1
    result.refresh_from_db()
    assert result.status == TaskResultStatus.FAILED
    assert result.exception_class_path == "apps.queue.lease.WorkerLost"
    assert PendingImport.objects.get().status == ImportStatus.FAILED
    assert status(curator_client, confirmed_import) == (
        "Stopped: 2 of 5 rows written (each batch is written whole or not at all). The worker running it stopped "
        "without finishing it (3 runs, the last by worker killed-2); it is not run again."
    )
    assert Event.objects.filter(slug__startswith="bulk-").count() == 2


def test_a_run_that_lost_its_import_to_a_later_run_writes_nothing_more(confirmed_import, monkeypatch, run_queue):
    """A worker paused past its lease wakes up after another run took the import over: its next batch is rolled
    back, and only the later run's progress counts."""
    result = DBTaskResult.objects.ready().get()
    result.claim("paused-worker")
    batches = jobs._batches

    def taken_over_after_first_batch(dataset, first_row):
        for number, batch in enumerate(batches(dataset, first_row)):
            if number == 1:
                result.claim("later-worker")
                later = TaskContext(task_result=result.task_result)
                assert jobs.Run.claim(result.task_result.args[0], ImportStatus.RUNNING, later) is not None
            yield batch

    monkeypatch.setattr(jobs, "_batches", taken_over_after_first_batch)
    result.task.call(TaskContext(task_result=result.task_result), *result.task_result.args)
    assert sorted(Event.objects.filter(slug__startswith="bulk-").values_list("slug", flat=True)) == [
        "bulk-1",
        "bulk-2",
    ]
    pending = PendingImport.objects.get()
    assert (pending.status, pending.done_rows, pending.attempt) == (ImportStatus.RUNNING, 2, 2)


def test_a_lost_check_resumes_with_the_problems_it_had_found(
    sample_dataset, good_event_row, curator_client, settings, monkeypatch, run_queue
):
    """The check of a large file records its problems per batch, so a run taken up again lists every refused row
    once, the earlier batches' and its own."""
    settings.CURATION_IMPORT_PREVIEW_ROWS, settings.CURATION_IMPORT_BATCH_ROWS = 3, 2
    rows = _bulk_rows(good_event_row, 5, {2: {"source": "", "quote": ""}, 5: {"date_precision": "month"}})
    started = curator_client.post(
        reverse("admin:events_event_import"), {"format": "0", "import_file": _csv(EVENT_COLUMNS, rows)}
    )
    killed_after_first_batch(monkeypatch)
    assert status(curator_client, started["Location"]).startswith(
        "Interrupted: the worker checking it stopped; 2 of 5 rows checked; nothing is written yet. "
        "It goes on from row 3."
    )
    beat("live-worker")
    requeue_lost_tasks()
    run_queue()
    page = curator_client.get(started["Location"]).content.decode()
    assert "Nothing was written: checking the 5 rows found the problems below." in page
    assert page.count("<li>Row 2, quote:") == 1
    assert page.count("<li>Row 5, date:") == 1
    assert PendingImport.objects.get().totals["refused"] == 2


@task()
def answer() -> int:
    """A task for the worker tests."""
    return 42


@pytest.mark.django_db(transaction=True)
def test_a_worker_looks_again_when_the_database_was_locked_as_it_looked_for_a_task(monkeypatch):
    """django-tasks-db opens its claiming transaction outside its handling of "database is locked": on SQLite an
    idle worker exited so while another worker wrote an import's batches. Ours looks again."""
    from django_tasks_db.management.commands import db_worker

    claiming = db_worker.exclusive_transaction
    attempts = []

    @contextmanager
    def locked_at_first(using=None):
        attempts.append(using)
        if len(attempts) == 1:
            raise OperationalError("database is locked")
        with claiming(using):
            yield

    monkeypatch.setattr(db_worker, "exclusive_transaction", locked_at_first)
    queued = answer.enqueue()
    worker = LeasedWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="unlucky-worker",
        excluded_queue_names=[],
    )
    worker.run()
    assert len(attempts) > 1
    assert DBTaskResult.objects.get(pk=queued.id).return_value == 42
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_while_the_database_is_locked_waits_for_it_rather_than_dying(monkeypatch):
    """On SQLite another worker's batch may hold the write lock past the busy timeout as a worker writes its first
    heartbeat: it waits and starts (in CI the second worker of two died there, and the import it should have taken
    up waited for ever)."""
    from apps.queue import lease as lease_module

    beats, real_beat = [], lease_module.beat

    def locked_twice(worker_id):
        beats.append(worker_id)
        if len(beats) <= 2:
            raise OperationalError("database is locked")
        real_beat(worker_id)

    monkeypatch.setattr(lease_module, "beat", locked_twice)
    monkeypatch.setattr(lease_module.time, "sleep", lambda seconds: None)
    with lease_module.Heartbeat("patient-worker"):
        assert WorkerHeartbeat.objects.filter(worker_id="patient-worker").exists()
    assert beats[:3] == ["patient-worker"] * 3
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_worker_starting_on_another_database_error_stops_with_it(monkeypatch):
    from apps.queue import lease as lease_module

    def broken(worker_id):
        raise OperationalError("no such table: queue_workerheartbeat")

    monkeypatch.setattr(lease_module, "beat", broken)
    with pytest.raises(OperationalError, match="no such table"), lease_module.Heartbeat("doomed-worker"):
        pass
