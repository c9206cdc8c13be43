"""A source's text laid out for the reader: numbered paragraphs split into runs, each run knowing the citations
covering it and the sentence it belongs to (cited, decided, or still undecided).

``read(source)`` is what the reader page shows; ``reader.ReaderAdminMixin`` serves it.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.html import format_html, format_html_join

from . import documents
from .choices import CitationStance
from .coverage import UNDECIDED, Coverage, SentenceState, coverage_of
from .models import ParagraphDecision, Source, citation_models
from .sentences import Sentence


@dataclass
class CitedPassage:
    """One citation as the reader shows it: where it stands, how it stands, and the record that cites it."""

    start: int
    end: int
    stance: str
    quote: str
    record_label: str  # "event usa-open-skies-withdrawal-effective-2020-11-22"
    record_url: str
    note: str = ""


@dataclass(frozen=True)
class SuggestionLink:
    """What an undecided sentence may hold, as the reader offers it: a one-line summary and the link that opens the
    record's form filled in with it. Made by the apps that know the records (events), through
    ``ReaderAdminMixin.suggesters``, so that sources imports none of them."""

    kind: str
    summary: str
    url: str


@dataclass
class OpenSentence:
    """An undecided sentence and what it may hold."""

    sentence: Sentence
    suggestions: list[SuggestionLink] = field(default_factory=list)


@dataclass
class Run:
    """A stretch of a paragraph covered by the same citations (none for plain text), within one sentence."""

    text: str
    passages: list[CitedPassage]
    sentence: SentenceState | None = None

    @property
    def css_class(self) -> str:
        stances = {passage.stance for passage in self.passages}
        if stances == {CitationStance.SUPPORTS}:
            return "cite cite-supports"
        if stances == {CitationStance.CONTRADICTS}:
            return "cite cite-contradicts"
        return "cite cite-mixed"

    @property
    def undecided(self) -> bool:
        return self.sentence is not None and self.sentence.state == UNDECIDED


@dataclass
class Paragraph:
    """Paragraph ``number`` (the Nth non-empty line) of the text, at ``start``..``end``."""

    number: int
    start: int
    end: int
    runs: list[Run]
    passages: list[CitedPassage]
    decision: ParagraphDecision | None
    uncited: bool
    sentences: list[SentenceState] = field(default_factory=list)
    suggestions: dict[int, list[SuggestionLink]] = field(default_factory=dict)

    @property
    def state(self) -> str:
        if self.uncited:
            return "uncited"
        return "cited" if self.passages else "decided"

    @property
    def decided_by_sentence(self) -> bool:
        """Whether the reader offers a decision per sentence: the paragraph is cited in part, or has several
        sentences (a one-sentence paragraph is decided as a whole)."""
        return bool(self.passages) or len(self.sentences) > 1

    @property
    def open_sentences(self) -> list[OpenSentence]:
        """The paragraph's undecided sentences, each offered its suggestions and a decision in the reader."""
        return [
            OpenSentence(item.sentence, self.suggestions.get(item.sentence.start, []))
            for item in self.sentences
            if item.state == UNDECIDED
        ]

    @property
    def sentence_decisions(self) -> list[SentenceState]:
        """Sentences decided by a decision of their own (not the paragraph's)."""
        return [item for item in self.sentences if item.decision is not None and item.decision.start is not None]

    def html(self) -> str:
        """The paragraph's text, each cited run marked (its title naming the records citing it), each undecided
        sentence marked.

        Built here rather than in the template so no whitespace slips between runs: the reader's script maps a
        selection back to offsets in the text by counting characters, so the element's text must be exactly the
        paragraph's. A mark, not a link: text in a link cannot be selected (a drag moves the link, a double click
        opens it), and a second record on a cited passage is the common case. The records are linked below the
        paragraph.
        """
        pieces = format_html_join("", "{}", ((_run_html(run),) for run in self.runs))
        return format_html('<span class="para-text" data-start="{}">{}</span>', self.start, pieces)


