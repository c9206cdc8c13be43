"""Releases: numbered, immutable, citable snapshots of the dataset, and a working copy no load reverts silently."""

import csv
import datetime
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import frictionless
import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.events.models import Event, Statement
from apps.releases import package as packages
from apps.releases.models import DatasetLoad, Release, version_key
from apps.releases.package import repository_release_dir
from apps.releases.services import package_rows
from apps.sources.models import Source

NEW_EVENT = {
    "slug": "a-new-meeting",
    "type": "meeting",
    "title": "A meeting the documents report",
    "date": "2020-06-01",
    "date_precision": "month",
    "citations": [{"source": "russia-vows-to-salvage-open-skies-treaty-2020-05", "quote": "In force since 2002"}],
}


def release(version: str, output: Path, capsys) -> str:
    call_command("release", version, output=output)
    return capsys.readouterr().out


def validate(directory: Path) -> frictionless.Report:
    """What `frictionless validate datapackage.json` reports (CI runs the command on every release)."""
    return frictionless.validate(str(directory / packages.DESCRIPTOR))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Writing a release -----------------------------------------------------------------------------------------------


def test_a_release_is_a_valid_frictionless_package_whose_checksums_match_its_files(dataset, tmp_path):
    directory = tmp_path / "1.0.0"
    call_command("release", "1.0.0", output=directory, verbosity=0)
    report = validate(directory)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    descriptor = json.loads((directory / packages.DESCRIPTOR).read_text())
    assert descriptor["version"] == "1.0.0"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0" and descriptor["contributors"]
    for entry in descriptor["resources"]:
        data = (directory / entry["path"]).read_bytes()
        assert entry["hash"] == f"sha256:{sha256(data)}" and entry["bytes"] == len(data), entry["path"]
    names = {entry["path"] for entry in descriptor["resources"]}
    for resource in ["treaties", "states", "memberships", "events", "statements", "sources", "event-citations"]:
        assert {f"{resource}.csv", f"{resource}.json"} <= names


def test_frictionless_rejects_a_file_changed_after_release(dataset, tmp_path):
    """The check is real: one byte changed in one file makes the package invalid."""
    call_command("release", "1.0.0", output=tmp_path, verbosity=0)
    events = tmp_path / "events.csv"
    events.write_bytes(events.read_bytes().replace(b"INF Treaty signed", b"INF Treaty signeD"))
    assert not validate(tmp_path).valid
    with pytest.raises(packages.PackageError, match="events.csv is not the file"):
        packages.read(tmp_path)


def test_each_table_schema_gives_types_required_fields_enums_and_keys(dataset):
    descriptor = packages.read(repository_release_dir()).descriptor
    schemas = {entry["name"]: entry["schema"] for entry in descriptor["resources"] if "schema" in entry}
    fields = {field["name"]: field for field in schemas["events"]["fields"]}
    assert schemas["events"]["primaryKey"] == ["slug"]
    assert fields["date"]["type"] == "date" and fields["created_at"]["type"] == "datetime"
    assert fields["title"]["constraints"]["required"] is True
    assert "withdrawal_notice" in fields["type"]["constraints"]["enum"]
    assert {"fields": "treaty", "reference": {"resource": "treaties", "fields": "slug"}} in schemas["events"][
        "foreignKeys"
    ]
    assert schemas["event-citations"]["primaryKey"] == ["event", "source", "quote"]
    states = {field["name"]: field for field in schemas["states"]["fields"]}
    assert states["aliases"]["type"] == "array"
    assert {"fields": "successor_of", "reference": {"resource": "", "fields": "code"}} in schemas["states"][
        "foreignKeys"
    ]
    citation_fields = {field["name"] for field in schemas["statement-citations"]["fields"]}
    assert {"prefix", "suffix", "start", "end", "locator", "stance", "note"} <= citation_fields


