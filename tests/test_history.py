"""Every change is recorded with who, when and what; a curator can revert to an earlier version from the admin."""

import html
import json
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core import serializers
from django.core.management import call_command
from django.http import HttpResponse
from django.urls import reverse
from simple_history.middleware import HistoryRequestMiddleware

from apps.curation.history import LOAD_REASON
from apps.events.models import Event
from apps.sources.citation_history import citations_by_version
from apps.sources.models import Source
from tests.conftest import token_client


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


# --- Citations in a record's history -----------------------------------------------------------------------------


def _changes(client, event) -> list[list[str]]:
    """The Changes column of the event's history page, newest version first, each change as its text."""
    page = client.get(reverse("admin:events_event_history", args=[event.pk])).content.decode()
    rows = re.findall(r"<tr>\s*<td>\s*<a href=.*?</tr>", page, re.S)
    return [
        [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", row, re.S)
        ]
        for row in rows
    ]


@pytest.fixture
def cited_event(sample_dataset, make_source, curator_client, admin_form_data):
    """An event with two citations of a source whose text is loaded (placed, with their locators), saved through the
    admin as a curator does, so its history holds that version."""
    source = make_source(slug="tass-2020", text="Moscow regrets the exit.\nThe U.S. left on Sunday.\n")
    event = sample_dataset["events"][0]
    url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(curator_client.get(url))
    data |= {
        "citations-TOTAL_FORMS": "3",
        "citations-1-source": str(source.pk),
        "citations-1-quote": "The U.S. left on Sunday.",
        "citations-1-stance": "supports",
        "citations-2-source": str(source.pk),
        "citations-2-quote": "Moscow regrets the exit.",
        "citations-2-stance": "supports",
    }
    response = curator_client.post(url, data)
    assert response.status_code == 302, (
        response.context and response.context["inline_admin_formsets"][0].formset.errors
    )
    return event


def _citation_form(client, form_data, event, quote: str) -> tuple[str, dict, str]:
    """The event's change URL, its form data, and the inline prefix of the citation quoting ``quote``."""
    url = reverse("admin:events_event_change", args=[event.pk])
    page = client.get(url)
    data = form_data(page)
    prefix = next(key[: -len("-quote")] for key, value in data.items() if key.endswith("-quote") and value == quote)
    return url, data, prefix


def test_a_citation_change_shows_old_and_new_on_the_records_history(cited_event, curator_client, admin_form_data):
    """The record's own History lists a citation's stance and note changing, one added and one removed, old → new,
    on the version that changed them (it showed an empty Changes column)."""
    url, data, prefix = _citation_form(curator_client, admin_form_data, cited_event, "Moscow regrets the exit.")
    data |= {f"{prefix}-stance": "contradicts", f"{prefix}-note": "Says Moscow, not the U.S."}
    assert curator_client.post(url, data).status_code == 302
    url, data, prefix = _citation_form(curator_client, admin_form_data, cited_event, "The U.S. left on Sunday.")
    assert curator_client.post(url, data | {f"{prefix}-DELETE": "on"}).status_code == 302

    removed, changed, added, *_ = _changes(curator_client, cited_event)
    assert removed == ["Citation tass-2020 (para. 2): supports: “The U.S. left on Sunday.” → (removed)"]
    assert changed == [
        "Citation tass-2020 (para. 1), stance: supports → contradicts",
        "Citation tass-2020 (para. 1), note: (none) → Says Moscow, not the U.S.",
    ]
    assert added == [
        "Citation tass-2020 (para. 1): (none) → supports: “Moscow regrets the exit.”",
        "Citation tass-2020 (para. 2): (none) → supports: “The U.S. left on Sunday.”",
    ]


def test_revert_restores_the_versions_citations(cited_event, curator, curator_client, admin_form_data):
    """Reverting to a version puts its citations back as they were: the removed one added again, the changed one's
    stance and note restored, one added since removed; the version's page lists them first."""
    version = cited_event.history.latest()
    url, data, prefix = _citation_form(curator_client, admin_form_data, cited_event, "Moscow regrets the exit.")
    data |= {f"{prefix}-stance": "contradicts", f"{prefix}-note": "Says Moscow."}
    assert curator_client.post(url, data).status_code == 302
    url, data, prefix = _citation_form(curator_client, admin_form_data, cited_event, "The U.S. left on Sunday.")
    assert curator_client.post(url, data | {f"{prefix}-DELETE": "on"}).status_code == 302
    before = sorted(cited_event.citations.values_list("quote", "stance", "note", "locator"))
    assert len(before) == 2

    past = reverse("admin:events_event_simple_history", args=[cited_event.pk, version.history_id])
    page = curator_client.get(past)
    listed = [
        html.unescape(cell)
        for cell in re.findall(r'<tr class="version-citation">(.*?)</tr>', page.content.decode(), re.S)
    ]
    assert len(listed) == 3 and all("supports" in row for row in listed)
    assert any("The U.S. left on Sunday." in row and "para. 2" in row for row in listed)
    assert curator_client.post(past, admin_form_data(page)).status_code == 302

    restored = sorted(cited_event.citations.values_list("quote", "stance", "note", "locator"))
    assert restored == [
        ("Moscow regrets the exit.", "supports", "", "para. 1"),
        ("Notice 1.", "supports", "", ""),
        ("The U.S. left on Sunday.", "supports", "", "para. 2"),
    ]
    revert = cited_event.history.latest()
    assert revert.history_user == curator
    # The revert's version says what it changed back.
    assert (
        "Citation tass-2020 (para. 2): (none) → supports: “The U.S. left on Sunday.”"
        in _changes(curator_client, cited_event)[0]
    )


