"""CSV import of events and statements in the admin: a preview with row errors, then a recorded import."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.curation.models import PendingImport
from apps.events.models import Event, Statement

EVENT_COLUMNS = ["slug", "type", "date", "date_precision", "title", "treaty", "source", "quote", "locator"]


def _csv(columns, rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return SimpleUploadedFile("rows.csv", out.getvalue().encode(), content_type="text/csv")


def _preview(client, name: str, upload):
    response = client.post(reverse(f"admin:events_{name}_import"), {"format": "0", "import_file": upload})
    assert response.status_code == 200
    return response


@pytest.fixture
def good_event_row(sample_dataset):
    return {
        "slug": "russia-withdrawal-notice",
        "type": "withdrawal_notice",
        "date": "2021-06-18",
        "date_precision": "day",
        "title": "Russia notifies its withdrawal",
        "treaty": sample_dataset["treaty"].slug,
        "source": sample_dataset["source"].slug,
        "quote": "Russia notified the depositaries on June 18.",
        "locator": "para. 2",
    }


def test_preview_lists_row_errors_and_writes_nothing(good_event_row, curator_client):
    """Bad rows are reported by row and column in the preview, with no confirm button, and nothing is saved."""
    rows = [
        good_event_row,
        good_event_row | {"slug": "uncited", "source": "", "quote": ""},
        good_event_row | {"slug": "bad-date", "date_precision": "month"},
        good_event_row | {"slug": "unknown-source", "source": "no-such-source"},
        good_event_row | {"slug": "a-year", "date": "2021"},
    ]
    response = _preview(curator_client, "event", _csv(EVENT_COLUMNS, rows))
    result = response.context["result"]
    assert result.has_validation_errors()
    errors = {row.number: row.error.message_dict for row in result.invalid_rows}
    assert set(errors) == {2, 3, 4, 5}
    assert "needs at least one citation that supports it" in errors[2]["quote"][0]
    assert "1st of its month" in errors[3]["date"][0]
    assert "no-such-source" in errors[4]["source"][0]
    # The admin form's words for a date that is only a year.
    assert errors[5]["date"] == ["“2021” is a year: enter 2021-01-01 (1 January) and choose the precision Year."]
    assert "confirm_form" not in response.context
    assert not Event.objects.filter(slug__in=[row["slug"] for row in rows]).exists()


def test_confirmed_import_creates_and_updates_with_history(sample_dataset, good_event_row, curator, curator_client):
    """A clean file is previewed then imported: new events come with their citation, edits are recorded."""
    existing = sample_dataset["events"][0]
    update = {column: "" for column in EVENT_COLUMNS} | {
        "slug": existing.slug,
        "type": existing.type,
        "date": existing.date.isoformat(),
        "date_precision": existing.date_precision,
        "title": "Retitled by import",
        "treaty": sample_dataset["treaty"].slug,
    }
    response = _preview(curator_client, "event", _csv(EVENT_COLUMNS, [good_event_row, update]))
    assert not response.context["result"].has_validation_errors()
    assert not Event.objects.filter(slug="russia-withdrawal-notice").exists()

    confirm = response.context["confirm_form"].initial
    done = curator_client.post(reverse("admin:events_event_process_import"), confirm)
    assert done.status_code == 302

    created = Event.objects.get(slug="russia-withdrawal-notice")
    assert created.citations.get().locator == "para. 2"
    assert created.history.get().history_user == curator
    assert created.citations.get().history.get().history_user == curator
    existing.refresh_from_db()
    assert existing.title == "Retitled by import"
    assert existing.history.latest().history_user == curator


def test_exported_statements_import_back_unchanged(sample_dataset, curator_client):
    """A statement export imported again changes nothing: every row is skipped."""
    url = reverse("admin:events_statement_export")
    form = curator_client.get(url).context["form"]
    columns = {name: "on" for name in form.fields if name.startswith("statementresource_")}
    export = curator_client.post(url, {"format": "0", "resource": "0", **columns})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    by_slug = {row["slug"]: row for row in rows}
    statement = sample_dataset["statements"][0]
    assert by_slug[statement.slug]["quote"] == statement.citations.get().quote
    assert by_slug[statement.slug]["source"] == sample_dataset["source"].slug
    assert by_slug[statement.slug]["joint_with"] == "RUS|USA"
    upload = SimpleUploadedFile("statements.csv", export.content, content_type="text/csv")
    before = Statement.history.count()
    response = _preview(curator_client, "statement", upload)
    result = response.context["result"]
    assert not result.has_validation_errors() and not result.has_errors()
    assert {row.import_type for row in result.rows} == {"skip"}
    assert Statement.history.count() == before


# --- Curation desk hardening: formulas escaped on export, the previewed file bound to its curator, used once -----


def _export(client, name: str) -> bytes:
    url = reverse(f"admin:events_{name}_export")
    form = client.get(url).context["form"]
    columns = {field: "on" for field in form.fields if field.startswith(f"{name}resource_")}
    response = client.post(url, {"format": "0", "resource": "0", **columns})
    assert response["Content-Type"].startswith("text/csv")
    return response.content


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1", "-1 reasons", "@SUM(A1)", "\tTab", "\rCR", "'=quoted"]
)
def test_export_escapes_spreadsheet_formulas_and_imports_back_unchanged(sample_dataset, curator_client, text):
    """Cells a spreadsheet would run get a leading apostrophe, as in the API's CSV; the import reads them back."""
    statement = sample_dataset["statements"][1]
    statement.text = text
    statement.save()
    statement.citations.update(quote=text)
    content = _export(curator_client, "statement")
    row = next(r for r in csv.DictReader(io.StringIO(content.decode())) if r["slug"] == statement.slug)
    assert row["text"] == row["quote"] == f"'{text}"
    if text[0] in "\t\r":
        return  # the import reads leading whitespace as it always has; the round trip is about formulas
    upload = SimpleUploadedFile("statements.csv", content, content_type="text/csv")
    result = _preview(curator_client, "statement", upload).context["result"]
    assert not result.has_validation_errors() and not result.has_errors()
    assert {row.import_type for row in result.rows} == {"skip"}


