"""PostgreSQL (psycopg 3) with every wait for the server bounded, so a stalled server is a 503, not a hang.

The server enforces ``statement_timeout`` and ``lock_timeout`` (set in the settings) and libpq bounds connecting
(``connect_timeout``). A server that stops answering altogether (paused, swapped out, or behind a network path that
swallows packets while the kernel still acknowledges them) enforces nothing, and libpq has no read timeout: a
request would wait forever, and under threaded gunicorn workers nothing would ever cut it off. So every wait of the
connection (a query, a commit) gives up a second after the statement timeout, closes the connection (whose protocol
state is lost) and raises OperationalError, which the API answers 503 with Retry-After. Django's health check (a
``SELECT 1`` at a request's first query) gives up after ``AT_ONCE``.

**Then the process lets the server be.** Each gunicorn worker would otherwise wait again on its next request (a new
connection: up to ``DB_CONNECT_TIMEOUT``), so a trickle of uncached requests kept every worker waiting and cached
pages queued behind them (a cached GET took 5.8 s). After a wait that ended without an answer, or a failed
connection, every new connection of this process fails at once (a 503; cached pages are still served, see
``apps.core.caching``) for ``DB_RETRY_AFTER`` seconds. Then the next request first knocks: any live server answers a
request to negotiate SSL (eight bytes, before authentication) with one byte at once, so a server that says nothing
within ``AT_ONCE`` is left alone for another ``DB_RETRY_AFTER``, and one that answers is connected to as usual. A
stalled server thus costs a worker ``AT_ONCE`` per ``DB_RETRY_AFTER``, not a connect timeout.
"""

import socket
import struct
import time

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

# A live server answers a knock or a health check in milliseconds; this leaves room for a busy machine.
AT_ONCE = 0.5
SSL_REQUEST = struct.pack("!ii", 8, 80877103)


class Unanswered:
    """Per process: when the server last failed to answer, no new connection is tried before ``until``."""

    until = 0.0

    @classmethod
    def let_be(cls) -> None:
        if settings.DB_RETRY_AFTER:
            cls.until = time.monotonic() + settings.DB_RETRY_AFTER


def answers_knock(conn_params: dict) -> bool:
    """Whether the server answers a request to negotiate SSL within ``AT_ONCE``. A server named in a way this
    does not follow (several hosts, a service file, libpq's default socket) is taken to answer: connecting tells."""
    host, port = str(conn_params.get("host", "")), int(conn_params.get("port") or 5432)
    if not host or "," in host:
        return True
    try:
        if host.startswith("/"):
            knock = socket.socket(socket.AF_UNIX)
            knock.settimeout(AT_ONCE)
            knock.connect(f"{host}/.s.PGSQL.{port}")
        else:
            knock = socket.create_connection((host, port), AT_ONCE)
        with knock:
            knock.sendall(SSL_REQUEST)
            return knock.recv(1) != b""
    except OSError:
        return False


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
            Unanswered.let_be()
            raise psycopg.OperationalError(
                f"The database did not answer within {timeout:g} s; the connection was closed."
            ) from error


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        # Django's health check (SELECT 1) is answered at once by a live server: a stalled one costs a request the
        # first time only AT_ONCE (then the process lets it be), not a statement timeout.
        answer_timeout = getattr(self.connection, "answer_timeout", None)
        if answer_timeout is None:
            return super().is_usable()
        self.connection.answer_timeout = min(answer_timeout, AT_ONCE)
        try:
            return super().is_usable()
        finally:
            self.connection.answer_timeout = answer_timeout

    def get_new_connection(self, conn_params):
        if Unanswered.until:
            if time.monotonic() < Unanswered.until:
                raise psycopg.OperationalError("The database did not answer a moment ago; not asked again yet.")
            if not answers_knock(conn_params):
                Unanswered.let_be()
                raise psycopg.OperationalError(f"The database did not answer within {AT_ONCE} s.")
            Unanswered.until = 0.0
        try:
            connection = super().get_new_connection(conn_params)
        except psycopg.OperationalError:
            Unanswered.let_be()
            raise
        if isinstance(connection, psycopg.Connection) and settings.DB_STATEMENT_TIMEOUT:
            # Django connects with psycopg.connect(); the class is swapped rather than Django's connect copied.
            connection.__class__ = BoundedConnection
            connection.answer_timeout = settings.DB_STATEMENT_TIMEOUT + 1
        return connection
