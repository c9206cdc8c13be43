"""Loading a document's text into its source: checked against the dataset's hash, every citation re-located.

The one way a source's text changes (``import_documents``, ``load_dataset``, the upload on the source's admin page),
so a text is never stored that its citations or paragraph decisions do not fit: either all of them are placed in
the new text and saved with it, or nothing is saved and the errors say which citation failed and why. A document
other than the one whose hash is recorded is taken only as a replacement that names the hash it replaces (the upload
on the source's admin page, for a first upload that was the wrong file); the history keeps the old hash.
"""

from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.core.data_version import bump_data_version

from . import documents
from .models import Citation, ParagraphDecision, Source, citation_models


@dataclass
class TextChange:
    """A text checked against a source: the normalised text, its hash, the citations placed in it, and, when it
    replaces the source's document, the hash it replaces and the paragraph decisions it moves (decision, number)."""

    source: Source
    text: str
    sha256: str
    citations: list[Citation]
    replaces: str = ""
    moves: list[tuple[ParagraphDecision, int]] = field(default_factory=list)


SELECTOR_FIELDS = ("prefix", "suffix", "start", "end", "locator")


def citations_place(
    source: Source, text: str, *, replacing: bool = False
) -> tuple[list[Citation], list[tuple[Citation, ValidationError]]]:
    """Place every citation of ``source`` in ``text`` (in memory): those that changed, and those that failed.

    ``replacing``: ``text`` is another document than the one the selectors were taken from, so a citation whose
    prefix or suffix is not found next to its quote there is placed again by its quote alone, which must then be
    unique in ``text``.
    """
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
                if not (replacing and (citation.prefix or citation.suffix)):
                    failed.append((citation, error))
                    continue
                citation.prefix = citation.suffix = ""
                try:
                    citation.locate_in(placed)
                except ValidationError:
                    failed.append((citation, error))
                    continue
            if [getattr(citation, name) for name in SELECTOR_FIELDS] != before:
                changed.append(citation)
    return changed, failed


def decisions_place(source: Source, text: str) -> tuple[list[tuple[ParagraphDecision, int]], list[str]]:
    """Where each paragraph decision of ``source`` stands in ``text``, a document replacing the source's: at the one
    paragraph of ``text`` that reads as its paragraph of the old text. Returns the decisions that move (with their
    new number) and what cannot be placed."""
    old = [source.text[start:end].strip() for start, end in documents.paragraph_spans(source.text)]
    new = [text[start:end].strip() for start, end in documents.paragraph_spans(text)]
    moves, problems = [], []
    for decision in ParagraphDecision.objects.filter(source=source).order_by("paragraph"):
        line = old[decision.paragraph - 1] if decision.paragraph <= len(old) else None
        found = [number for number, paragraph in enumerate(new, 1) if paragraph == line]
        if line is None:
            problems.append(
                f"paragraph decision {decision.paragraph}: the text of the document it replaces is not loaded, so "
                "where that paragraph stands in the new one is unknown; delete the decision, or load the old "
                "document first."
            )
        elif len(found) != 1:
            where = "is not in the new document" if not found else f"is in the new document {len(found)} times"
            problems.append(f"paragraph decision {decision.paragraph}: its paragraph ({line[:60]!r}) {where}.")
        else:
            moves.append((decision, found[0]))
    targets = [number for _, number in moves]
    if any(later <= earlier for earlier, later in zip(targets, targets[1:], strict=False)):
        problems.append("paragraph decisions: the new document puts their paragraphs in another order.")
    return [(decision, number) for decision, number in moves if number != decision.paragraph], problems


