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
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
# Production's API_CACHE_VERSION_TTL (the suite's own environment reads the version on every request): the bound on
# a stale read after a write acknowledged by another server.
VERSION_TTL = 0.1


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
    options: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.directory), *self.options],
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

    def command(self, *words: str) -> bytes:
        """One command, its reply's first line (e.g. b"+OK")."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(resp(words))
            return s.recv(1024).split(b"\r\n")[0]

    def fill(self, prefix: str, megabytes: int, *expiry: str) -> list[bytes]:
        """Write ``megabytes`` of 10 kB values (``expiry``: e.g. ``EX 600``), pipelined; each write's reply."""
        value = "x" * 10_000
        commands = [resp(("SET", f"{prefix}:{n}", value, *expiry)) for n in range(megabytes * 100)]
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as s:
            s.sendall(b"".join(commands))
            replies = b""
            while replies.count(b"\r\n") < len(commands):
                replies += s.recv(65536)
        return replies.split(b"\r\n")[: len(commands)]

    def info(self, field: str) -> str:
        """One field of ``INFO`` (e.g. ``evicted_keys``)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(resp(("INFO",)))
            text = b""
            while f"\r\n{field}:".encode() not in text or not text.endswith(b"\r\n"):
                text += s.recv(65536)
        return text.split(f"\r\n{field}:".encode())[1].split(b"\r\n")[0].decode()

    def snapshot(self) -> None:
        """Write a dump (``SAVE``) that the next ``start`` loads: a restart from an older snapshot."""
        assert self.command("SAVE") == b"+OK"

    def forget_snapshot(self) -> None:
        (self.directory / "dump.rdb").unlink(missing_ok=True)


def resp(words) -> bytes:
    """A command in Redis's protocol."""
    return (f"*{len(words)}\r\n" + "".join(f"${len(word)}\r\n{word}\r\n" for word in words)).encode()


@contextmanager
def redis(tmp_path: Path, *options: str):
    """A Redis server; ``options`` are redis-server's (e.g. ``--maxmemory 8mb``)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    server = Redis(tmp_path, free_port(), options=options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class Partition:
    """A TCP relay between app servers and a backing server. ``cut`` makes it drop what it is sent (a network path
    that loses packets: connections stay open, nothing answers, and what was sent meanwhile never arrives, as after a
    partition longer than TCP retransmits); ``heal`` lets bytes through again."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.flowing = threading.Event()
        self.flowing.set()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def url_for(self, url: str) -> str:
        return url.replace(f":{self.target_port}", f":{self.port}")

    def cut(self) -> None:
        self.flowing.clear()

    def heal(self) -> None:
        self.flowing.set()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for source, destination in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, destination), daemon=True).start()

    def _pump(self, source: socket.socket, destination: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.flowing.is_set():
                    destination.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, destination):
                end.close()


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
            "DB_RETRY_AFTER": "1",
            "API_CACHE_VERSION_TTL": str(VERSION_TTL),
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


class Served(str):
    """The base URL of a running gunicorn; ``kill`` ends its master and workers at once, as a crash would."""

    process: subprocess.Popen

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(15)

    def from_every_worker(self, path: str) -> list["Answer"]:
        """``path`` answered once by each worker in turn (the others stopped meanwhile), so each has served it."""
        workers = [
            int(pid)
            for pid in subprocess.run(
                ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
            ).stdout.split()
        ]
        answers = []
        for worker in workers:
            others = [pid for pid in workers if pid != worker]
            for pid in others:
                os.kill(pid, signal.SIGSTOP)
            try:
                answers.append(fetch(self + path))
            finally:
                for pid in others:
                    os.kill(pid, signal.SIGCONT)
        return answers


@contextmanager
def gunicorn(env: dict, log: Path, *options: str, checkout: Path = PROJECT):
    """gunicorn with gunicorn.conf.py on a free port, serving ``checkout`` (this project unless another is given, as
    the benchmarks compare); yields the base URL (``Served``) once the API answers."""
    port = free_port()
    with open(log, "ab") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "treatyapi.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "2", *options],
            cwd=checkout,
            env=env,
            stdout=output,
            stderr=output,
            start_new_session=True,
        )
    base = Served(f"http://127.0.0.1:{port}")
    base.process = server

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
        if server.poll() is None:
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
