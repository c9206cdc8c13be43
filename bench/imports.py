#!/usr/bin/env python
"""How long a large CSV import of events takes at the curation desk, end to end, as a curator lives it.

On a new SQLite file (or the database DATABASE_URL names, which must be empty) with the dataset loaded, a curator
uploads ROWS new event rows through the admin's Import page (Django's test client, in this process), while a queue
worker (``manage.py db_worker``, a process of its own, as in production) checks the file; the curator polls the
status page every second, confirms from it once the check is done, and polls again until the worker has imported
it. Every row cites a passage the dataset already cites, so the quote is checked against the source's stored text as
any import's is.

Prints the seconds and rows per second of the upload's answer, the background check and the background import,
and the number of status pages polled. Usage: ``python -m bench.imports [--rows 10000]``.

The functions above ``main`` drive the desk the same way for tests/test_worker_kill.py.
"""

import argparse
import csv
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def event_rows_csv(count: int, prefix: str) -> bytes:
    """A CSV file of ``count`` new events, slugs ``{prefix}-1``..., each citing a passage the dataset cites."""
    from apps.events.models import EventCitation

    cited = (
        EventCitation.objects.select_related("event__treaty", "source")
        .exclude(quote="")
        .filter(event__date__isnull=False, event__treaty__isnull=False)
        .first()
    )
    model = cited.event
    columns = ["slug", "type", "date", "date_precision", "title", "treaty", "source", "quote", "locator"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for n in range(1, count + 1):
        writer.writerow(
            {
                "slug": f"{prefix}-{n}",
                "type": model.type,
                "date": model.date.isoformat(),
                "date_precision": model.date_precision,
                "title": f"Imported event {n}",
                "treaty": model.treaty.slug,
                "source": cited.source.slug,
                "quote": cited.quote,
                "locator": cited.locator,
            }
        )
    return out.getvalue().encode()


def status_of(page: str) -> str:
    """The one sentence of an import's status page."""
    return re.search(r'<p id="import-status">(.*?)</p>', page, re.S).group(1)


def upload(client, data: bytes) -> str:
    """Upload ``data`` on the events' Import page; the URL of the status page it answers with."""
    from django.urls import reverse

    file = io.BytesIO(data)
    file.name = "events.csv"
    answer = client.post(reverse("admin:events_event_import"), {"format": "0", "import_file": file})
    assert answer.status_code == 302, f"the upload answered {answer.status_code}, not the status page"
    return answer["Location"]


def confirm(client, page: str) -> str:
    """Press the status page's confirm button; the URL of the status page the confirm answers with."""
    from django.urls import reverse

    form = re.search(r'<form id="import-confirm".*?</form>', page, re.S)
    assert form, "no confirm form on the status page: " + re.sub(r"\s+", " ", page)[-2000:]
    values = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group()))
    answer = client.post(reverse("admin:events_event_process_import"), values)
    assert answer.status_code == 302, f"the confirm answered {answer.status_code}"
    return answer["Location"]


def wait(client, url: str, *still: str, every: float = 1.0, timeout: float = 3600) -> tuple[str, int]:
    """Poll the status page at ``url`` while its status starts with one of ``still``: the last page, and polls."""
    deadline, polls = time.monotonic() + timeout, 0
    while True:
        page = client.get(url).content.decode()
        polls += 1
        if not status_of(page).startswith(still):
            return page, polls
        assert time.monotonic() < deadline, f"still '{status_of(page)}' after {timeout} s"
        time.sleep(every)


def start_worker(**popen) -> subprocess.Popen:
    """A queue worker process on this environment's database, as production runs it."""
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    return subprocess.Popen(command, cwd=ROOT, **popen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000, help="Event rows in the uploaded file (default 10000).")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="treaty-import-bench-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'db.sqlite3'}")
    os.environ.setdefault("SECRET_KEY", "bench-imports-only")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "treatyapi.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from apps.events.models import Event

    call_command("migrate", verbosity=0)
    call_command("load_dataset", verbosity=0)
    data = event_rows_csv(options.rows, "bench-import")
    before = Event.objects.count()
    curator = get_user_model().objects.create_superuser("bench-curator", "bench@example.org", "unused-password")
    client = Client()
    client.force_login(curator)

    worker = start_worker(stdout=subprocess.DEVNULL)
    try:
        started = time.perf_counter()
        url = upload(client, data)
        answered = time.perf_counter()
        # "Interrupted": the worker missed its lease (a batch longer than TASKS_LEASE_SECONDS on a loaded machine) and
        # its task was queued again; it goes on, and the time counts.
        page, check_polls = wait(client, url, "Waiting", "Checking", "Interrupted")
        checked = time.perf_counter()
        confirmed_at = time.perf_counter()
        url = confirm(client, page)
        confirm_answered = time.perf_counter()
        page, import_polls = wait(client, url, "Waiting", "Importing", "Interrupted")
        imported = time.perf_counter()
    finally:
        worker.terminate()
        worker.wait(30)
    written = Event.objects.count() - before

    def rate(seconds: float) -> str:
        return f"{seconds:8.1f} s  {options.rows / seconds:6.1f} rows/s"

    engine = django.db.connection.vendor
    print(
        f"CSV import of {options.rows} event rows on {engine}, batches of 50, one worker, status polled every second"
    )
    print(f"  upload answered     {answered - started:8.2f} s")
    print(f"  background check    {rate(checked - started)}")
    print(f"  confirm answered    {confirm_answered - confirmed_at:8.2f} s")
    print(f"  background import   {rate(imported - confirmed_at)}")
    print(f"  status pages polled {check_polls + import_polls}")
    print(f"  final status        {status_of(page)}")
    print(f"  events written      {written}")
    loads = " ".join(f"{load:.1f}" for load in os.getloadavg())
    print(f"  load average        {loads} at the end, {os.cpu_count()} cores")
    return 0 if written == options.rows else 1


if __name__ == "__main__":
    sys.exit(main())
