"""Adding a plain field to a dataset model is one model line plus ``makemigrations``.

Done for real, as a maintainer would, in a throwaway copy of this checkout: one optional text field is added to
``Event``, the migrations are generated, and then the copy migrates a new database (PostgreSQL when the suite runs
there, else SQLite), loads the dataset, releases it with the new column, generates synthetic data, and passes the
test modules that the field could break (fixtures, CSV, history, admin forms). The first cut of the read path
failed the migrate step on SQLite (database triggers naming the event table) and the generator and a CSV test after
it; this test would have caught each of them.
"""

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
NEW_FIELD = '    outcome = models.CharField(max_length=200, blank=True, default="", help_text="What came of it.")\n'
# What could break when a field is added, besides migrate itself.
AFFECTED_TESTS = [
    "tests/test_dataset.py",
    "tests/test_csv_import.py",
    "tests/test_history.py",
    "tests/test_admin_smoke.py::test_every_editable_field_is_on_the_admin_form",
    "tests/test_api_endpoints.py::test_csv_export_is_flat_with_stable_columns",
]


def _copy_checkout(target: Path) -> None:
    """The checkout's tracked files as they are in the working tree (uncommitted changes included)."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _add_field_to_event(checkout: Path) -> None:
    """One line in the Event model, after its first field: the whole edit."""
    models_py = checkout / "apps/events/models.py"
    text = models_py.read_text()
    first_field = re.search(r"^class Event\(.*?\n(?:.*\n)*?(    slug = models\..*\n)", text, re.M)
    assert first_field, "Event's first field not found"
    models_py.write_text(text[: first_field.end()] + NEW_FIELD + text[first_field.end() :])


@pytest.fixture
def database_url():
    """A new, empty database on the server the suite runs on (a new SQLite file otherwise); dropped afterwards."""
    # By vendor, not ENGINE: production's engine is a subclass of Django's PostgreSQL backend (apps.core.db).
    if connection.vendor != "postgresql":
        yield None
        return
    import psycopg

    name = f"treatyapi_field_probe_{uuid.uuid4().hex[:8]}"
    admin_url = os.environ["DATABASE_URL"]
    with psycopg.connect(admin_url, autocommit=True) as server:
        server.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin_url, autocommit=True) as server:
        server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_adding_a_field_to_event_is_one_line_plus_makemigrations(tmp_path, database_url):
    checkout = tmp_path / "checkout"
    _copy_checkout(checkout)
    _add_field_to_event(checkout)
    env = {
        **os.environ,
        "DEBUG": "1",
        "CACHE_URL": "locmem://",
        "DATABASE_URL": database_url or f"sqlite:///{tmp_path}/probe.sqlite3",
        "PYTHONPATH": str(checkout),
    }

    def run(*command: str) -> str:
        result = subprocess.run(command, cwd=checkout, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        return result.stdout

    manage = [sys.executable, "manage.py"]
    migrations_before = set(checkout.glob("apps/*/migrations/0*.py"))
    run(*manage, "makemigrations")
    added = sorted(str(path.relative_to(checkout)) for path in set(checkout.glob("apps/*/migrations/0*.py")))
    added = [name for name in added if checkout / name not in migrations_before]
    # The event's migration, and its historical model's (django-simple-history follows by itself).
    assert [name.split("/")[1] for name in added] == ["events", "history"], added

    run(*manage, "migrate", "-v0")
    if database_url:  # the new column is in the server's new database, not in some SQLite file
        import psycopg

        with psycopg.connect(database_url) as server:
            found = server.execute(
                "SELECT 1 FROM information_schema.columns"
                " WHERE table_name = 'events_event' AND column_name = 'outcome'"
            ).fetchone()
        assert found, "migrate did not add the column on PostgreSQL"
    run(*manage, "load_dataset", "--no-migrate", "-v0")
    # The next release has the new column, at its default everywhere: no record changed, no other file differs.
    out = run(*manage, "release", "1.0.1", "--output", str(tmp_path / "released"))
    assert "0 records changed since 1.0.0" in out, out
    released = tmp_path / "released"
    assert (released / "events.csv").read_text().splitlines()[0].startswith("slug,outcome,type,")
    changed = {
        path.name
        for path in released.iterdir()
        if path.read_bytes() != (checkout / "fixtures" / path.name).read_bytes()
    }
    assert changed == {"events.csv", "events.json", "datapackage.json", "changes.csv", "changes.json"}
    run(*manage, "generate_synthetic", "--events", "200", "--append", "-v0")

    # The suite's own checks of fixtures, CSV, history and admin forms, run in the copy (its test database is
    # made from DATABASE_URL's, so it is the copy's own).
    run(sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider", *AFFECTED_TESTS)
