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

import json
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
# SCRIPT_NAME (and PATH_INFO) are taken from request headers only from these front ends' addresses, and gunicorn
# trusts the local address by default: a client's "SCRIPT_NAME: /elsewhere" was then a 400 or 500, and one naming a
# prefix of the path was routed as another path. No header sets them; a deployment under a prefix sets the
# SCRIPT_NAME environment variable of the gunicorn process.
forwarder_headers = ""

# gunicorn's own limits: a request line over 4094 bytes (414), more than 100 header fields (431), a field over 8190
# bytes (431). What it refuses before the app runs gets the API's JSON error (below); a proxy in front has limits of
# its own, answered with its own pages (see docs/api.md).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190


# What gunicorn refuses before the app runs, by status: the error's code, and what the client can do about it.
PROTOCOL_ERRORS = {
    400: ("bad_request", "The request breaks HTTP's rules"),
    403: ("forbidden", "The request is refused"),
    414: ("uri_too_long", "The request line is too long: send fewer or shorter query parameters"),
    417: ("expectation_failed", "Only 'Expect: 100-continue' is understood"),
    431: ("headers_too_large", "Too many header fields, or one too long: send fewer"),
    501: ("not_implemented", "No transfer coding but chunked is implemented"),
}


def post_worker_init(worker):
    """Answer what gunicorn refuses itself (a request it cannot parse, over a limit, with conflicting framing) in the
    API's error shape rather than gunicorn's HTML page: no path is known for most of them, and a client of the API
    must be able to read every error the same way."""
    from gunicorn import util

    from apps.core.api.exceptions import error_body

    def write_error(sock, status_int, reason, mesg):
        code, advice = PROTOCOL_ERRORS.get(status_int, ("server_error", "The server failed; the error is logged"))
        detail = f"{advice} ({mesg})." if mesg else f"{advice}."
        body = json.dumps(error_body(status_int, code, detail)).encode()
        head = f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
        util.write_nonblock(sock, f"{head}Content-Length: {len(body)}\r\n\r\n".encode("latin-1") + body)

    util.write_error = write_error
    settled()


def settled():
    """Import what every request needs now, then put it out of the garbage collector's sight: the ~120,000 objects
    of Django, DRF and the project's modules live as long as the worker, yet a full collection walked them all, 65-100
    ms each time, a few times a minute under load: the slowest 1% of requests. Measured in-process at a million
    events (a page of 100 memberships, 800 requests): slowest 118 ms, p99 20.5 ms before; slowest 23.8 ms, p99 20.6
    ms after, a full collection 8 ms at most (``gc.freeze``; what is created later, per request, is collected as
    before)."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 -- the views, serializers and filters, imported now
    gc.freeze()
