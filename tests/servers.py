"""Real servers for the tests marked ``services``: a throwaway PostgreSQL 15 cluster, a Redis server and gunicorn
with the production settings (``gunicorn.conf.py``, DEBUG off), each on a free loopback port, each stopped at the end.

PostgreSQL and Redis come from Debian's packages (``postgresql-15``, ``redis-server``), as in CI (``.ci/run``).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} not within {timeout} s"
        time.sleep(0.05)


def signal_tree(pid: int, sig: int) -> None:
    """Send ``sig`` to a process and its children (a PostgreSQL postmaster and its backends)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for child in [pid, *map(int, children)]:
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass


@dataclass
class Postgres:
    """A PostgreSQL 15 cluster in a directory of its own; ``pause`` stops its processes without stopping them."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command, **kwargs):
        # initdb and the server refuse to run as root: run them as the postgres system user then.
        as_user = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        return subprocess.run([*as_user, *command], check=True, capture_output=True, **kwargs)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = self.directory / "data", self.directory / "server.log"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "30", "-o", options, "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate", "-w", "stop")

    def postmaster(self) -> int:
        return int((self.directory / "data" / "postmaster.pid").read_text().split()[0])

    def pause(self) -> None:
        signal_tree(self.postmaster(), signal.SIGSTOP)

    def resume(self) -> None:
        signal_tree(self.postmaster(), signal.SIGCONT)


@contextmanager
def postgres():
    # Outside pytest's temporary directories, which the postgres user may not enter.
    directory = Path(tempfile.mkdtemp(prefix="treatyapi-pg-"))
    if os.getuid() == 0:
        if subprocess.run(["id", "postgres"], capture_output=True).returncode:
            subprocess.run(["useradd", "--system", "--home-dir", str(directory), "postgres"], check=True)
        shutil.chown(directory, "postgres")
    server = Postgres(directory, free_port())
    server._run(str(PG_BIN / "initdb"), "-D", str(directory / "data"), "-U", "postgres", "-A", "trust", "--no-sync")
    server.start()
    try:
        yield server
    finally:
        server.resume()
        subprocess.run(
            [*(["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else [])]
            + [str(PG_BIN / "pg_ctl"), "-D", str(directory / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Redis:
    """A Redis server without persistence; ``stop`` loses its data (as a restart would), ``pause`` keeps it."""

    directory: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    return s.recv(16).startswith(b"+PONG")
            except OSError:
                return False

        wait_until(answers, 10, "redis-server answering")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(10)

    def pause(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


@contextmanager
def redis(tmp_path: Path):
    server = Redis(tmp_path, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def django_env(**variables) -> dict:
    """The environment of a production process: DEBUG off, plain HTTP on loopback, limits out of the way."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO"))}
    env.update(
        {
            "SECRET_KEY": "a-secret-for-the-service-tests",
            "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "THROTTLE_ANON": "100000/min",
            "THROTTLE_USER": "100000/min",
            "LOG_LEVEL": "WARNING",
            # Production's timeouts (the suite's own environment raises them).
            "DB_CONNECT_TIMEOUT": "3",
            "DB_STATEMENT_TIMEOUT": "5",
            "DB_LOCK_TIMEOUT": "3",
            **variables,
        }
    )
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def curator_token(env: dict) -> str:
    """The token of a user holding every write permission of the dataset (as .ci/fuzz.sh makes it)."""
    code = (
        "from django.contrib.auth.models import Group, Permission, User\n"
        "from rest_framework.authtoken.models import Token\n"
        "models = ['source', 'state', 'treaty', 'membership', 'event', 'statement']\n"
        "group, _ = Group.objects.get_or_create(name='service-writers')\n"
        "codenames = [f'{a}_{m}' for a in ('add', 'change', 'delete') for m in models]\n"
        "group.permissions.add(*Permission.objects.filter(codename__in=codenames))\n"
        "user, _ = User.objects.get_or_create(username='service-curator')\n"
        "user.groups.add(group)\n"
        "print(Token.objects.get_or_create(user=user)[0].key)\n"
    )
    return manage(env, "shell", "-c", code).split()[-1]


@contextmanager
def gunicorn(env: dict, log: Path, *options: str):
    """gunicorn with gunicorn.conf.py on a free port; yields the base URL once the API answers."""
    port = free_port()
    with open(log, "ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "treatyapi.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "2", *options],
            cwd=PROJECT,
            env=env,
            stdout=output,
            stderr=output,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert server.poll() is None, log.read_text()[-3000:]
        try:
            return fetch(base + "/api/", timeout=2).status == 200
        except OSError:
            return False

    try:
        wait_until(up, 30, "gunicorn answering")
        yield base
    finally:
        server.terminate()
        server.wait(15)


@dataclass
class Answer:
    status: int
    headers: dict
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)


def fetch(url: str, method: str = "GET", body=None, timeout: float = 30, **headers) -> Answer:
    """One HTTP request; any status is an answer (only a failure to connect or a timeout raises)."""
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read(), time.monotonic() - started)
    except urllib.error.HTTPError as error:
        return Answer(error.code, dict(error.headers), error.read(), time.monotonic() - started)
