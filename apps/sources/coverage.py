"""How much of a source's document the dataset has decided, sentence by sentence and paragraph by paragraph.

A sentence (``sentences.sentence_spans``) is *cited* when a citation of any cited model (found through
``citation_models()``) overlaps it; else *decided* or *no fact in scope* when a ``ParagraphDecision`` covers it (its
paragraph's, or its own); else *undecided*. A paragraph is decided when all its sentences are: cited when one of
them is cited, decided when none is, and open ("uncited") while any sentence is undecided. 100% means every
sentence is decided. Citations not placed in the text (saved while it was not loaded) count for nothing here.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from . import documents
from . import sentences as splitter
from .choices import DecisionKind
from .decisions import covers, decision_span
from .models import ParagraphDecision, Source, citation_models

CITED, DECIDED, NO_FACT, UNDECIDED = "cited", "decided", "no_fact", "undecided"


@dataclass(frozen=True)
class SentenceState:
    """One sentence and how it is decided: cited, decided (left uncited with a reason), no_fact or undecided."""

    sentence: splitter.Sentence
    state: str
    decision: ParagraphDecision | None = None


@dataclass(frozen=True)
class Coverage:
    """A source's sentences by state, and its paragraph numbers (1-based) by state; ``paragraphs`` is None while no
    text is loaded."""

    paragraphs: int | None
    cited: list[int]
    decided: list[int]
    uncited: list[int]
    sentences: tuple[SentenceState, ...] = ()

    def sentences_in(self, state: str) -> list[SentenceState]:
        return [item for item in self.sentences if item.state == state]

    @property
    def sentence_counts(self) -> dict[str, int]:
        """How many sentences are in each state: cited, decided, no_fact, undecided."""
        return {state: len(self.sentences_in(state)) for state in (CITED, DECIDED, NO_FACT, UNDECIDED)}

    @property
    def undecided_sentences(self) -> list[SentenceState]:
        return self.sentences_in(UNDECIDED)

    @property
    def percent_decided(self) -> float | None:
        """Share of paragraphs whose every sentence is decided, in percent (one decimal); None without a text."""
        if not self.paragraphs:
            return None
        return round(100 * (len(self.cited) + len(self.decided)) / self.paragraphs, 1)

    @property
    def percent_sentences_decided(self) -> float | None:
        """Share of sentences cited, decided or without a fact in scope, in percent (one decimal)."""
        if not self.sentences:
            return None
        return round(100 * (len(self.sentences) - len(self.undecided_sentences)) / len(self.sentences), 1)


def coverage_of(text: str, spans: Iterable[tuple[int, int]], decisions: Iterable[ParagraphDecision]) -> Coverage:
    """Coverage of ``text`` given its citations' (start, end) spans and its decisions."""
    decisions = list(decisions)
    if not text:
        return Coverage(None, [], sorted({d.paragraph for d in decisions if d.start is None}), [])
    spans = list(spans)
    covering = [(decision, decision_span(decision, text)) for decision in decisions]
    states = []
    for sentence in splitter.sentence_spans(text):
        if any(splitter.overlaps(start, end, sentence.start, sentence.end) for start, end in spans):
            states.append(SentenceState(sentence, CITED))
            continue
        # A sentence's own decision before its paragraph's: it is the more specific of the two.
        found = [decision for decision, span in covering if covers(span, sentence)]
        found.sort(key=lambda decision: decision.start is None)
        if found:
            state = NO_FACT if found[0].kind == DecisionKind.NO_FACT else DECIDED
            states.append(SentenceState(sentence, state, found[0]))
        else:
            states.append(SentenceState(sentence, UNDECIDED))
    by_paragraph: dict[int, set[str]] = defaultdict(set)
    for item in states:
        by_paragraph[item.sentence.paragraph].add(item.state)
    cited, decided, uncited = [], [], []
    for number in range(1, len(documents.paragraph_spans(text)) + 1):
        found_states = by_paragraph[number]
        if UNDECIDED in found_states:
            uncited.append(number)
        elif CITED in found_states:
            cited.append(number)
        else:
            decided.append(number)
    return Coverage(len(cited) + len(decided) + len(uncited), cited, decided, uncited, tuple(states))


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
    decided: dict[int, list[ParagraphDecision]] = defaultdict(list)
    for decision in ParagraphDecision.objects.filter(source_id__in=ids):
        decided[decision.source_id].append(decision)
    return {source.pk: coverage_of(source.text, spans[source.pk], decided[source.pk]) for source in sources}


def coverage(source: Source) -> Coverage:
    """The source's coverage: which sentences and paragraphs are cited, decided, or still open."""
    return coverages([source])[source.pk]


def coverage_document(source: Source) -> dict:
    """The coverage as ``GET /api/sources/{slug}/coverage/`` serves it (``api.schema.CoverageSerializer``)."""
    result = coverage(source)

    def part(numbers):
        return {"count": len(numbers), "paragraphs": numbers}

    loaded = result.paragraphs is not None
    return {
        "source": source.slug,
        "text_loaded": bool(source.text),
        "paragraphs": result.paragraphs,
        "cited": part(result.cited),
        "decided": part(result.decided),
        "uncited": part(result.uncited) if loaded else None,
        "percent_decided": result.percent_decided,
        "sentences": {
            "total": len(result.sentences),
            **result.sentence_counts,
            "percent_decided": result.percent_sentences_decided,
            "undecided_sentences": [
                {
                    "paragraph": item.sentence.paragraph,
                    "sentence": item.sentence.number,
                    "start": item.sentence.start,
                    "end": item.sentence.end,
                }
                for item in result.undecided_sentences
            ],
        }
        if loaded
        else None,
    }
