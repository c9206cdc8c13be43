"""The app starts from environment variables alone, and refuses configurations that would be unsafe or ambiguous."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def _env(**overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}}
    env.update(overrides)
    return env


def _manage(*args: str, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=PROJECT, env=_env(**env), capture_output=True, text=True, timeout=120
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_production_without_secret_key_refuses_to_start():
    """With DEBUG off and no SECRET_KEY the app will not start, and says what to set."""
    result = _manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_ambiguous_debug_value_refuses_to_start():
    """DEBUG=maybe is neither true nor false: refused, with the accepted values."""
    result = _manage("check", DEBUG="maybe", SECRET_KEY="x")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_default_database_is_a_sqlite_file_in_the_project():
    """Without DATABASE_URL the embedded default is a SQLite file inside the project."""
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; print(d['ENGINE'], d['NAME'])",
        DEBUG="1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["django.db.backends.sqlite3", str(PROJECT / "db.sqlite3")]


def test_postgres_url_selects_postgresql():
    """A postgres:// DATABASE_URL selects the PostgreSQL backend with the URL's parts."""
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; d = settings.DATABASES['default']; "
        "print(d['ENGINE'], d['HOST'], d['PORT'], d['NAME'], d['USER'])",
        DEBUG="1",
        DATABASE_URL="postgres://curator:pw@db.example:6543/treaties",
    )
    assert result.returncode == 0, result.stderr
    # Django's PostgreSQL backend, with every wait on the server bounded (apps/core/db/postgresql).
    assert result.stdout.split()[-5:] == ["apps.core.db.postgresql", "db.example", "6543", "treaties", "curator"]


@pytest.mark.slow
def test_app_starts_under_gunicorn_on_an_empty_sqlite_file(tmp_path):
    """Production settings on a new, empty SQLite file: migrate, start gunicorn, serve the admin login page."""
    env = {
        "SECRET_KEY": "a-real-secret-for-this-test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    migrated = _manage("migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "treatyapi.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=PROJECT,
        env=_env(**env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5) as response:
                    assert response.status == 200
                    assert b"Django administration" in response.read()
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_local_settings_in_the_env_file_reach_every_new_shell(tmp_path):
    """A .env holding DEBUG=1 (what the README's first command writes) lets a later command run in a new shell, such
    as createsuperuser, start without exporting anything; the environment still wins over the file."""
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\n")
    started = _manage("shell", "-c", "from django.conf import settings; print(settings.DEBUG)", ENV_FILE=str(env_file))
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip().splitlines()[-1] == "True"
    overridden = _manage("check", ENV_FILE=str(env_file), DEBUG="0")
    assert overridden.returncode != 0
    assert "SECRET_KEY is not set" in overridden.stderr


def test_the_suite_reads_no_env_file():
    """pytest-env empties ENV_FILE, so a developer's .env cannot change what the tests (and their servers) see."""
    assert os.environ["ENV_FILE"] == ""
