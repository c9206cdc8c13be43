"""Loading a document's text into its source: checked against the dataset's hash, every citation re-located.

The one way a source's text changes (``import_documents``, ``load_dataset``, the upload on the source's admin page),
so a text is never stored that its citations or paragraph decisions do not fit: either all of them are placed in
the new text and saved with it, or nothing is saved and the errors say which citation failed and why.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.caching import bump_data_version

from . import documents
from .models import Citation, ParagraphDecision, Source, citation_models


@dataclass
class TextChange:
    """A text checked against a source: the normalised text, its hash, and the citations placed in it."""

    source: Source
    text: str
    sha256: str
    citations: list[Citation]


SELECTOR_FIELDS = ("prefix", "suffix", "start", "end", "locator")


def citations_place(source: Source, text: str) -> tuple[list[Citation], list[tuple[Citation, ValidationError]]]:
    """Place every citation of ``source`` in ``text`` (in memory): those that changed, and those that failed."""
    placed = Source(pk=source.pk, slug=source.slug, title=source.title, text=text)
    changed, failed = [], []
    if source.pk is None:
        return changed, failed
    for model in citation_models():
        for citation in model._default_manager.filter(source=source).select_related(model.cited_field):
            before = [getattr(citation, name) for name in SELECTOR_FIELDS]
            try:
                citation.locate_in(placed)
            except ValidationError as error:
                failed.append((citation, error))
                continue
            if [getattr(citation, name) for name in SELECTOR_FIELDS] != before:
                changed.append(citation)
    return changed, failed


def source_text_check(*, source: Source, text: str) -> TextChange:
    """Check that ``text`` may become ``source``'s text; raise a ValidationError on ``text`` saying why not."""
    text = documents.normalise_text(text)
    digest = documents.sha256(text)
    if source.text_sha256 and digest != source.text_sha256:
        raise ValidationError(
            {
                "text": f"This is not the document the dataset cites for '{source.slug}': its SHA-256 is {digest}, "
                f"the dataset's is {source.text_sha256}. Load the file '{source.document}' unchanged."
            },
            code="hash_mismatch",
        )
    if not text.strip():
        raise ValidationError({"text": "The document holds no text."}, code="empty")
    changed, failed = citations_place(source, text)
    problems = []
    for citation, error in failed:
        cited = getattr(citation, citation.cited_field)
        for name, messages in error.message_dict.items():
            problems += [f"{citation._meta.verbose_name} of {cited.slug} ({name}): {m}" for m in messages]
    if source.pk is not None:
        count = len(documents.paragraph_spans(text))
        for decision in ParagraphDecision.objects.filter(source=source, paragraph__gt=count):
            problems.append(f"paragraph decision {decision.paragraph}: the text has only {count} paragraphs.")
    if problems:
        raise ValidationError({"text": problems}, code="citations_do_not_fit")
    return TextChange(source, text, digest, changed)


@transaction.atomic
def source_text_set(*, source: Source, text: str) -> TextChange:
    """Store ``text`` as ``source``'s document (see ``source_text_check``) and save the citations it moved.

    A text with the hash already recorded is written without a new history row (the text is not in the history,
    and reloading the same documents must record nothing); a new hash is a change of the record, saved as one.
    """
    change = source_text_check(source=source, text=text)
    if change.sha256 != source.text_sha256:
        source.text, source.text_sha256 = change.text, change.sha256
        source.save()
    elif source.text != change.text or not source.has_text:
        source.text, source.has_text = change.text, True
        Source.objects.filter(pk=source.pk).update(text=change.text, has_text=True)
        # update() sends no signal: invalidate the cached API responses (whose citations now read verified).
        bump_data_version()
        transaction.on_commit(bump_data_version)
    for citation in change.citations:
        citation.source = source
        citation.save()
    return change


@dataclass
class ImportReport:
    """What ``documents_import`` did, source by source, and what it could not match."""

    loaded: list[str] = field(default_factory=list)
    sources_without_file: list[str] = field(default_factory=list)
    unmatched_files: list[str] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)


def documents_import(*, directory: Path, sources=None) -> ImportReport:
    """Load each source's document from ``directory`` (the file its ``document`` names), each source all or nothing.

    ``sources`` (a queryset) narrows it to those sources; files named by no source are reported either way.

    Files no source names and sources whose file is missing are reported, not errors; a file that cannot be read,
    whose hash differs from the dataset's or that its citations do not fit is an error for that source.
    """
    directory = Path(directory)
    report = ImportReport()
    named = set(Source.objects.exclude(document="").values_list("document", flat=True))
    for source in (Source.objects.all() if sources is None else sources).order_by("slug"):
        if not source.document:
            report.sources_without_file.append(f"{source.slug} (names no document)")
            continue
        try:
            path = documents.document_path(directory, source.document)
        except documents.DocumentNameError as error:
            report.errors[source.slug] = [str(error)]
            continue
        if not path.is_file():
            report.sources_without_file.append(f"{source.slug} ({source.document} not found)")
            continue
        try:
            source_text_set(source=source, text=documents.text_from_file(path.name, path.read_bytes()))
        except documents.DocumentUnreadable as error:
            report.errors[source.slug] = [str(error)]
        except ValidationError as error:
            report.errors[source.slug] = [m for messages in error.message_dict.values() for m in messages]
        else:
            report.loaded.append(source.slug)
    report.unmatched_files = sorted(
        path.name for path in directory.iterdir() if path.is_file() and path.name not in named
    )
    return report