def test_the_json_files_hold_the_csv_rows_typed(dataset):
    """Each resource's JSON file is its CSV file's rows, value for value, as the Table Schema types them."""
    committed = packages.read(repository_release_dir())
    for entry in committed.descriptor["resources"]:
        if entry.get("format") != "csv":
            continue
        # Read alone, so without the foreign keys to the package's other resources.
        schema = {key: value for key, value in entry["schema"].items() if key != "foreignKeys"}
        resource = frictionless.Resource(
            data=committed.files[entry["path"]], format="csv", schema=frictionless.Schema.from_descriptor(schema)
        )
        from_csv = [_plain(row.to_dict()) for row in resource.read_rows()]
        from_json = [_plain(row) for row in json.loads(committed.files[f"{entry['name']}.json"])]
        assert from_csv == from_json, entry["name"]


def _plain(row: dict) -> dict:
    """A row with dates as ISO text, empty text as missing, and times to the millisecond, for comparison."""

    def value(v):
        if isinstance(v, datetime.datetime):
            return v.astimezone(datetime.UTC).isoformat(timespec="milliseconds")
        if isinstance(v, datetime.date):
            return v.isoformat()
        if isinstance(v, str) and v.endswith("Z") and "T" in v:
            return datetime.datetime.fromisoformat(v.replace("Z", "+00:00")).isoformat(timespec="milliseconds")
        return None if v == "" else v

    return {name: value(v) for name, v in row.items()}


def test_document_texts_never_go_in_their_hashes_do(dataset, tmp_path):
    marker = "A sentence of the document that must stay out of every release."
    Source.objects.filter(slug="us-will-not-return-to-open-skies-2021").update(text=marker, has_text=True)
    call_command("release", "1.0.1", output=tmp_path, verbosity=0)
    sources = json.loads((tmp_path / "sources.json").read_text())
    assert all(len(source["text_sha256"]) == 64 for source in sources)
    assert "text" not in sources[0] and "has_text" not in sources[0]
    assert not [path.name for path in tmp_path.iterdir() if marker.encode() in path.read_bytes()]


def test_a_release_is_immutable_and_versions_only_increase(dataset, tmp_path, capsys, curator_api, write):
    out = release("1.0.0", tmp_path / "again", capsys)
    assert out == f"release 1.0.0 already exists with this data; wrote its files to {tmp_path / 'again'}\n"
    assert Release.objects.count() == 1
    assert (tmp_path / "again" / "events.json").read_bytes() == (repository_release_dir() / "events.json").read_bytes()
    url = "/api/events/inf-signature-1987-12/"
    write(curator_api, "patch", url, {"title": "Changed"}, expect=200, etag=curator_api.get(url)["ETag"])
    with pytest.raises(CommandError, match=r"Release 1\.0\.0 already exists with other content \(events\.csv"):
        call_command("release", "1.0.0", output=tmp_path / "other")
    with pytest.raises(CommandError, match="Versions only increase: the latest release is 1.0.0"):
        call_command("release", "0.9.0", output=tmp_path / "older")
    with pytest.raises(CommandError, match="'v1.1' is not a semantic version"):
        call_command("release", "v1.1", output=tmp_path / "bad")
    assert Release.objects.count() == 1


def test_semantic_version_precedence():
    ordered = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0"]
    assert sorted(reversed(ordered), key=version_key) == ordered


# --- What changed ----------------------------------------------------------------------------------------------------