def _previewed(client, good_event_row, sample_dataset):
    response = _preview(client, "event", _csv(EVENT_COLUMNS, [good_event_row]))
    assert not response.context["result"].has_validation_errors()
    return response.context["confirm_form"].initial


def test_a_confirm_imports_once_and_a_second_is_a_message(sample_dataset, good_event_row, curator_client):
    confirm = _previewed(curator_client, good_event_row, sample_dataset)
    url = reverse("admin:events_event_process_import")
    assert curator_client.post(url, confirm).status_code == 302
    assert Event.objects.filter(slug=good_event_row["slug"]).count() == 1
    again = curator_client.post(url, confirm, follow=True)
    assert again.status_code == 200
    assert "already imported" in " ".join(str(m) for m in again.context["messages"])
    assert Event.objects.filter(slug=good_event_row["slug"]).count() == 1


def test_a_preview_is_confirmed_only_by_its_curator(sample_dataset, good_event_row, curator_client, curator):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    confirm = _previewed(curator_client, good_event_row, sample_dataset)
    other = User.objects.create_user("other-curator", is_staff=True)
    other.groups.add(Group.objects.get(name="curators"))
    other_client = Client()
    other_client.force_login(other)
    response = other_client.post(reverse("admin:events_event_process_import"), confirm, follow=True)
    assert "not yours" in " ".join(str(m) for m in response.context["messages"])
    assert not Event.objects.filter(slug=good_event_row["slug"]).exists()
    # Still there for its own curator.
    assert curator_client.post(reverse("admin:events_event_process_import"), confirm).status_code == 302
    assert Event.objects.filter(slug=good_event_row["slug"]).exists()


