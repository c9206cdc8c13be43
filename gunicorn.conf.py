"""gunicorn's production settings, read from the working directory by every gunicorn started here (the README's
recipe, the benchmark, CI and the tests' servers); command-line options override them.

Threaded workers (gthread): a request waiting on a stalled database holds one thread, at most
DB_STATEMENT_TIMEOUT + 1 seconds (see apps/core/db/postgresql), while the worker's other threads keep serving cached
pages. A sync worker would be held whole, and with every worker waiting nothing would be served at all.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core: the GIL lets one thread of a process run Python at a time.
workers = int(os.environ.get("GUNICORN_WORKERS", str(os.cpu_count() or 2)))
worker_class = "gthread"
# Enough to ride out a database stall of a few seconds without queueing cached reads behind it.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A worker that stops answering its arbiter (not a slow request: threads answer for it) is restarted.
timeout = 30
graceful_timeout = 10
keepalive = 5