def test_a_second_release_lists_exactly_a_create_an_edit_a_rename_and_a_delete(
    dataset, curator_api, write, tmp_path, capsys
):
    """The four writes go through the API; the release's changes, in its package and in the API, are exactly them."""
    write(curator_api, "post", "/api/events/", NEW_EVENT, expect=201)
    url = "/api/statements/biden-calls-withdrawal-short-sighted-2020/"
    write(curator_api, "patch", url, {"speaker": "Joe Biden"}, expect=200, etag=curator_api.get(url)["ETag"])
    url = "/api/events/center-2019-military-exercise-2019-09/"
    write(curator_api, "patch", url, {"slug": "center-2019"}, expect=200, etag=curator_api.get(url)["ETag"])
    url = "/api/statements/billingslea-russia-violates-with-impunity/"
    write(curator_api, "delete", url, expect=204, etag=curator_api.get(url)["ETag"])

    out = release("1.1.0", tmp_path, capsys)
    assert "4 records changed since 1.0.0" in out
    expected = [
        {"resource": "events", "key": "a-new-meeting", "old_key": None, "action": "created"},
        {"resource": "events", "key": "center-2019", "old_key": "center-2019-military-exercise-2019-09",
         "action": "renamed"},
        {"resource": "statements", "key": "biden-calls-withdrawal-short-sighted-2020", "old_key": None,
         "action": "updated"},
        {"resource": "statements", "key": "billingslea-russia-violates-with-impunity", "old_key": None,
         "action": "deleted"},
    ]  # fmt: skip
    assert json.loads((tmp_path / "changes.json").read_text()) == expected
    assert validate(tmp_path).valid
    detail = curator_api.get("/api/releases/1.1.0/").json()
    assert detail["changes"] == expected and detail["previous_version"] == "1.0.0"
    # git diff between the two releases shows the records, line by line.
    before = (repository_release_dir() / "statements.json").read_text().splitlines()
    after = (tmp_path / "statements.json").read_text().splitlines()
    assert '    "speaker": "Joe Biden",' in set(after) - set(before)


def test_a_save_that_changes_nothing_and_a_change_undone_are_not_changes(
    dataset, curator_api, write, tmp_path, capsys
):
    url = "/api/events/inf-signature-1987-12/"
    title = curator_api.get(url).json()["title"]
    write(curator_api, "patch", url, {"title": "Briefly wrong"}, expect=200, etag=curator_api.get(url)["ETag"])
    write(curator_api, "patch", url, {"title": title}, expect=200, etag=curator_api.get(url)["ETag"])
    assert "0 records changed since 1.0.0" in release("1.0.1", tmp_path, capsys)
    assert json.loads((tmp_path / "changes.json").read_text()) == []


# --- The working copy ------------------------------------------------------------------------------------------------


def test_load_dataset_keeps_a_desk_edit_and_says_so(dataset, curator_client, admin_form_data, capsys):
    event = Event.objects.get(slug="inf-signature-1987-12")
    url = f"/admin/events/event/{event.pk}/change/"
    response = curator_client.post(url, admin_form_data(curator_client.get(url)) | {"title": "A curator's title"})
    assert response.status_code == 302
    call_command("load_dataset", no_migrate=True)
    assert capsys.readouterr().out.endswith("dataset 1.0.0 already loaded; 1 record changed since; nothing reloaded\n")
    assert Event.objects.get(slug="inf-signature-1987-12").title == "A curator's title"


def test_replacing_curated_data_is_explicit_lists_what_it_replaces_and_keeps_it_revertable(
    dataset, curator_api, write, capsys
):
    url = "/api/events/inf-signature-1987-12/"
    write(curator_api, "patch", url, {"title": "A curator's title"}, expect=200, etag=curator_api.get(url)["ETag"])
    write(curator_api, "post", "/api/events/", NEW_EVENT, expect=201)
    call_command("load_dataset", no_migrate=True, replace=True)
    out = capsys.readouterr().out.splitlines()
    assert out[-3:] == [
        "  deleted events/a-new-meeting",
        "  updated events/inf-signature-1987-12",
        "dataset 1.0.0 restored: 2 records changed",
    ]
    event = Event.objects.get(slug="inf-signature-1987-12")
    assert event.title == "INF Treaty signed"
    assert not Event.objects.filter(slug="a-new-meeting").exists()
    # Every replaced version stays in the history, and reverting it brings the curator's work back.
    replaced = event.history.filter(title="A curator's title").latest("history_date")
    replaced.instance.save()
    assert Event.objects.get(slug="inf-signature-1987-12").title == "A curator's title"
    deleted = Event.history.filter(slug="a-new-meeting", history_type="-").get()
    assert deleted.history_change_reason == "Curated changes replaced by dataset 1.0.0 (--replace-curated-data)"
    call_command("load_dataset", no_migrate=True)
    assert capsys.readouterr().out == "dataset 1.0.0 already loaded; 1 record changed since; nothing reloaded\n"


