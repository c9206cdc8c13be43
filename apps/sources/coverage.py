"""How much of a source's document the dataset has decided: each paragraph cited, deliberately left, or not yet.

A paragraph is cited when a citation of any cited model (found through ``citation_models()``) overlaps it; decided
when a ``ParagraphDecision`` leaves it uncited with a reason. 100% means every paragraph is one or the other.
Citations not placed in the text (saved while it was not loaded) count for nothing here.
"""

from collections import defaultdict
from collections.abc import Iterable
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


def coverage_of(text: str, spans: Iterable[tuple[int, int]], decisions: Iterable[int]) -> Coverage:
    """Coverage of ``text`` given its citations' (start, end) spans and the paragraph numbers decided."""
    decisions = sorted(decisions)
    if not text:
        return Coverage(None, [], decisions, [])
    paragraphs = documents.paragraph_spans(text)
    spans = list(spans)
    cited = [
        number
        for number, (para_start, para_end) in enumerate(paragraphs, start=1)
        if any(start < para_end and end > para_start for start, end in spans)
    ]
    decided = [number for number in decisions if number not in cited and number <= len(paragraphs)]
    done = set(cited) | set(decided)
    uncited = [number for number in range(1, len(paragraphs) + 1) if number not in done]
    return Coverage(len(paragraphs), cited, decided, uncited)


def citation_spans(source: Source) -> list[tuple[int, int]]:
    """(start, end) of every located citation of ``source``, across every citation model."""
    spans = []
    for model in citation_models():
        spans += model._default_manager.filter(source=source, start__isnull=False).values_list("start", "end")
    return spans


def coverages(sources: Iterable[Source]) -> dict[int, Coverage]:
    """Coverage of each source, by primary key: one query per citation model and one for the decisions, in all
    (a changelist's page at once)."""
    sources = [source for source in sources if source.pk is not None]
    ids = [source.pk for source in sources]
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for model in citation_models():
        rows = model._default_manager.filter(source_id__in=ids, start__isnull=False)
        for source_id, start, end in rows.values_list("source_id", "start", "end"):
            spans[source_id].append((start, end))
    decided: dict[int, list[int]] = defaultdict(list)
    rows = ParagraphDecision.objects.filter(source_id__in=ids).values_list("source_id", "paragraph")
    for source_id, paragraph in rows:
        decided[source_id].append(paragraph)
    return {source.pk: coverage_of(source.text, spans[source.pk], decided[source.pk]) for source in sources}


def coverage(source: Source) -> Coverage:
    """The source's coverage: which paragraphs are cited, which deliberately uncited, which still open."""
    return coverages([source])[source.pk]
