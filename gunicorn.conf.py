"""gunicorn's production settings, read from the working directory by every gunicorn started here (the README's
recipe, the benchmark, CI and the tests' servers); command-line options override them.

Synchronous workers, 2 × cores + 1 of them (gunicorn's own recommendation). A request waiting on a stalled database
holds its worker at most DB_STATEMENT_TIMEOUT + 1 seconds (see apps/core/db/postgresql); the other workers keep
serving cached pages, which need no database. Put a buffering proxy in front (it also terminates TLS): a sync
worker is held by a slow client too.

Threaded workers (gthread, 2 × 8 threads) were the choice until this measurement, on the benchmark's SQLite database
(2 workers, wrk 4 s, requests per second at 2 and 8 connections):

    | page                     | gthread, 8 threads | sync, 2 workers | sync, 5 workers |
    |--------------------------|--------------------|-----------------|-----------------|
    | cached page of 100       | 689 / 869          | 1461 / 1634     | 982 / 1270      |
    | static page (ceiling)    | 818 / 938          | 1632 / 1519     | 1322 / 1513     |
    | floor (uncached, 100)    | 55 / 62            | 92 / 85         | 87 / 69         |

A gthread worker hands each connection from its accepting thread to a pool thread, and accepts every connection it
sees, so two clients often share one process (one core) while another idles. GUNICORN_THREADS above 1 gives each
worker that many threads (gunicorn then runs gthread workers): more requests can wait on a stalled database before
cached pages queue behind them, at the cost above.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "sync"
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A worker that stops answering its arbiter (a request held longer than this) is restarted.
timeout = 30
graceful_timeout = 10
# Threaded workers only (sync workers close every connection): a kept-alive connection would stay with the worker
# that accepted it. Measured with gthread (2 workers, wrk -c2): a page of 100 events 19 req/s with keepalive 5, 33
# without. Clients keep their connections to the proxy in front.
keepalive = 0