def _package(tmp_path, version: str, edit=None) -> Path:
    """The committed release's rows (edited), written as release ``version`` into a directory."""
    committed = packages.read(repository_release_dir())
    rows = package_rows(committed)
    if edit:
        edit(rows)
    metadata = {**{k: v for k, v in committed.descriptor.items() if k != "resources"}, "version": version}
    directory = tmp_path / version
    packages.build(packages.Snapshot(rows), [], metadata).write(directory)
    return directory


def _retitle(rows):
    event = next(row for row in rows["events"] if row["slug"] == "inf-signature-1987-12")
    event["title"] = "INF Treaty signed in Washington"


def test_a_newer_release_replaces_an_unchanged_working_copy(dataset, tmp_path, capsys):
    call_command("load_dataset", fixtures=_package(tmp_path, "1.1.0", _retitle), no_migrate=True)
    out = capsys.readouterr().out
    assert out == "  updated events/inf-signature-1987-12\ndataset 1.0.0 -> 1.1.0: 1 record changed\n"
    assert Event.objects.get(slug="inf-signature-1987-12").title == "INF Treaty signed in Washington"
    assert Release.objects.first().version == "1.1.0"


def test_a_newer_release_does_not_replace_curated_changes_unless_asked(dataset, tmp_path, curator_api, write, capsys):
    url = "/api/statements/biden-calls-withdrawal-short-sighted-2020/"
    write(curator_api, "patch", url, {"speaker": "Joe Biden"}, expect=200, etag=curator_api.get(url)["ETag"])
    directory = _package(tmp_path, "1.1.0", _retitle)
    call_command("load_dataset", fixtures=directory, no_migrate=True)
    assert capsys.readouterr().out == (
        "dataset 1.1.0 is newer than the loaded 1.0.0, but 1 record changed since; nothing reloaded. "
        "--replace-curated-data replaces them with 1.1.0 (listing each; the history keeps every replaced version), "
        "or publish them first with `manage.py release`\n"
    )
    assert Statement.objects.get(slug="biden-calls-withdrawal-short-sighted-2020").speaker == "Joe Biden"
    assert Event.objects.get(slug="inf-signature-1987-12").title == "INF Treaty signed"


def test_an_older_release_or_an_altered_one_is_never_loaded(dataset, tmp_path, capsys):
    call_command("load_dataset", fixtures=_package(tmp_path, "0.9.0", _retitle), no_migrate=True)
    assert capsys.readouterr().out == "the database holds dataset 1.0.0, newer than 0.9.0; nothing reloaded\n"
    call_command("load_dataset", fixtures=_package(tmp_path, "1.0.0", _retitle), no_migrate=True)
    assert "a changed dataset needs a new version; nothing reloaded" in capsys.readouterr().out
    assert Event.objects.get(slug="inf-signature-1987-12").title == "INF Treaty signed"


def forget_releases():
    """The database as it was before releases were recorded."""
    DatasetLoad.objects.all().delete()
    Release.objects.all().delete()


def test_a_database_filled_before_releases_is_adopted_only_if_it_holds_the_release(
    dataset, capsys, curator_api, write
):
    forget_releases()
    call_command("load_dataset", no_migrate=True)
    assert capsys.readouterr().out == "dataset 1.0.0 found in the database, recorded as loaded: 344 rows\n"
    forget_releases()
    url = "/api/events/inf-signature-1987-12/"
    write(curator_api, "patch", url, {"title": "A curator's title"}, expect=200, etag=curator_api.get(url)["ETag"])
    call_command("load_dataset", no_migrate=True)
    out = capsys.readouterr().out
    assert "the database holds a dataset that differs from 1.0.0 in 1 record" in out and "nothing reloaded" in out
    assert Event.objects.get(slug="inf-signature-1987-12").title == "A curator's title"


