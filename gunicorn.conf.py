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
# No keep-alive: a kept-alive connection stays with the worker that accepted it, so a few busy clients (or a proxy's
# few upstream connections) can all land on one worker, and one core, while the other idles. Closing after each
# response lets every request go to whichever worker accepts first, which is an idle one. Measured on the
# benchmark's SQLite database (2 workers, wrk -c2, 4 rounds): a page of 100 events 19 req/s with keepalive 5 and 33
# without; an event's detail 78 and 136. Clients keep their connections to the TLS-terminating proxy in front.
keepalive = 0
