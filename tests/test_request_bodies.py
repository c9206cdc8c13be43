"""Request bodies through a real gunicorn: chunked bodies are read whole (or refused), limits hold, errors are JSON.

Django's test client always sends a Content-Length, so what a client sending ``Transfer-Encoding: chunked`` gets
can only be seen through the server: before apps/core/bodies.py, a chunked PATCH answered 200 having saved nothing.
"""

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
LIMIT = 4096
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """gunicorn on a new SQLite file holding the dataset, with a curator token; yields (port, token)."""
    work = tmp_path_factory.mktemp("bodies")
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL", "CACHE_URL"}},
        "SECRET_KEY": "a-real-secret-for-this-test",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "CACHE_URL": "locmem://",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_MAX_BODY_BYTES": str(LIMIT),
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    manage("load_dataset", "--verbosity", "0")
    token = manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; from rest_framework.authtoken.models import Token; "
        "print(Token.objects.create(user=User.objects.create_superuser('bodies', 'b@example.org', 'pw')).key)",
    ).split()[-1]
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "treatyapi.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _, _ = _send(port, "GET", "/api/")
                assert status == 200
                break
            except OSError:
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
        yield port, token
    finally:
        process.terminate()
        process.wait(timeout=10)


def _send(port: int, method: str, path: str, body=None, *, chunked: bool = False, **headers):
    """One request on a new connection; a chunked body is sent as several chunks, with no Content-Length."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            chunks = [body[i : i + 7] for i in range(0, len(body), 7)]
            connection.request(method, path, body=iter(chunks), headers=headers, encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _write(server, method: str, path: str, document: dict | bytes, *, chunked: bool, etag: str | None = None):
    port, token = server
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    if etag:
        headers["If-Match"] = etag
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return _send(port, method, path, body, chunked=chunked, **headers)


def _read(server, path: str):
    status, headers, body = _send(server[0], "GET", path)
    assert status == 200, body
    return headers["ETag"], json.loads(body)


def test_a_chunked_patch_is_saved(server):
    etag, before = _read(server, "/api/treaties/inf/")
    status, _, body = _write(
        server, "PATCH", "/api/treaties/inf/", {"notes": "Sent in chunks."}, chunked=True, etag=etag
    )
    assert status == 200, body
    new_etag, after = _read(server, "/api/treaties/inf/")
    assert after["notes"] == "Sent in chunks."
    assert new_etag != etag


def test_a_chunked_post_creates_the_record(server):
    # A passage an existing event cites: the documents are loaded, so a quote must be found in its source's text.
    _, events = _read(server, "/api/events/?page_size=1")
    cited = events["results"][0]["citations"][0]
    event = {
        "slug": "chunked-meeting",
        "type": "meeting",
        "title": "A meeting sent in chunks",
        "citations": [{"source": cited["source"]["slug"], "quote": cited["quote"], "prefix": cited["prefix"]}],
    }
    status, headers, body = _write(server, "POST", "/api/events/", event, chunked=True)
    assert status == 201, body
    assert _read(server, "/api/events/chunked-meeting/")[1]["title"] == "A meeting sent in chunks"


@pytest.mark.parametrize("chunked", [True, False])
def test_a_body_over_the_limit_is_a_json_413_and_changes_nothing(server, chunked):
    etag, before = _read(server, "/api/treaties/inf/")
    document = json.dumps({"notes": "x" * (LIMIT + 10)}).encode()
    status, headers, body = _write(server, "PATCH", "/api/treaties/inf/", document, chunked=chunked, etag=etag)
    assert status == 413, body
    assert headers["Content-Type"] == "application/json"
    error = json.loads(body)
    assert error["code"] == "too_large" and f"{LIMIT} bytes" in error["detail"]
    assert _read(server, "/api/treaties/inf/") == (etag, before)


def test_a_deeply_nested_body_is_a_json_400(server):
    etag, _ = _read(server, "/api/treaties/inf/")
    document = b'{"notes": ' + b"[" * 1500 + b"]" * 1500 + b"}"
    status, headers, body = _write(server, "PATCH", "/api/treaties/inf/", document, chunked=False, etag=etag)
    assert status == 400, body
    assert "levels deep" in json.loads(body)["detail"]


def test_a_chunked_body_outside_the_api_is_411(server):
    """The admin's forms never come chunked from a browser; such a request is refused before Django reads it."""
    status, _, body = _send(
        server[0],
        "POST",
        "/admin/login/",
        b"username=a&password=b",
        chunked=True,
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 411
    assert b"Content-Length" in body


def test_an_unmatched_api_path_is_a_json_404(server):
    status, headers, body = _send(server[0], "GET", "/api/no/such/thing")
    assert status == 404
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["code"] == "not_found"


# --- What gunicorn answers itself, before the app (issue 22, defect 11) ---------------------------------------------


def _raw(port: int, request: bytes) -> tuple[int, dict, bytes]:
    """Send bytes as they are (a client that breaks HTTP's rules); the answer, read to the end of the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/events/?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 414),
        (
            b"GET /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + b"".join(b"X-%d: 1\r\n" % n for n in range(120))
            + b"\r\n",
            431,
        ),
        (
            b"POST /api/events/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
            b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n0\r\n\r\n",
            400,
        ),
    ],
    ids=["overlong URI", "too many headers", "Content-Length and Transfer-Encoding"],
)
def test_what_gunicorn_refuses_before_the_app_is_answered_in_the_error_shape(server, request_bytes, status):
    """gunicorn answered these with its own HTML page; a client of the API gets the one JSON error shape."""
    answered, headers, body = _raw(server[0], request_bytes)
    assert (answered, headers["Content-Type"]) == (status, "application/json")
    error = json.loads(body)
    assert (error["status"], error["errors"]) == (status, [])
    assert error["code"] and error["detail"]


def test_a_script_name_header_is_not_taken_from_a_client(server):
    """gunicorn took SCRIPT_NAME from a header sent from a trusted address (the local one by default): a path not
    under it was a 500, a path under it was routed as another path."""
    status, headers, body = _send(server[0], "GET", "/api/treaties/", SCRIPT_NAME="/elsewhere")
    assert status == 200, body
    status, _, body = _send(server[0], "GET", "/api/treaties/", SCRIPT_NAME="/api")
    assert status == 200, body
    assert json.loads(body)["results"][0]["url"].startswith("http://127.0.0.1")
    assert "/api/treaties/" in json.loads(body)["results"][0]["url"]