@pytest.mark.parametrize(
    "name", ["passwd", "../../etc/passwd", "/etc/hostname", "00000000-0000-0000-0000-000000000000"]
)
def test_a_confirm_never_reads_a_posted_file_name(sample_dataset, good_event_row, curator_client, tmp_path, name):
    """Whatever name is posted, nothing outside the curator's own previews is read or deleted: a message, not a 500."""
    import tempfile
    from pathlib import Path

    planted = Path(tempfile.gettempdir()) / "treatyapi-planted.csv"
    planted.write_text(",".join(EVENT_COLUMNS) + "\n")
    confirm = _previewed(curator_client, good_event_row, sample_dataset) | {"import_file_name": name}
    for posted in (name, planted.name):
        confirm["import_file_name"] = posted
        response = curator_client.post(reverse("admin:events_event_process_import"), confirm, follow=True)
        assert response.status_code == 200
        assert "Nothing was imported" in " ".join(str(m) for m in response.context["messages"])
    assert planted.exists()
    planted.unlink()
    assert not Event.objects.filter(slug=good_event_row["slug"]).exists()


def _bulk_rows(good_event_row, count: int, changes=None) -> list[dict]:
    rows = [good_event_row | {"slug": f"bulk-{n}", "quote": f"Quote {n}."} for n in range(1, count + 1)]
    for n, change in (changes or {}).items():
        rows[n - 1] |= change
    return rows


def test_a_large_import_runs_in_the_background_and_says_what_it_wrote(
    sample_dataset, good_event_row, curator, curator_client, settings, run_queue
):
    """Past the inline limit, the confirm answers at once with a status page and queues the import for a worker;
    the worker commits it in batches, recorded with the curator, and the page then gives the totals."""
    settings.CURATION_IMPORT_INLINE_ROWS, settings.CURATION_IMPORT_BATCH_ROWS = 2, 2
    response = _preview(curator_client, "event", _csv(EVENT_COLUMNS, _bulk_rows(good_event_row, 5)))
    confirm = response.context["confirm_form"].initial
    started = curator_client.post(reverse("admin:events_event_process_import"), confirm)
    assert started.status_code == 302 and "/import/" in started["Location"]
    waiting = curator_client.get(started["Location"]).content.decode()
    assert "Waiting for a worker to start importing its 5 rows. No worker is running" in waiting
    assert not Event.objects.filter(slug__startswith="bulk-").exists()
    assert run_queue() == 1
    assert Event.objects.filter(slug__startswith="bulk-").count() == 5
    assert {event.history.get().history_user for event in Event.objects.filter(slug__startswith="bulk-")} == {curator}
    status = curator_client.get(started["Location"])
    assert "Imported all 5 rows: 5 new, 0 updated, 0 unchanged." in status.content.decode()
    again = curator_client.post(reverse("admin:events_event_process_import"), confirm, follow=True)
    assert "already imported" in " ".join(str(m) for m in again.context["messages"])


def test_a_background_import_that_stops_says_which_rows_were_written(
    sample_dataset, good_event_row, make_source, curator_client, settings, run_queue
):
    """A row refused at import time (its source deleted since the preview) stops the import: the batches before it
    are written, its own is not, and the status page says so."""
    settings.CURATION_IMPORT_INLINE_ROWS, settings.CURATION_IMPORT_BATCH_ROWS = 2, 2
    doomed = make_source(slug="doomed-source")
    rows = _bulk_rows(good_event_row, 5, {4: {"source": "doomed-source"}})
    response = _preview(curator_client, "event", _csv(EVENT_COLUMNS, rows))
    confirm = response.context["confirm_form"].initial
    doomed.delete()
    started = curator_client.post(reverse("admin:events_event_process_import"), confirm)
    run_queue()
    assert sorted(Event.objects.filter(slug__startswith="bulk-").values_list("slug", flat=True)) == [
        "bulk-1",
        "bulk-2",
    ]
    status = curator_client.get(started["Location"]).content.decode()
    assert "Stopped: 2 of 5 rows written" in status
    assert "Row 4 was refused" in status


def _confirm_from_status_page(page) -> dict:
    """The hidden fields of the status page's confirm form, as a browser would post them."""
    form = re.search(r'<form id="import-confirm".*?</form>', page, re.S)
    assert form, "no confirm form on the status page"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group()))


