"""Commit order of the changes feed: a change log entry's id is taken in the order transactions commit, so a client
resuming after an entry never skips one committed later (apps/changes/log.py). Its own module: the test needs a real
second connection, which a module-wide dataset transaction (the ``dataset`` fixture) would block."""

import threading

import pytest
from django.db import connection, transaction

from apps.changes.models import Change
from apps.treaties.models import State


@pytest.mark.django_db(transaction=True)
def test_a_writer_cannot_commit_a_change_while_another_writers_change_is_uncommitted():
    """Ids follow commit order: a second writer's change waits for the first writer's transaction to end, so a
    reader that has seen the second one's id can never later find the first one's smaller id appear."""
    done = threading.Event()
    ids = {}

    def second_writer():
        try:
            ids["second"] = State.objects.create(code="ZZB", name="Second").pk
        finally:
            done.set()
            # Closed, not close_old_connections(): that keeps a connection younger than CONN_MAX_AGE, and an
            # open session of an ended thread stops the test database from being dropped.
            connection.close()

    with transaction.atomic():
        State.objects.create(code="ZZA", name="First")
        ids["first"] = Change.objects.latest("id").id
        thread = threading.Thread(target=second_writer)
        thread.start()
        # The second writer is blocked (waiting for the change log's turn, or for SQLite's write lock).
        assert not done.wait(timeout=1.0)
    thread.join(timeout=30)
    assert done.is_set()
    second = Change.objects.get(resource="states", key="ZZB")
    assert second.id > ids["first"]
