"""How much of a source's document the dataset has decided: each paragraph cited, deliberately left, or not yet.

A paragraph is cited when a citation of any cited model (found through ``citation_models()``) overlaps it; decided
when a ``ParagraphDecision`` leaves it uncited with a reason. 100% means every paragraph is one or the other.
"""

from dataclasses import dataclass

from . import documents
from .models import ParagraphDecision, Source, citation_models


@dataclass(frozen=True)
class Coverage:
    """Paragraph numbers (1-based) of a source's text by state; ``paragraphs`` is None while no text is loaded."""

    paragraphs: int | None
    cited: list[int]
    decided: list[int]
    uncited: list[int]

    @property
    def percent_decided(self) -> float | None:
        """Share of paragraphs cited or decided, in percent (one decimal); None without a text."""
        if not self.paragraphs:
            return None
        return round(100 * (len(self.cited) + len(self.decided)) / self.paragraphs, 1)


def citation_spans(source: Source) -> list[tuple[int, int]]:
    """(start, end) of every located citation of ``source``, across every citation model."""
    spans = []
    for model in citation_models():
        spans += model._default_manager.filter(source=source, start__isnull=False).values_list("start", "end")
    return spans


def coverage(source: Source) -> Coverage:
    """The source's coverage: which paragraphs are cited, which deliberately uncited, which still open."""
    decisions = sorted(ParagraphDecision.objects.filter(source=source).values_list("paragraph", flat=True))
    if not source.text:
        return Coverage(None, [], decisions, [])
    paragraphs = documents.paragraph_spans(source.text)
    spans = citation_spans(source)
    cited = [
        number
        for number, (para_start, para_end) in enumerate(paragraphs, start=1)
        if any(start < para_end and end > para_start for start, end in spans)
    ]
    decided = [number for number in decisions if number not in cited and number <= len(paragraphs)]
    done = set(cited) | set(decided)
    uncited = [number for number in range(1, len(paragraphs) + 1) if number not in done]
    return Coverage(len(paragraphs), cited, decided, uncited)
