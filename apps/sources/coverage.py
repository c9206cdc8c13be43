"""How much of a source the dataset accounts for: each paragraph cited, or deliberately left uncited, or not yet.

A paragraph is *cited* when a placed citation (of any cited model) covers any of it, and *decided* when it is not
cited but a ``ParagraphDecision`` says why it is left uncited; the rest are *uncited*, the curator's to-do list.
``percent_decided`` counts cited and decided paragraphs together, so 100% means every paragraph has been looked at.
Citations not placed in the text (saved while it was not loaded) count for nothing here.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from . import documents
from .models import ParagraphDecision, Source, citation_models


@dataclass(frozen=True)
class Coverage:
    """One source's coverage: counts of paragraphs, and the numbers of those still to decide."""

    paragraphs: int
    cited: int
    decided: int
    uncited: list[int]
    percent_decided: float


def coverage_of(text: str, spans: Iterable[tuple[int, int]], decided: Iterable[int]) -> Coverage:
    """Coverage of ``text`` given its citations' (start, end) spans and the paragraph numbers decided."""
    paragraphs = documents.paragraph_spans(text)
    spans = list(spans)
    cited = {
        number
        for number, (start, end) in enumerate(paragraphs, start=1)
        if any(left < end and right > start for left, right in spans)
    }
    decided = set(decided) - cited
    uncited = [number for number in range(1, len(paragraphs) + 1) if number not in cited and number not in decided]
    total = len(paragraphs)
    percent = round(100 * (total - len(uncited)) / total, 1) if total else 0.0
    return Coverage(total, len(cited), len(decided), uncited, percent)


def coverages(sources: Iterable[Source]) -> dict[int, Coverage]:
    """Coverage of each source, by primary key: one query per citation model and one for the decisions, in all."""
    sources = [source for source in sources if source.pk is not None]
    ids = [source.pk for source in sources]
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for model in citation_models():
        rows = model._default_manager.filter(source_id__in=ids, start__isnull=False)
        for source_id, start, end in rows.values_list("source_id", "start", "end"):
            spans[source_id].append((start, end))
    decided: dict[int, list[int]] = defaultdict(list)
    for source_id, paragraph in ParagraphDecision.objects.filter(source_id__in=ids).values_list(
        "source_id", "paragraph"
    ):
        decided[source_id].append(paragraph)
    return {source.pk: coverage_of(source.text, spans[source.pk], decided[source.pk]) for source in sources}


def coverage(source: Source) -> Coverage:
    """Coverage of one source (see ``coverages``)."""
    return coverages([source])[source.pk]
