"""Loading a document's text into its source: checked against the dataset's hash, every citation re-located.

The one way a source's text changes (``import_documents``, ``load_dataset``, the upload on the source's admin page),
so a text is never stored that its citations or paragraph decisions do not fit: either all of them are placed in
the new text and saved with it, or nothing is saved and the errors say which citation failed and why.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from . import documents
from .models import Citation, ParagraphDecision, Source, citation_models


@dataclass
class TextChange:
    """A text checked against a source: the normalised text, its hash, and the citations placed in it."""

    source: Source
    text: str
    sha256: str
    citations: list[Citation]


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
    placed = Source(pk=source.pk, slug=source.slug, title=source.title, text=text)
    problems, citations = [], []
    if source.pk is not None:
        for model in citation_models():
            for citation in model._default_manager.filter(source=source).select_related(model.cited_field):
                try:
                    citation.locate_in(placed)
                except ValidationError as error:
                    cited = getattr(citation, citation.cited_field)
                    for field, messages in error.message_dict.items():
                        problems += [f"{model._meta.verbose_name} of {cited.slug} ({field}): {m}" for m in messages]
                    continue
                citations.append(citation)
        count = len(documents.paragraph_spans(text))
        for decision in ParagraphDecision.objects.filter(source=source, paragraph__gt=count):
            problems.append(f"paragraph decision {decision.paragraph}: the text has only {count} paragraphs.")
    if problems:
        raise ValidationError({"text": problems}, code="citations_do_not_fit")
    return TextChange(source, text, digest, citations)


@transaction.atomic
def source_text_set(*, source: Source, text: str) -> TextChange:
    """Store ``text`` as ``source``'s document (see ``source_text_check``) and save its re-located citations."""
    change = source_text_check(source=source, text=text)
    source.text, source.text_sha256 = change.text, change.sha256
    source.save()
    for citation in change.citations:
        citation.source = source
        citation.save()
    return change