def test_a_large_upload_is_checked_in_the_background_then_confirmed_from_its_status_page(
    sample_dataset, good_event_row, curator, curator_client, settings, run_queue
):
    """A file too large to check within the request is checked in the background, batch by batch, writing nothing;
    its status page then gives what confirming would write and the confirm button, which imports it."""
    settings.CURATION_IMPORT_PREVIEW_ROWS, settings.CURATION_IMPORT_INLINE_ROWS = 3, 2
    settings.CURATION_IMPORT_BATCH_ROWS = 2
    rows = _bulk_rows(good_event_row, 5)
    started = curator_client.post(
        reverse("admin:events_event_import"), {"format": "0", "import_file": _csv(EVENT_COLUMNS, rows)}
    )
    assert started.status_code == 302 and "/import/" in started["Location"]
    waiting = curator_client.get(started["Location"]).content.decode()
    assert "Waiting for a worker to start checking its 5 rows." in waiting
    assert run_queue() == 1
    assert not Event.objects.filter(slug__startswith="bulk-").exists()
    page = curator_client.get(started["Location"]).content.decode()
    assert "Checked all 5 rows; confirming would write 5 new, 0 updated, 0 unchanged." in page
    confirm = _confirm_from_status_page(page)
    assert confirm["original_file_name"] == "rows.csv"

    imported = curator_client.post(reverse("admin:events_event_process_import"), confirm)
    assert imported.status_code == 302 and imported["Location"] == started["Location"]
    assert run_queue() == 1
    assert Event.objects.filter(slug__startswith="bulk-").count() == 5
    assert {event.history.get().history_user for event in Event.objects.filter(slug__startswith="bulk-")} == {curator}
    page = curator_client.get(started["Location"]).content.decode()
    assert "Imported all 5 rows: 5 new, 0 updated, 0 unchanged." in page
    assert 'id="import-confirm"' not in page
    again = curator_client.post(reverse("admin:events_event_process_import"), confirm, follow=True)
    assert "already imported" in " ".join(str(m) for m in again.context["messages"])


def test_a_large_upload_with_bad_rows_is_rejected_with_every_row_error_listed(
    sample_dataset, good_event_row, curator_client, settings, run_queue
):
    """The background check reports every refused row, numbered in the whole file and by column, writes nothing,
    offers no confirm, and a confirm posted anyway imports nothing."""
    settings.CURATION_IMPORT_PREVIEW_ROWS, settings.CURATION_IMPORT_BATCH_ROWS = 3, 2
    rows = _bulk_rows(good_event_row, 5, {2: {"source": "", "quote": ""}, 5: {"date_precision": "month"}})
    started = curator_client.post(
        reverse("admin:events_event_import"), {"format": "0", "import_file": _csv(EVENT_COLUMNS, rows)}
    )
    run_queue()
    page = curator_client.get(started["Location"]).content.decode()
    assert "Nothing was written: checking the 5 rows found the problems below." in page
    problems = re.findall(r"<li>(Row .*?)</li>", page)
    assert [problem.split(":")[0] for problem in problems] == ["Row 2, quote", "Row 5, date"]
    assert "needs at least one citation that supports it" in problems[0]
    assert 'id="import-confirm"' not in page
    pending = PendingImport.objects.get()
    assert pending.data == b""
    response = curator_client.post(reverse("admin:events_event_process_import"), pending.confirm, follow=True)
    assert "Nothing was imported" in " ".join(str(m) for m in response.context["messages"])
    assert not Event.objects.filter(slug__startswith="bulk-").exists()


def test_a_status_page_is_only_its_curators(sample_dataset, curator_client, curator):
    from django.contrib.auth.models import Group, User
    from django.test import Client

    pending = PendingImport.objects.create(user=curator, model="events.event", data=b"", status="checking")
    url = reverse("admin:events_event_import_status", args=[pending.token])
    assert "Waiting for a worker to start checking its 0 rows" in curator_client.get(url).content.decode()
    other = User.objects.create_user("other-curator", is_staff=True)
    other.groups.add(Group.objects.get(name="curators"))
    other_client = Client()
    other_client.force_login(other)
    assert other_client.get(url).status_code == 404
