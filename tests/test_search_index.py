"""The search indexes follow every write path: the API, the admin, a revert, the CSV import, load_dataset and the
synthetic generator; migrate builds a missing index and rebuilds one whose declaration changed.

The search tables (a stored tsvector on PostgreSQL, an FTS5 copy on SQLite) are written by
``apps.core.search.maintenance`` alone; these tests hold them to the tables after each write."""

import datetime
import tempfile
from pathlib import Path
from unittest import mock

from django.conf import settings as django_settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings

from apps.core.search import search_indexes
from apps.core.search.index import SearchIndex
from apps.core.search.maintenance import sync_indexes
from apps.events.models import Event
from apps.releases import package as packages
from apps.sources.models import Source
from tests.conftest import new_event
from tests.test_changes_feed import STEPS, Writer
from tests.test_csv_import import EVENT_COLUMNS, _csv, _preview


def found(client, resource: str, q: str) -> list[str]:
    # Writes behind the records' back (raw SQL on a search table) do not change the data version.
    for alias in django_settings.CACHES:
        caches[alias].clear()
    response = client.get(f"/api/{resource}/", {"q": q, "page_size": 500})
    assert response.status_code == 200, response.content[:500]
    return [item["slug"] for item in response.json()["results"]]


def copies_hold_the_tables() -> None:
    """Each search table holds exactly one row per record, made from the record's searched fields as they are now."""
    with connection.cursor() as cursor:
        for index in search_indexes():
            table = index.model._meta.db_table
            if connection.vendor == "postgresql":
                # The vector, and the copies of the list-order columns that a search alone is ordered by.
                copies = "".join(
                    f' OR s."{field.column}" IS DISTINCT FROM "{table}"."{field.column}"'
                    for field in index.order_fields()
                )
                cursor.execute(
                    f'SELECT count(*) FROM "{index.table}" s FULL JOIN "{table}" ON s.id = "{table}".id '
                    f"WHERE s.vector IS DISTINCT FROM ({index.vector_sql()}){copies}"
                )
                assert cursor.fetchone() == (0,), index.table
                continue
            columns = ", ".join(f'"{column}"' for column in index.columns)
            cursor.execute(f'SELECT rowid, {columns} FROM "{index.table}" ORDER BY rowid')
            copied = cursor.fetchall()
            cursor.execute(f'SELECT "id", {columns} FROM "{table}" ORDER BY "id"')
            assert copied == cursor.fetchall(), index.table


def test_api_creates_updates_and_deletes_are_searchable_at_once(open_skies, client, curator_api, write):
    source = open_skies["sources"]["tass"].slug
    body = {"slug": "arms-talks", "type": "meeting", "title": "Quota talks", "citations": [{"source": source}]}
    body["citations"][0]["quote"] = "Quota talks began."
    created = write(curator_api, "post", "/api/events/", body, expect=201)
    assert found(client, "events", "quota") == ["arms-talks"]
    url = "/api/events/arms-talks/"
    changed = write(curator_api, "patch", url, {"title": "Ceiling talks"}, expect=200, etag=created["ETag"])
    assert found(client, "events", "quota") == []
    assert found(client, "events", "ceiling") == ["arms-talks"]
    write(curator_api, "delete", url, expect=204, etag=changed["ETag"])
    assert found(client, "events", "ceiling") == []
    copies_hold_the_tables()


