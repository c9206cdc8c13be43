"""PostgreSQL (psycopg 3) with every wait for the server bounded, so a stalled server is a 503, not a hang.

The server enforces ``statement_timeout`` and ``lock_timeout`` (set in the settings) and libpq bounds connecting
(``connect_timeout``). A server that stops answering altogether (paused, swapped out, or behind a network path that
swallows packets while the kernel still acknowledges them) enforces nothing, and libpq has no read timeout: a
request would wait forever, and under threaded gunicorn workers nothing would ever cut it off. So every wait of the
connection (a query, a commit, Django's health check) gives up a second after the statement timeout, closes the
connection (whose protocol state is lost) and raises OperationalError, which the API answers 503 with Retry-After.
"""

import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base


class BoundedConnection(psycopg.Connection):
    """A psycopg connection whose waits for the server end after ``answer_timeout`` seconds (None: never)."""

    answer_timeout: float | None = None

    def wait(self, gen, interval=0.1, timeout=None):
        if timeout is None:
            timeout = self.answer_timeout
        started = time.monotonic()
        try:
            return super().wait(gen, interval, timeout)
        except psycopg.OperationalError as error:
            if timeout is None or time.monotonic() - started < timeout:
                raise
            # Mid-protocol, the connection is of no further use; closing it never waits on the server.
            self.close()
            raise psycopg.OperationalError(
                f"The database did not answer within {timeout:g} s; the connection was closed."
            ) from error


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        # Django's health check (SELECT 1) is answered at once by a live server: wait no longer than connecting may
        # take, so a stalled server costs the health check plus a failed connection, not a statement timeout more.
        answer_timeout = getattr(self.connection, "answer_timeout", None)
        if answer_timeout is None:
            return super().is_usable()
        self.connection.answer_timeout = min(answer_timeout, settings.DB_CONNECT_TIMEOUT or answer_timeout)
        try:
            return super().is_usable()
        finally:
            self.connection.answer_timeout = answer_timeout

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        if isinstance(connection, psycopg.Connection) and settings.DB_STATEMENT_TIMEOUT:
            # Django connects with psycopg.connect(); the class is swapped rather than Django's connect copied.
            connection.__class__ = BoundedConnection
            connection.answer_timeout = settings.DB_STATEMENT_TIMEOUT + 1
        return connection
