"""Admin edits come back to a release as small diffs: load the dataset, edit in the admin, write, compare."""

import difflib

import pytest
from django.urls import reverse

from apps.events.models import Event, Statement
from apps.releases import package as packages
from apps.releases.package import repository_release_dir
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty


def _export_diff() -> dict[str, list[str]]:
    """The changed lines of each resource's JSON file, written from the database as a release writes it, against the
    committed release's, by resource name."""
    committed = packages.read(repository_release_dir())
    written = packages.build(packages.Snapshot.of_database(), [], {"name": "", "version": ""})
    diffs = {}
    for resource in packages.resources():
        name = f"{resource.name}.json"
        before = committed.files[name].decode("utf-8").splitlines()
        after = written.files[name].decode("utf-8").splitlines()
        changed = [
            line
            for line in difflib.unified_diff(before, after, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        if changed:
            diffs[resource.name] = changed
    return diffs


def _changed_keys(lines: list[str]) -> list[tuple[str, str]]:
    """("-" or "+", field name) for each changed line of a fixture diff."""
    return [(line[0], line[1:].strip().split('":')[0].strip('"')) for line in lines]


def _save_through_admin(client, form_data, obj, **changes):
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client.post(url, form_data(client.get(url)) | changes)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    obj.refresh_from_db()


def test_loaded_records_have_their_load_in_history(dataset):
    """Right after a load, each record's history is the one loaded version, with no user."""
    event = Event.objects.order_by("slug").first()
    assert [(r.history_type, r.history_user, r.history_change_reason) for r in event.history.all()] == [
        ("+", None, "Loaded from dataset 1.0.0")
    ]


@pytest.mark.parametrize("model", [Source, State, Treaty, Membership, Event, Statement], ids=lambda m: m.__name__)
def test_saving_unchanged_through_the_admin_changes_only_updated_at(model, dataset, curator_client, admin_form_data):
    """A record saved through its admin page as loaded is written as it was, but for its modification time."""
    # The record with the most relations and text fields of its kind is the most likely to be perturbed by a form.
    obj = max(model.objects.all(), key=lambda o: (len(str(o.__dict__)), o.pk))
    _save_through_admin(curator_client, admin_form_data, obj)
    diffs = _export_diff()
    name = packages.Resource(model).name
    assert list(diffs) == [name]
    assert _changed_keys(diffs[name]) == [("-", "updated_at"), ("+", "updated_at")]


def test_an_admin_edit_is_exactly_its_diff_and_a_revert_undoes_it(dataset, curator_client, admin_form_data):
    """Editing an event's title shows as that title line (and updated_at); reverting it from history leaves only
    updated_at changed."""
    event = (
        Event.objects.get(slug="usa-withdrawal-notice-open-skies")
        if Event.objects.filter(slug="usa-withdrawal-notice-open-skies").exists()
        else Event.objects.order_by("slug").first()
    )
    old_title = event.title
    loaded_version = event.history.get()
    _save_through_admin(curator_client, admin_form_data, event, title="A curator's corrected title")

    diffs = _export_diff()
    assert list(diffs) == ["events"]
    assert sorted(_changed_keys(diffs["events"])) == [
        ("+", "title"),
        ("+", "updated_at"),
        ("-", "title"),
        ("-", "updated_at"),
    ]
    assert f'-    "title": "{old_title}",' in diffs["events"]
    assert '+    "title": "A curator\'s corrected title",' in diffs["events"]

    url = reverse("admin:events_event_simple_history", args=[event.pk, loaded_version.history_id])
    assert curator_client.post(url, admin_form_data(curator_client.get(url))).status_code == 302
    diffs = _export_diff()
    assert _changed_keys(diffs["events"]) == [("-", "updated_at"), ("+", "updated_at")]
