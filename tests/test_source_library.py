"""Documents into the database (import_documents, load_dataset, the admin upload), coverage, and the dataset's
citations against the seed documents."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from apps.dataset.validation import validate
from apps.events.models import EventCitation
from apps.sources import documents
from apps.sources.models import Source, citation_models

DOCUMENTS = Path(settings.SEED_DOCUMENTS_DIR)
needs_documents = pytest.mark.skipif(not DOCUMENTS.is_dir(), reason=f"source documents not found at {DOCUMENTS}")
TEXT = "A headline\n\nThe United States left the treaty.\nRussia regretted it.\n"


@pytest.fixture
def cited_source(make_source, make_event):
    source = make_source(slug="report", document="report.txt", text_sha256=documents.sha256(TEXT))
    EventCitation.objects.create(event=make_event(cite=False), source=source, quote="Russia regretted it.")
    return source


def test_import_documents_loads_matching_files_and_reports_the_rest(cited_source, make_source, tmp_path, capsys):
    (tmp_path / "report.txt").write_text(TEXT.replace("\n", "\r\n"), encoding="utf-8")
    (tmp_path / "stray.txt").write_text("Nobody cites me.", encoding="utf-8")
    make_source(slug="unfiled", document="missing.txt")
    call_command("import_documents", tmp_path)
    output = capsys.readouterr()
    assert "loaded the text of report" in output.out
    assert f"warning: {tmp_path / 'stray.txt'} matches no source's document" in output.err
    assert f"warning: no document in {tmp_path} for source unfiled (missing.txt not found)" in output.err
    cited_source.refresh_from_db()
    assert cited_source.text == TEXT and cited_source.has_text
    citation = EventCitation.objects.get(source=cited_source)
    assert (citation.start, citation.locator, citation.is_verified) == (TEXT.index("Russia"), "para. 3", True)


def test_import_documents_refuses_a_file_whose_hash_differs(cited_source, tmp_path, capsys):
    (tmp_path / "report.txt").write_text(TEXT + "An added line.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_documents", tmp_path)
    assert "This is not the document the dataset cites for 'report'" in capsys.readouterr().err
    cited_source.refresh_from_db()
    assert cited_source.text == "" and not cited_source.has_text


def test_import_documents_refuses_a_text_its_citations_do_not_fit(cited_source, tmp_path, capsys):
    other = TEXT.replace("regretted", "welcomed")
    Source.objects.filter(pk=cited_source.pk).update(text_sha256="")
    (tmp_path / "report.txt").write_text(other, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_documents", tmp_path)
    err = capsys.readouterr().err
    assert "event citation of " in err and "(quote): Not found in 'Report" in err
    assert Source.objects.get(pk=cited_source.pk).text == ""


def test_load_dataset_says_plainly_when_the_documents_are_absent(db, tmp_path, capsys):
    call_command("load_dataset", no_migrate=True, documents=tmp_path / "absent", verbosity=0)
    assert "no document text was loaded, so every citation is unverified" in capsys.readouterr().err
    assert not Source.objects.filter(has_text=True).exists()


@needs_documents
def test_loading_the_dataset_twice_records_no_new_history(db):
    call_command("load_dataset", no_migrate=True, verbosity=0)
    counts = [model.history.count() for model in citation_models()]
    call_command("load_dataset", no_migrate=True, verbosity=0)
    assert [model.history.count() for model in citation_models()] == counts


def test_coverage_command_prints_a_table_and_names_unknown_sources(cited_source, capsys):
    call_command("coverage")
    assert "report" in capsys.readouterr().out
    Source.objects.filter(pk=cited_source.pk).update(text=TEXT, has_text=True)
    citation = EventCitation.objects.get(source=cited_source)
    citation.full_clean()  # placed in the text now
    citation.save()
    call_command("coverage", source="report")
    line = capsys.readouterr().out.splitlines()[2]
    # Sentences: 3, cited 1, decided 0, no fact 0, open 2; paragraphs: 3, one of them decided (cited).
    assert line.split()[:9] == ["report", "3", "1", "0", "0", "2", "33.3%", "3", "33.3%"]
    assert line.endswith("1.1, 2.1")
    with pytest.raises(CommandError, match="No source has the slug 'nope'"):
        call_command("coverage", source="nope")


def test_validate_lists_unverified_citations(cited_source, tmp_path):
    findings = validate(documents_dir=tmp_path)
    assert any(
        "1 citation(s) of report are unverified: its text is not loaded" in warning for warning in findings.warnings
    )


# --- Upload on the source's admin page ---------------------------------------------------------------------------


def _upload(client, admin_form_data, source, name: str, content: bytes):
    url = reverse("admin:sources_source_change", args=[source.pk])
    data = admin_form_data(client.get(url))
    data["document_file"] = SimpleUploadedFile(name, content)
    return client.post(url, data)


def test_uploading_the_document_loads_it_and_places_the_citations(cited_source, curator_client, admin_form_data):
    response = _upload(curator_client, admin_form_data, cited_source, "report.txt", TEXT.encode())
    assert response.status_code == 302
    cited_source.refresh_from_db()
    assert cited_source.text == TEXT
    assert EventCitation.objects.get(source=cited_source).locator == "para. 3"


def test_an_html_upload_is_reduced_to_its_text(make_source, curator_client, admin_form_data):
    source = make_source(slug="html")
    html = b"<html><head><title>x</title><script>var a;</script></head><body><h1>Head</h1><p>One &amp; two.</p></body>"
    assert _upload(curator_client, admin_form_data, source, "page.html", html).status_code == 302
    source.refresh_from_db()
    assert source.text == "Head\nOne & two.\n"
    assert source.text_sha256 == documents.sha256("Head\nOne & two.\n")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("scan.pdf", b"%PDF-1.7 binary", "is not a text file (it holds binary data)"),
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "is not a text file"),
        ("empty.txt", b"  \n", "is empty"),
        ("latin1.txt", "Caf\xe9".encode("latin-1"), "is not UTF-8 text"),
        ("report.txt", (TEXT + "More.\n").encode(), "This is not the document the dataset cites for 'report'"),
        ("report.txt", TEXT.replace("regretted", "hailed").encode(), "SHA-256"),
    ],
)
def test_bad_uploads_are_field_errors_and_nothing_is_saved(
    cited_source, curator_client, admin_form_data, name, content, message
):
    response = _upload(curator_client, admin_form_data, cited_source, name, content)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["document_file"]
    assert any(message in error for error in errors), errors
    cited_source.refresh_from_db()
    assert cited_source.text == "" and not cited_source.has_text


NUL_LATE = ("x" * 9000 + "\n" + "Russia\x00 regretted it.\n").encode()


def test_a_nul_past_the_first_8_kb_is_a_form_error_not_a_500(make_source, curator_client, admin_form_data):
    """A NUL in the first 8 KB marks a binary file; one further on reached PostgreSQL, which cannot store it (500)."""
    source = make_source(slug="late-nul")
    response = _upload(curator_client, admin_form_data, source, "report.txt", NUL_LATE)
    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["document_file"]
    assert error.startswith("The document holds a NUL character (line 2, character 9,008)")
    source.refresh_from_db()
    assert source.text == "" and not source.has_text


def test_import_documents_refuses_a_nul_too(make_source, tmp_path, capsys):
    make_source(slug="late-nul", document="report.txt")
    (tmp_path / "report.txt").write_bytes(NUL_LATE)
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_documents", tmp_path)
    assert "error: late-nul: The document holds a NUL character" in capsys.readouterr().err
    assert not Source.objects.get(slug="late-nul").has_text


def test_a_document_over_the_size_limit_is_refused_by_the_upload_and_import_documents(
    cited_source, settings, tmp_path, curator_client, admin_form_data, capsys
):
    """DOCUMENT_MAX_BYTES holds on every path that reads a document; a file of exactly the limit is accepted."""
    size = len(TEXT.encode())
    settings.DOCUMENT_MAX_BYTES = size - 1
    response = _upload(curator_client, admin_form_data, cited_source, "report.txt", TEXT.encode())
    assert response.status_code == 200
    message = f"The file report.txt is larger than {size - 1} bytes, the limit for a document (setting DOCUMENT_MAX"
    assert response.context["adminform"].form.errors["document_file"][0].startswith(message)
    (tmp_path / "report.txt").write_text(TEXT, encoding="utf-8")
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_documents", tmp_path)
    assert f"error: report: {message}" in capsys.readouterr().err
    assert not Source.objects.get(pk=cited_source.pk).has_text
    settings.DOCUMENT_MAX_BYTES = size
    call_command("import_documents", tmp_path)
    assert Source.objects.get(pk=cited_source.pk).has_text


@needs_documents
def test_load_dataset_holds_the_document_size_limit(db, settings, capsys):
    settings.DOCUMENT_MAX_BYTES = 4096  # the seed documents are 4-11 KB
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_dataset", no_migrate=True, verbosity=0)
    assert "is larger than 4,096 bytes, the limit for a document" in capsys.readouterr().err
    assert not Source.objects.filter(has_text=True).exists()
