#!/usr/bin/env python
"""How long a large CSV import of events takes at the curation desk, end to end, as a curator lives it.

On a new SQLite file (or the database DATABASE_URL names, which must be empty) with the dataset loaded, a curator
uploads ROWS new event rows through the admin's Import page (Django's test client, in this process, so the
background check and import run as threads here as they would in a gunicorn worker), polls the status page every
second, confirms from it once the check is done, and polls again until the import is done. Every row cites a
passage the dataset already cites, so the quote is checked against the source's stored text as any import's is.

Prints the seconds and rows per second of the upload's answer, the background check and the background import,
and the number of status pages polled. Usage: ``python -m bench.imports [--rows 10000]``.
"""

import argparse
import csv
import io
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
    from django.urls import reverse

    from apps.events.models import Event, EventCitation

    call_command("migrate", verbosity=0)
    call_command("load_dataset", verbosity=0)
    cited = (
        EventCitation.objects.select_related("event__treaty", "source")
        .exclude(quote="")
        .filter(event__date__isnull=False)
        .first()
    )
    model = cited.event
    columns = ["slug", "type", "date", "date_precision", "title", "treaty", "source", "quote", "locator"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    for n in range(1, options.rows + 1):
        writer.writerow(
            {
                "slug": f"bench-import-{n}",
                "type": model.type,
                "date": model.date.isoformat(),
                "date_precision": model.date_precision,
                "title": f"Bench import {n}",
                "treaty": model.treaty.slug,
                "source": cited.source.slug,
                "quote": cited.quote,
                "locator": cited.locator,
            }
        )
    before = Event.objects.count()

    curator = get_user_model().objects.create_superuser("bench-curator", "bench@example.org", "unused-password")
    client = Client()
    client.force_login(curator)
    polls = 0

    def wait(url: str, still: str) -> str:
        nonlocal polls
        while True:
            page = client.get(url).content.decode()
            polls += 1
            status = re.search(r'<p id="import-status">(.*?)</p>', page, re.S).group(1)
            if not status.startswith(still):
                return page
            time.sleep(1)

    started = time.perf_counter()
    upload = io.BytesIO(out.getvalue().encode())
    upload.name = "events.csv"
    answer = client.post(reverse("admin:events_event_import"), {"format": "0", "import_file": upload})
    answered = time.perf_counter()
    assert answer.status_code == 302, f"the upload answered {answer.status_code}, not the status page"
    page = wait(answer["Location"], "Checking")
    checked = time.perf_counter()
    form = re.search(r'<form id="import-confirm".*?</form>', page, re.S)
    assert form, "no confirm form on the status page: " + re.sub(r"\s+", " ", page)[-2000:]
    confirm = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group()))
    confirmed_at = time.perf_counter()
    answer = client.post(reverse("admin:events_event_process_import"), confirm)
    confirm_answered = time.perf_counter()
    page = wait(answer["Location"], "Importing")
    imported = time.perf_counter()
    status = re.search(r'<p id="import-status">(.*?)</p>', page, re.S).group(1)
    written = Event.objects.count() - before

    def rate(seconds: float) -> str:
        return f"{seconds:8.1f} s  {options.rows / seconds:6.1f} rows/s"

    engine = django.db.connection.vendor
    print(f"CSV import of {options.rows} event rows on {engine}, batches of 50, status polled every second")
    print(f"  upload answered     {answered - started:8.2f} s")
    print(f"  background check    {rate(checked - started)}")
    print(f"  confirm answered    {confirm_answered - confirmed_at:8.2f} s")
    print(f"  background import   {rate(imported - confirmed_at)}")
    print(f"  status pages polled {polls}")
    print(f"  final status        {status}")
    print(f"  events written      {written}")
    return 0 if written == options.rows else 1


if __name__ == "__main__":
    sys.exit(main())
