"""Every change is recorded with who, when and what; a curator can revert to an earlier version from the admin."""

import json

import pytest
from django.conf import settings
from django.core import serializers
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import reverse
from simple_history.middleware import HistoryRequestMiddleware

from apps.curation.history import LOAD_REASON
from apps.events.models import Event
from apps.sources.models import Source


def _change_title(client, form_data, event: Event, title: str):
    url = reverse("admin:events_event_change", args=[event.pk])
    response = client.post(url, form_data(client.get(url)) | {"title": title})
    assert response.status_code == 302
    event.refresh_from_db()


def test_admin_change_is_recorded_with_user_and_diff(sample_dataset, curator, curator_client, admin_form_data):
    """A change through the admin records the curator, the time and the changed field."""
    event = sample_dataset["events"][0]
    before = event.history.count()
    _change_title(curator_client, admin_form_data, event, "Corrected title")
    latest, previous = event.history.all()[:2]
    assert event.history.count() == before + 1
    assert latest.history_user == curator
    assert latest.history_type == "~"
    delta = latest.diff_against(previous)
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field != "updated_at"] == [
        ("title", "Event " + event.slug.split("-")[1], "Corrected title")
    ]


def test_history_page_shows_who_changed_what(sample_dataset, curator_client, reviewer_client, admin_form_data):
    """The history page lists the change with the curator's name and the changed field, for curators and reviewers."""
    event = sample_dataset["events"][0]
    _change_title(curator_client, admin_form_data, event, "Corrected title")
    for client in [curator_client, reviewer_client]:
        content = client.get(reverse("admin:events_event_history", args=[event.pk])).content.decode()
        assert "curator" in content
        assert "Corrected title" in content


def test_curator_reverts_to_an_earlier_version(sample_dataset, curator, curator_client, admin_form_data):
    """Posting an earlier version's page back restores it, and the revert is itself recorded."""
    event = sample_dataset["events"][0]
    original_title = event.title
    original = event.history.latest()
    _change_title(curator_client, admin_form_data, event, "A mistaken title")

    url = reverse("admin:events_event_simple_history", args=[event.pk, original.history_id])
    page = curator_client.get(url)
    assert page.status_code == 200
    assert page.context["adminform"].form["title"].value() == original_title
    response = curator_client.post(url, admin_form_data(page))
    assert response.status_code == 302

    event.refresh_from_db()
    assert event.title == original_title
    assert event.history.latest().history_user == curator
    assert event.history.count() == 3


def test_reviewer_cannot_revert(sample_dataset, reviewer_client, admin_form_data):
    """A reviewer sees a past version but has no Revert button, and a POST is refused."""
    event = sample_dataset["events"][0]
    url = reverse("admin:events_event_simple_history", args=[event.pk, event.history.latest().history_id])
    page = reviewer_client.get(url)
    assert page.status_code == 200
    assert b"Revert" not in page.content
    assert b'name="title"' not in page.content
    assert event.title.encode() in page.content
    assert reviewer_client.post(url, admin_form_data(page) | {"title": "x"}).status_code == 403
    event.refresh_from_db()
    assert event.title != "x"


def test_save_outside_a_request_is_recorded_without_user(sample_dataset):
    """A save from a script or management command is recorded, with no user."""
    event = sample_dataset["events"][0]
    event.title = "Edited by a script"
    event.save()
    latest = event.history.latest()
    assert latest.title == "Edited by a script"
    assert latest.history_user is None


def test_delete_is_recorded(sample_dataset, make_source):
    """Deleting a record leaves a deletion row in its history."""
    source = make_source()
    source_id = source.pk
    source.delete()
    assert Source.history.filter(id=source_id).latest().history_type == "-"


@pytest.fixture
def source_fixture(tmp_path, make_source):
    """A fixture file holding one source, written as loaddata reads it, and the source removed from the database."""
    source = make_source(slug="tass-2021", title="Russia leaves Open Skies")
    path = tmp_path / "sources.json"
    path.write_text(serializers.serialize("json", [source], use_natural_primary_keys=True, indent=2))
    Source.history.all().delete()
    source.delete()
    Source.history.all().delete()
    return path


def test_fixture_load_is_recorded_once(source_fixture):
    """Loading fixtures records each loaded record once, without a user; loading them again records nothing."""
    call_command("loaddata", source_fixture, verbosity=0)
    loaded = Source.history.get()
    assert (loaded.slug, loaded.history_type, loaded.history_user) == ("tass-2021", "+", None)
    assert loaded.history_change_reason == LOAD_REASON

    call_command("loaddata", source_fixture, verbosity=0)
    assert Source.history.count() == 1


def test_fixture_load_that_changes_a_record_is_recorded(source_fixture):
    """Loading a fixture that changes a record records the change."""
    call_command("loaddata", source_fixture, verbosity=0)
    records = json.loads(source_fixture.read_text())
    records[0]["fields"]["title"] = "Russia quits Open Skies"
    source_fixture.write_text(json.dumps(records))
    call_command("loaddata", source_fixture, verbosity=0)
    assert list(Source.history.values_list("history_type", "title")) == [
        ("~", "Russia quits Open Skies"),
        ("+", "Russia leaves Open Skies"),
    ]


def test_saves_while_serving_a_request_record_its_user(sample_dataset, curator, rf):
    """A save made by any view (the API's, say), not only the admin, is recorded with the request's user."""
    event = sample_dataset["events"][0]

    def api_view(request):
        event.title = "Edited through the API"
        event.save()
        return HttpResponse(status=204)

    request = rf.patch(f"/api/events/{event.slug}/")
    request.user = curator
    HistoryRequestMiddleware(api_view)(request)
    assert event.history.latest().history_user == curator
    middleware = settings.MIDDLEWARE
    assert middleware.index("simple_history.middleware.HistoryRequestMiddleware") > middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware"
    )