def test_admin_saves_deletes_and_reverts_are_searchable_at_once(
    sample_dataset, client, curator_client, admin_client, admin_form_data
):
    event = sample_dataset["events"][0]
    url = reverse("admin:events_event_change", args=[event.pk])
    original = event.history.latest()
    data = admin_form_data(curator_client.get(url)) | {"title": "Moratorium declared"}
    assert curator_client.post(url, data).status_code == 302
    assert found(client, "events", "moratorium") == [event.slug]

    revert = reverse("admin:events_event_simple_history", args=[event.pk, original.history_id])
    assert curator_client.post(revert, admin_form_data(curator_client.get(revert))).status_code == 302
    assert found(client, "events", "moratorium") == []

    source = Source.objects.create(slug="uncited-report", title="Moratorium report", language="en", kind="news_report")
    assert found(client, "sources", "moratorium") == [source.slug]
    delete = reverse("admin:sources_source_delete", args=[source.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert found(client, "sources", "moratorium") == []
    copies_hold_the_tables()


def test_a_csv_import_is_searchable_at_once(sample_dataset, client, curator_client):
    row = {"slug": "imported-moratorium", "type": "meeting", "title": "Moratorium imported", "date": ""}
    row |= {"source": sample_dataset["source"].slug, "quote": "A moratorium was agreed.", "locator": "para. 2"}
    preview = _preview(curator_client, "event", _csv(EVENT_COLUMNS, [row]))
    confirm = preview.context["confirm_form"].initial
    assert curator_client.post(reverse("admin:events_event_process_import"), confirm).status_code == 302
    assert found(client, "events", "moratorium") == ["imported-moratorium"]
    copies_hold_the_tables()


def test_load_dataset_is_searchable_at_once(open_skies, client):
    rows = packages.Snapshot.of_database().rows
    event = next(row for row in rows["events"] if row["slug"] == "open-skies-signature")
    event["title"] = "Moratorium signed"
    metadata = {"name": "treaty-api", "version": "0.0.1", "created": "2024-01-01T00:00:00Z"}
    with tempfile.TemporaryDirectory() as directory:
        packages.build(packages.Snapshot(rows), [], metadata).write(Path(directory))
        call_command("load_dataset", fixtures=Path(directory), no_migrate=True, replace=True, verbosity=0)
    assert found(client, "events", "moratorium") == ["open-skies-signature"]
    copies_hold_the_tables()


def test_generated_synthetic_records_are_searchable(db, client):
    call_command("generate_synthetic", events=40, states=5, treaties=3, sources=5, verbosity=0)
    event = Event.objects.order_by("pk").first()
    assert event.slug in found(client, "events", f'"{event.title}"')
    copies_hold_the_tables()


def test_a_rolled_back_write_leaves_the_index_as_it_was(open_skies, client):
    with transaction.atomic():
        Event.objects.create(slug="rolled-back", type="meeting", title="Moratorium")
        assert found(client, "events", "moratorium") == ["rolled-back"]
        transaction.set_rollback(True)
    assert found(client, "events", "moratorium") == []
    copies_hold_the_tables()


def test_migrate_builds_a_missing_index(open_skies, client):
    with connection.cursor() as cursor:
        for index in search_indexes():
            cursor.execute(index.drop_sql())
    assert set(sync_indexes()) == {index.table for index in search_indexes()}
    assert found(client, "events", "helsinki") == ["open-skies-signature"]
    assert sync_indexes() == []
    copies_hold_the_tables()


def test_migrate_rebuilds_an_index_whose_declaration_changed(open_skies, client, monkeypatch):
    """A field taken out of (or put into) a declaration needs no migration: the next migrate rebuilds the index."""
    assert found(client, "events", "helsinki") == ["open-skies-signature"]  # its title and its location
    index = Event.search_index
    monkeypatch.setattr(index, "weights", {"location": "A"})
    assert sync_indexes() == [index.table]
    assert found(client, "events", "helsinki") == ["open-skies-signature"]
    assert found(client, "events", "signed") == []
    copies_hold_the_tables()


def test_migrate_rebuilds_a_table_that_lost_rows(open_skies, client):
    """A search table emptied behind the records' back (``flush`` empties only the tables Django models; a restore
    may leave the search tables out) no longer holds a row per record: the next migrate rebuilds it."""
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{Event.search_index.table}"')
    assert found(client, "events", "helsinki") == []
    assert sync_indexes() == [Event.search_index.table]
    assert found(client, "events", "helsinki") == ["open-skies-signature"]
    copies_hold_the_tables()


@settings(
    max_examples=10,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_after_any_writes_by_any_path_search_finds_each_record_by_its_title(
    open_skies, curator_api, admin_client, admin_form_data, writers_group, client, steps
):
    """The changes feed's random writes (API creates, updates, renames and deletes; admin changes and deletes;
    load_dataset): every event and source is then found by its title as a phrase, and nothing by a title it lost."""
    with transaction.atomic():
        writer = Writer(curator_api, admin_client, client)
        for step, index in steps:
            if step == "admin_change":
                writer.admin_change(index, admin_form_data)
            elif step != "sync":
                getattr(writer, step)(index)
        for resource, model in (("events", Event), ("sources", Source)):
            searched = {
                values[0]: " ".join(values).lower()
                for values in model.objects.values_list("slug", *model.search_index.weights)
            }
            for slug, title in model.objects.values_list("slug", "title"):
                assert slug in found(client, resource, f'"{title}"'), (steps, resource, slug, title)
            # The writer's words ("Retitled 12", "Edited 3", "Loaded 5") find only records that still hold them.
            for stem in ("retitl", "edit", "load"):
                matches = found(client, resource, f"{stem}*")
                assert all(stem in searched[slug] for slug in matches), (steps, stem)
        copies_hold_the_tables()
        transaction.set_rollback(True)


def _answered(q: str, *, alone: bool) -> list[str]:
    """The events a search finds, in order, through the API (read from the search table alone where it can be, or
    always through the records' table); a new client each time, as raw SQL on a search table bumps no version."""
    if alone:
        return found(Client(), "events", q)
    with mock.patch.object(SearchIndex, "ranked_keys", lambda *args: None):
        return found(Client(), "events", q)


def _write_without_copies(event) -> None:
    """A record's search row as the code from before the copies wrote it (a worker of the earlier release still
    running after migrate): on PostgreSQL the vector only; SQLite's row has not changed."""
    index = Event.search_index
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            index.copy_rows(cursor, connection.vendor, [event.pk])
        return
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{index.table}" WHERE "id" = %s', [event.pk])
        cursor.execute(
            f'INSERT INTO "{index.table}" ("id", "vector") SELECT "id", {index.vector_sql()} FROM "events_event" '
            'WHERE "id" = %s',
            [event.pk],
        )


def test_a_row_written_without_its_copies_is_searched_through_the_records_until_migrate_rewrites_it(db):
    """PostgreSQL: such a row would sort as undated if read from the search table alone; SQLite has no copies."""
    events = [
        new_event(cite=False, slug=f"quota-{n}", title="Quota talks", date=datetime.date(2020, 1 + n, 1))
        for n in range(3)
    ]
    _write_without_copies(events[0])
    expected = ["quota-0", "quota-1", "quota-2"]
    assert _answered("quota", alone=False) == expected
    assert _answered("quota", alone=True) == expected  # not quota-0 last
    rewritten = [Event.search_index.table] if connection.vendor == "postgresql" else []
    assert sync_indexes() == rewritten
    copies_hold_the_tables()
    assert _answered("quota", alone=True) == expected


def test_a_search_table_from_an_earlier_declaration_is_searched_through_the_records_until_migrate(transactional_db):
    """PostgreSQL: code serving before its migrate (which rebuilds the table) finds the copies missing; a request,
    outside a transaction as every read is, is answered through the records' table, not a 500. (SQLite's table
    did not change: nothing to rebuild, and every search reads through the records' table.)"""
    new_event(cite=False, slug="quota-0", title="Quota talks")
    index = Event.search_index
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(index.drop_sql())
            cursor.execute(f'CREATE TABLE "{index.table}" ("id" bigint PRIMARY KEY, "vector" tsvector NOT NULL)')
            cursor.execute(f'INSERT INTO "{index.table}" SELECT "id", {index.vector_sql()} FROM "events_event"')
    assert _answered("quota", alone=True) == ["quota-0"]
    assert sync_indexes() == ([index.table] if connection.vendor == "postgresql" else [])
    with CaptureQueriesContext(connection) as captured:
        assert _answered("quota", alone=True) == ["quota-0"]
    alone = [query for query in captured.captured_queries if query["sql"].startswith('SELECT "id", COUNT(*) OVER ()')]
    assert len(alone) == (1 if connection.vendor == "postgresql" else 0)
