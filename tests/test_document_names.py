"""A source's ``document`` is a plain file name inside the documents directory: refused otherwise on every write path,
and never opened when it (or a link it names) leads outside that directory."""

import os

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.dataset.validation import validate
from apps.sources import documents
from apps.sources.models import Source

RULE = documents.DOCUMENT_NAME_RULE
BAD_NAMES = ["/etc/hostname", "../.env", "sub/report.txt", "..", ".", "..\\settings.py", "C:\\secret.txt"]
TEXT = "A headline\nThe treaty was signed.\n"


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_api_refuses_a_document_that_is_not_a_plain_file_name(open_skies, curator_api, write, name):
    url = "/api/sources/tass-2021-russia-withdrawal/"
    response = write(curator_api, "patch", url, {"document": name}, expect=400, etag=curator_api.get(url)["ETag"])
    assert {"parameter": "document", "message": RULE} in [
        {"parameter": error["parameter"], "message": error["message"]} for error in response.json()["errors"]
    ]
    assert Source.objects.get(slug="tass-2021-russia-withdrawal").document != name


@pytest.mark.parametrize("name", ["report.txt", "2021-03-01 tass (en).html", "..report.txt", "report..txt"])
def test_a_plain_file_name_is_accepted(open_skies, curator_api, write, name):
    url = "/api/sources/tass-2021-russia-withdrawal/"
    write(curator_api, "patch", url, {"document": name}, expect=200, etag=curator_api.get(url)["ETag"])
    assert Source.objects.get(slug="tass-2021-russia-withdrawal").document == name


def test_the_desk_refuses_a_path_on_the_document_field(make_source, curator_client, admin_form_data):
    source = make_source(slug="report", document="report.txt")
    url = f"/admin/sources/source/{source.pk}/change/"
    data = admin_form_data(curator_client.get(url)) | {"document": "../../etc/hostname"}
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["document"] == [RULE]
    source.refresh_from_db()
    assert source.document == "report.txt"


@pytest.mark.parametrize("name", ["/etc/hostname", "../x.txt", "..", "a\\b"])
def test_the_database_refuses_a_path_written_around_the_models_checks(make_source, name):
    """Fixtures (loaddata) and update() skip full_clean(); the check constraint still holds."""
    source = make_source(slug="report", document="report.txt")
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.filter(pk=source.pk).update(document=name)


def test_document_path_opens_only_files_inside_the_directory(tmp_path):
    inside = tmp_path / "docs"
    inside.mkdir()
    (inside / "report.txt").write_text(TEXT)
    (tmp_path / "secret.env").write_text("SECRET_KEY=x\n")
    os.symlink(tmp_path / "secret.env", inside / "link.txt")
    os.symlink(inside / "report.txt", inside / "alias.txt")
    assert documents.document_path(inside, "report.txt") == (inside / "report.txt").resolve()
    assert documents.document_path(inside, "alias.txt") == (inside / "report.txt").resolve()
    with pytest.raises(documents.DocumentNameError, match="leads outside the documents directory"):
        documents.document_path(inside, "link.txt")
    for name in [*BAD_NAMES, "", "a\x00b"]:
        with pytest.raises(documents.DocumentNameError, match="not a plain file name"):
            documents.document_path(inside, name)


@pytest.fixture
def library_with_a_link_out(tmp_path, make_source):
    """A documents directory holding one real document and a link to a secret file outside it, each named by a
    source (a name the constraint allows, so only the opening can refuse it)."""
    inside = tmp_path / "docs"
    inside.mkdir()
    (inside / "report.txt").write_text(TEXT)
    (tmp_path / "secret.env").write_text("SECRET_KEY=do-not-serve\n")
    os.symlink(tmp_path / "secret.env", inside / "secret.txt")
    make_source(slug="report", document="report.txt", text_sha256=documents.sha256(TEXT))
    make_source(slug="leak", document="secret.txt")
    return inside


def test_import_documents_never_reads_a_file_outside_the_directory(library_with_a_link_out, capsys):
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_documents", library_with_a_link_out)
    assert "error: leak: 'secret.txt' leads outside the documents directory" in capsys.readouterr().err
    assert Source.objects.get(slug="leak").text == ""
    assert Source.objects.get(slug="report").text == TEXT


def test_the_validator_never_reads_a_file_outside_the_directory(library_with_a_link_out):
    findings = validate(documents_dir=library_with_a_link_out)
    problems = [problem for problem in findings.problems if problem.key == "leak"]
    assert f"'secret.txt' leads outside the documents directory {library_with_a_link_out}." in [
        problem.message for problem in problems
    ]
    assert "do-not-serve" not in str(findings.problems)


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_the_file_name_of_a_path_and_notes_the_old_value():
    """A database that already holds a path (written before the constraint) migrates: the name is reduced to its
    file name, or emptied for a dot name, and the source's notes say what it was."""
    executor = MigrationExecutor(connection)
    before, after = [("sources", "0003_source_library")], [("sources", "0004_document_is_a_file_name")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldSource = old_apps.get_model("sources", "Source")
        common = {"title": "T", "language": "en", "kind": "news_report", "notes": "Kept."}
        OldSource.objects.create(slug="abs", document="/etc/hostname", **common)
        OldSource.objects.create(slug="dots", document="..", **common)
        OldSource.objects.create(slug="plain", document="report.txt", **common)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    migrated = {source.slug: source for source in Source.objects.filter(slug__in=["abs", "dots", "plain"])}
    assert migrated["abs"].document == "hostname"
    assert migrated["abs"].notes == (
        "Kept.\n\nDocument was '/etc/hostname', not a plain file name; migration sources 0004 kept 'hostname'."
    )
    assert migrated["dots"].document == ""
    assert migrated["plain"].document == "report.txt" and migrated["plain"].notes == "Kept."