# --- The API ---------------------------------------------------------------------------------------------------------


def test_the_api_lists_releases_newest_first_with_downloads_that_match_their_checksums(
    dataset, curator_api, write, client, tmp_path
):
    write(curator_api, "post", "/api/events/", NEW_EVENT, expect=201)
    call_command("release", "1.1.0", output=tmp_path, verbosity=0)
    body = client.get("/api/releases/").json()
    assert [item["version"] for item in body["results"]] == ["1.1.0", "1.0.0"]
    for item in body["results"]:
        assert item["counts"]["events"] == Event.objects.count() - (item["version"] == "1.0.0")
        archive = client.get(item["archive"]["url"])
        assert archive["Content-Type"] == "application/octet-stream"
        assert archive["Content-Disposition"] == f'attachment; filename="treaty-api-{item["version"]}.zip"'
        assert sha256(archive.content) == item["archive"]["sha256"]
        members = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
        assert f"treaty-api-{item['version']}/datapackage.json" in members
        assert [f["name"] for f in item["files"]][0] == "datapackage.json"
        for described in item["files"]:
            response = client.get(described["url"])
            assert response.status_code == 200, described["url"]
            assert sha256(response.content) == described["sha256"] and len(response.content) == described["bytes"]
            assert response["Cache-Control"] == "public, max-age=31536000, immutable"
            assert response["ETag"] == f'"{described["sha256"]}"'
            assert response["Content-Type"].startswith(described["media_type"])
    newest = body["results"][0]
    assert newest["changes"] == [{"resource": "events", "key": "a-new-meeting", "old_key": None, "action": "created"}]
    csv_rows = list(csv.DictReader(io.StringIO(client.get(newest["files"][1]["url"]).content.decode())))
    assert csv_rows  # a resource file, readable as CSV