def source_text_check(*, source: Source, text: str, replaces: str = "") -> TextChange:
    """Check that ``text`` may become ``source``'s text; raise a ValidationError on ``text`` saying why not.

    ``replaces``: the SHA-256 of the document ``text`` replaces, which must be the source's (``replaces`` says why
    not otherwise): a different document is accepted only so, explicitly.
    """
    text = documents.normalise_text(text)
    nul = text.find("\x00")
    if nul != -1:
        # Binary files are told apart by a NUL in their first 8 KB; one further on reached PostgreSQL, which cannot
        # store it (a 500 at the upload).
        line = text.count("\n", 0, nul) + 1
        raise ValidationError(
            {
                "text": f"The document holds a NUL character (line {line}, character {nul + 1:,}), which is not text "
                "and which the database cannot store: remove it, or give the document's text as plain text."
            },
            code="nul_character",
        )
    digest = documents.sha256(text)
    if replaces:
        _check_replaces(source, digest, replaces)
    elif source.text_sha256 and digest != source.text_sha256:
        message = (
            f"This is not the document the dataset cites for '{source.slug}': its SHA-256 is {digest}, the dataset's "
            f"is {source.text_sha256}. Load the file '{source.document}' unchanged."
        )
        raise ValidationError({"text": ValidationError(message, code="hash_mismatch")})
    if not text.strip():
        raise ValidationError({"text": "The document holds no text."}, code="empty")
    changed, failed = citations_place(source, text, replacing=bool(replaces))
    problems = []
    for citation, error in failed:
        cited = getattr(citation, citation.cited_field)
        for name, messages in error.message_dict.items():
            problems += [f"{citation._meta.verbose_name} of {cited.slug} ({name}): {m}" for m in messages]
    moves = []
    if replaces:
        moves, decision_problems = decisions_place(source, text)
        problems += decision_problems
    elif source.pk is not None:
        count = len(documents.paragraph_spans(text))
        for decision in ParagraphDecision.objects.filter(source=source, paragraph__gt=count):
            problems.append(f"paragraph decision {decision.paragraph}: the text has only {count} paragraphs.")
    if problems:
        raise ValidationError({"text": problems}, code="citations_do_not_fit")
    return TextChange(source, text, digest, changed, replaces, moves)


def _check_replaces(source: Source, digest: str, replaces: str) -> None:
    if not source.text_sha256:
        message = f"'{source.slug}' records no document yet: load this one without replacing anything."
    elif replaces != source.text_sha256:
        message = (
            f"'{source.slug}' holds the document with SHA-256 {source.text_sha256}, not {replaces}: give the hash "
            "of the document this one replaces (it may have been replaced since you read it)."
        )
    elif digest == source.text_sha256:
        message = "This is the document the source holds already: there is nothing to replace."
    else:
        return
    raise ValidationError({"replaces": ValidationError(message, code="replaces_mismatch")})


@transaction.atomic
def source_text_set(*, source: Source, text: str, replaces: str = "") -> TextChange:
    """Store ``text`` as ``source``'s document (see ``source_text_check``) and save the citations it moved.

    A text with the hash already recorded is written without a new history row (the text is not in the history,
    and reloading the same documents must record nothing); a new hash is a change of the record, saved as one. A
    replacement (``replaces``) names the hash it replaces in the change's reason, in the source's history and in the
    history of each citation and paragraph decision it moves.
    """
    change = source_text_check(source=source, text=text, replaces=replaces)
    # The new hash is the record's own; the reason names the old one (history keeps at most 100 characters).
    reason = f"Document replaced, was SHA-256 {replaces}" if replaces else None
    if change.sha256 != source.text_sha256:
        source.text, source.text_sha256 = change.text, change.sha256
        source._change_reason = reason
        source.save()
    elif source.text != change.text or not source.has_text:
        source.text, source.has_text = change.text, True
        Source.objects.filter(pk=source.pk).update(text=change.text, has_text=True)
        # update() sends no signal: invalidate the cached API responses (whose citations now read verified).
        bump_data_version()
    for citation in change.citations:
        citation.source = source
        citation._change_reason = reason
        citation.save()
    # One number each: those moving to a lower number from the first, those moving higher from the last (their order
    # is kept, so no two ever share a paragraph, which the unique constraint would refuse).
    down = [move for move in change.moves if move[1] < move[0].paragraph]
    up = [move for move in change.moves if move[1] > move[0].paragraph]
    for decision, number in [*down, *reversed(up)]:
        decision.paragraph, decision._change_reason = number, reason
        decision.save()
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
            with path.open("rb") as file:
                text = documents.text_from_file(path.name, file)
            source_text_set(source=source, text=text)
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