def _run_html(run: Run) -> str:
    if run.passages:
        return format_html(
            '<mark class="{}" title="{}">{}</mark>',
            run.css_class,
            "; ".join(f"{p.stance}: {p.record_label}" for p in run.passages),
            run.text,
        )
    if run.undecided:
        sentence = run.sentence.sentence
        return format_html(
            '<span class="sent-undecided" id="sent-{}-{}" title="{}: not decided yet">{}</span>',
            sentence.paragraph,
            sentence.number,
            sentence.label,
            run.text,
        )
    return run.text


@dataclass
class Reading:
    """What the reader shows of one source."""

    source: Source
    paragraphs: list[Paragraph]
    coverage: Coverage
    # Citations of this source not placed in its text (saved before the text was loaded): listed apart.
    unplaced: list[CitedPassage] = field(default_factory=list)

    def add_suggestions(self, found: dict[int, list[SuggestionLink]]) -> None:
        """Attach suggestions (by sentence start) to the paragraphs holding those sentences."""
        for paragraph in self.paragraphs:
            paragraph.suggestions |= {
                item.sentence.start: found[item.sentence.start]
                for item in paragraph.sentences
                if item.sentence.start in found
            }


def cited_passages(source: Source) -> list[CitedPassage]:
    """Every citation of ``source``, from every concrete citation model (one query each), in text order."""
    passages = []
    for model in citation_models():
        cited_field = model.cited_field
        cited_model = model._meta.get_field(cited_field).related_model
        url_name = f"admin:{cited_model._meta.app_label}_{cited_model._meta.model_name}_change"
        rows = model.objects.filter(source=source).values_list(
            "start", "end", "stance", "quote", f"{cited_field}_id", f"{cited_field}__slug", "note"
        )
        for start, end, stance, quote, record_id, slug, note in rows:
            passages.append(
                CitedPassage(
                    start=start,
                    end=end,
                    stance=stance,
                    quote=quote,
                    record_label=f"{cited_model._meta.verbose_name} {slug}",
                    record_url=reverse(url_name, args=[record_id]),
                    note=note,
                )
            )
    return sorted(passages, key=lambda p: (p.start is None, p.start or 0, p.end or 0, p.record_label))


def read(source: Source) -> Reading:
    """Lay ``source``'s text out by paragraph, split into runs at the edges of every cited passage and sentence."""
    text = source.text
    passages = cited_passages(source)
    placed = [p for p in passages if p.start is not None]
    decisions = list(source.paragraph_decisions.all())
    whole = {decision.paragraph: decision for decision in decisions if decision.start is None}
    # From the rows read for the page, rather than coverage(source) reading them again: one rule, half the queries.
    counts = coverage_of(text, [(p.start, p.end) for p in placed], decisions)
    uncited = set(counts.uncited)
    by_paragraph: dict[int, list[SentenceState]] = {}
    for item in counts.sentences:
        by_paragraph.setdefault(item.sentence.paragraph, []).append(item)
    paragraphs = []
    for number, (start, end) in enumerate(documents.paragraph_spans(text), start=1):
        inside = [p for p in placed if p.start < end and p.end > start]
        in_sentences = by_paragraph.get(number, [])
        # Undecided sentences are runs of their own (no citation overlaps them), so the page can mark them.
        undecided = [item for item in in_sentences if item.state == UNDECIDED]
        edges = {start, end} | {min(max(edge, start), end) for p in inside for edge in (p.start, p.end)}
        edges |= {edge for item in undecided for edge in (item.sentence.start, item.sentence.end)}
        edges = sorted(edges)
        runs = []
        for left, right in zip(edges, edges[1:], strict=False):
            covering = [p for p in inside if p.start <= left and p.end >= right]
            within = next((i for i in undecided if i.sentence.start <= left and right <= i.sentence.end), None)
            runs.append(Run(text[left:right], covering, within))
        paragraphs.append(
            Paragraph(
                number, start, end, runs, inside, whole.get(number), uncited=number in uncited, sentences=in_sentences
            )
        )
    return Reading(source, paragraphs, counts, unplaced=[p for p in passages if p.start is None])