def test_released_files_answer_304_to_their_etag_and_404_naming_what_is_missing(dataset, client):
    response = client.get("/api/releases/1.0.0/package.zip")
    assert client.get("/api/releases/1.0.0/package.zip", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    detail = client.get("/api/releases/1.0.0/")
    assert client.get("/api/releases/1.0.0/", HTTP_IF_NONE_MATCH=detail["ETag"]).status_code == 304
    missing = client.get("/api/releases/9.9.9/")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "No release has the version '9.9.9'; see /api/releases/."
    missing = client.get("/api/releases/1.0.0/files/secret.json")
    assert missing.json()["detail"] == "Release 1.0.0 has no file 'secret.json'; its `files` lists them."
    assert client.get("/api/releases/1.0.0/files/events.txt").status_code == 404
    unknown = client.get("/api/releases/1.0.0/package.zip?download=1")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["parameter"] == "download"


def test_the_list_reads_a_fixed_number_of_queries(dataset, client, django_assert_num_queries):
    with django_assert_num_queries(4):  # count, releases, their files, their changes
        assert client.get("/api/releases/").status_code == 200


def test_the_citation_renders_as_csl_json_and_bibtex(dataset, client):
    detail = client.get("/api/releases/1.0.0/").json()
    created = datetime.datetime.fromisoformat(detail["created"].replace("Z", "+00:00"))
    csl = client.get(detail["citation"]["csl_json"])
    assert csl["Content-Type"] == "application/vnd.citationstyles.csl+json"
    [item] = csl.json()
    assert item["type"] == "dataset" and item["version"] == "1.0.0"
    assert item["issued"] == {"date-parts": [[created.year, created.month, created.day]]}
    assert item["URL"] == "http://testserver/api/releases/1.0.0/"
    assert item["author"] == [{"literal": "Treaty API curators"}]
    bibtex = client.get(detail["citation"]["bibtex"]).content.decode()
    assert bibtex.startswith("@misc{treaty_api_1_0_0,\n")
    assert "  version = {1.0.0},\n" in bibtex and f"  year = {{{created.year}}},\n" in bibtex
    assert "  url = {http://testserver/api/releases/1.0.0/},\n" in bibtex
    assert bibtex.count("{") == bibtex.count("}")
    assert detail["citation"]["text"] == (
        f"Treaty API curators ({created.year}). Treaty API: arms-control treaty facts, each cited to its source "
        "(Version 1.0.0) [Data set]. http://testserver/api/releases/1.0.0/"
    )


def test_the_api_root_and_the_front_page_name_the_latest_release(dataset, client):
    root = client.get("/api/").json()
    assert root["latest_release"] == {"version": "1.0.0", "url": "http://testserver/api/releases/1.0.0/"}
    front = client.get("/").content.decode()
    assert "version 1.0.0</a>" in front
    assert "(Version 1.0.0) [Data set]. http://testserver/api/releases/1.0.0/" in front
    assert 'href="http://testserver/api/releases/1.0.0/citation.bib"' in front


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO header


def test_citation_cff_cites_the_release_fixtures_hold():
    """The repository's CITATION.cff names the version and date of its latest release (release keeps them so)."""
    citation = yaml.safe_load((repository_release_dir().parent / "CITATION.cff").read_text())
    descriptor = packages.read(repository_release_dir()).descriptor
    assert citation["cff-version"] == "1.2.0" and citation["type"] == "dataset"
    assert citation["version"] == descriptor["version"]
    assert citation["date-released"] == descriptor["created"][:10]
    assert citation["license"] == descriptor["licenses"][0]["name"]


DESK_EDIT = """
import os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "treatyapi.settings")
django.setup()
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import setup_test_environment
from apps.events.models import Event
from tests.conftest import _form_values

setup_test_environment()  # so that the response carries the form it rendered, as in the suite

user = User.objects.create_superuser("desk-probe", password=None)
client = Client()
client.force_login(user)
url = f"/admin/events/event/{Event.objects.get(slug='inf-signature-1987-12').pk}/change/"
page = client.get(url)
data = _form_values(page.context["adminform"].form)
for inline in page.context["inline_admin_formsets"]:
    data |= _form_values(inline.formset.management_form)
    for form in inline.formset.forms:
        data |= _form_values(form)
response = client.post(url, data | {"title": "A curator's title"})
assert response.status_code == 302, response.content[:500]
"""


@pytest.mark.slow
def test_the_readmes_run_command_run_twice_keeps_a_desk_edit_and_says_so(tmp_path):
    """The README's run command loads the dataset, then serves; run again after an edit at the desk, its load step
    keeps the edit and says so. Each step is its own process, on its own SQLite file, as a new user would run it."""
    readme = (repository_release_dir().parent / "README.md").read_text()
    run_command = readme.split("```sh\n", 1)[1].split("\n", 1)[0]
    load_step = ".venv/bin/python manage.py load_dataset"
    assert f"{load_step} && .venv/bin/python manage.py runserver" in run_command
    env = {
        **os.environ,
        "ENV_FILE": "",
        "DEBUG": "1",
        "ALLOWED_HOSTS": "testserver",
        "CACHE_URL": "locmem://",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, *args], cwd=repository_release_dir().parent, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    assert run("manage.py", "load_dataset").endswith("loaded dataset 1.0.0: 344 rows\n")
    run("-c", DESK_EDIT)
    assert run("manage.py", "load_dataset") == (
        "dataset 1.0.0 already loaded; 1 record changed since; nothing reloaded\n"
    )
    title = run(
        "-c",
        DESK_EDIT.split("from django.contrib")[0]
        + ("from apps.events.models import Event\nprint(Event.objects.get(slug='inf-signature-1987-12').title)"),
    )
    assert title == "A curator's title\n"