def test_a_revert_that_cannot_restore_its_citations_changes_nothing(cited_event, curator_client, admin_form_data):
    """A past citation whose passage is no longer in its source's text refuses the revert, with the reason, before
    anything is saved."""
    version = cited_event.history.latest()
    url, data, prefix = _citation_form(curator_client, admin_form_data, cited_event, "The U.S. left on Sunday.")
    assert curator_client.post(url, data | {f"{prefix}-DELETE": "on", "title": "Retitled"}).status_code == 302
    Source.objects.filter(slug="tass-2020").update(text="Moscow regrets the exit.\nA different second line.\n")

    past = reverse("admin:events_event_simple_history", args=[cited_event.pk, version.history_id])
    response = curator_client.post(past, admin_form_data(curator_client.get(past)))
    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Not reverted: this version's citations cannot be restored.")
    assert "The U.S. left on Sunday." in message and "Not found in" in message
    cited_event.refresh_from_db()
    assert cited_event.title == "Retitled"
    assert not cited_event.citations.filter(quote="The U.S. left on Sunday.").exists()


def test_a_citation_changed_on_its_own_page_is_a_version_of_its_record(
    cited_event, curator, curator_client, admin_form_data
):
    """Changing a citation from the citations list records a version of its record, by the curator, showing it."""
    versions = cited_event.history.count()
    citation = cited_event.citations.get(quote="Moscow regrets the exit.")
    url = reverse("admin:events_eventcitation_change", args=[citation.pk])
    data = admin_form_data(curator_client.get(url)) | {"stance": "contradicts", "note": "Says Moscow."}
    assert curator_client.post(url, data).status_code == 302
    assert cited_event.history.count() == versions + 1
    assert cited_event.history.latest().history_user == curator
    assert "Citation tass-2020 (para. 1), stance: supports → contradicts" in _changes(curator_client, cited_event)[0]


def test_an_api_write_shows_only_what_it_changed(cited_event, curator_client, make_api_user, writers_group, write):
    """The API rewrites a record's citations as new rows; the history compares what they cite, so an unchanged
    citation is not shown as removed and added again."""
    api = token_client(make_api_user("scripted", writers_group))
    url = f"/api/events/{cited_event.slug}/"
    body = api.get(url).json()
    citations = [
        {name: c[name] for name in ("quote", "stance", "note", "prefix", "suffix")} | {"source": c["source"]["slug"]}
        for c in body["citations"]
    ]
    for citation in citations:
        if citation["quote"] == "Moscow regrets the exit.":
            citation["note"] = "Checked again."
    write(api, "patch", url, {"citations": citations}, expect=200, etag=api.get(url)["ETag"])
    assert _changes(curator_client, cited_event)[0] == ["Citation tass-2020 (para. 1), note: (none) → Checked again."]


def test_a_deleted_records_last_versions_keep_their_citations(make_event):
    """Deleting a record deletes its citations first (the cascade): its last version and its deletion still show
    the citations it had, rather than their removal."""
    event = make_event()
    event_id, quote = event.pk, event.citations.get().quote
    event.delete()
    versions = list(Event.history.filter(id=event_id))
    assert sorted(version.history_type for version in versions) == ["+", "-"]
    states = citations_by_version(Event, event_id, versions)
    assert [[c.quote for c in state.values()] for state in states.values()] == [[quote], [quote]]


def test_a_citation_moved_to_another_record_is_a_version_of_both(
    cited_event, sample_dataset, curator_client, admin_form_data
):
    """Moving a citation to another event on its own page shows it removed from the one and added to the other."""
    other = sample_dataset["events"][1]
    citation = cited_event.citations.get(quote="Moscow regrets the exit.")
    url = reverse("admin:events_eventcitation_change", args=[citation.pk])
    assert curator_client.post(url, admin_form_data(curator_client.get(url)) | {"event": other.pk}).status_code == 302
    assert _changes(curator_client, cited_event)[0] == [
        "Citation tass-2020 (para. 1): supports: “Moscow regrets the exit.” → (removed)"
    ]
    assert _changes(curator_client, other)[0] == [
        "Citation tass-2020 (para. 1): (none) → supports: “Moscow regrets the exit.”"
    ]
