"""Which sentences a decision covers, and the rule that a citation replaces the decisions it contradicts.

A decision (``models.ParagraphDecision``) leaves a whole paragraph uncited, or one sentence of it. Citing a passage
says the opposite of "nothing here to cite", so every write of a located citation, by any path (the admin's forms,
the API, the CSV import, a script), replaces the decisions it overlaps: ``decisions_clear`` is called from
``Citation.save()``, the one step all of them share. A paragraph decision keeps covering the paragraph's other
sentences, as one decision each with the same kind and reason; the decision itself is deleted, and its history
(and the change log's update of the source) says so. Fixture loads save raw and never clear anything.

The decision model is defined here, beside its rules, and imported by ``models`` (which this module must therefore
not import at load time: the source is named by its label, the citations are read through ``models`` when needed).
"""

from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from apps.core.constraints import FieldCheckConstraint
from apps.core.models import TimeStampedModel

from . import documents, sentences
from .choices import DecisionKind


class ParagraphDecisionManager(models.Manager):
    """Looks a decision up by (source slug, paragraph, sentence start or None), its natural key."""

    key_fields = ("source__slug", "paragraph", "start")

    def get_by_natural_key(self, source_slug: str, paragraph: int, start: int | None = None):
        return self.get(source__slug=source_slug, paragraph=paragraph, start=start)


class ParagraphDecision(TimeStampedModel):
    """A paragraph of a source, or one sentence of it, deliberately left without a citation, and why.

    A whole paragraph (``start`` empty) for a headline, a caption or a photo credit; one sentence (``start``/``end``,
    the sentence's span in the text as ``sentences.sentence_spans`` splits it) for commentary or a sentence that
    repeats another. With these, a source's coverage reaches 100% when every sentence is cited or decided.
    A citation overlapping a decided sentence replaces the decision (``decisions.decisions_clear``).
    """

    # CASCADE: a decision about a document's paragraph means nothing without the document.
    source = models.ForeignKey(
        "sources.Source", on_delete=models.CASCADE, related_name="paragraph_decisions", help_text="The document."
    )
    paragraph = models.PositiveIntegerField(help_text="The paragraph's number: the Nth non-empty line ('para. N').")
    start = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="For one sentence: the offset of its first character in the text; empty for the whole paragraph.",
    )
    end = models.PositiveIntegerField(
        null=True, blank=True, help_text="For one sentence: the offset just past its last character."
    )
    kind = models.CharField(
        max_length=20,
        choices=DecisionKind.choices,
        default=DecisionKind.LEFT_UNCITED,
        help_text="'No fact in scope' (nothing the dataset records: commentary, background), or left uncited for "
        "the reason given (a headline repeating a cited sentence, a caption).",
    )
    reason = models.TextField(
        blank=True,
        help_text="Why it is left uncited, e.g. 'photo caption'; may be empty for 'no fact in scope'.",
    )

    objects = ParagraphDecisionManager()
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["source", "paragraph", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "paragraph"],
                condition=models.Q(start__isnull=True),
                name="paragraphdecision_unique",
                violation_error_message="This paragraph of this source is already decided.",
            ),
            models.UniqueConstraint(
                fields=["source", "start"],
                condition=models.Q(start__isnull=False),
                name="paragraphdecision_unique_sentence",
                violation_error_message="This sentence of this source is already decided.",
            ),
            FieldCheckConstraint(
                field="paragraph",
                condition=models.Q(paragraph__gte=1),
                name="paragraphdecision_paragraph_positive",
                violation_error_message="Paragraphs are numbered from 1.",
            ),
            FieldCheckConstraint(
                field="reason",
                condition=~models.Q(reason="") | models.Q(kind=DecisionKind.NO_FACT),
                name="paragraphdecision_reason_not_empty",
                violation_error_message="Say why this is left uncited (or record it as 'no fact in scope').",
            ),
            FieldCheckConstraint(
                field="start",
                condition=models.Q(start__isnull=True, end__isnull=True)
                | models.Q(start__isnull=False, end__isnull=False, start__lt=models.F("end")),
                name="paragraphdecision_sentence_in_order",
                violation_error_message="Give a sentence's start and end together, start before end.",
            ),
        ]

    def __str__(self) -> str:
        where = f"para. {self.paragraph}" if self.start is None else f"para. {self.paragraph}, chars {self.start}"
        return f"{self.source.slug}: {where}"

    def natural_key(self) -> tuple[str, int, int | None]:
        return (self.source.slug, self.paragraph, self.start)

    natural_key.dependencies = ["sources.source"]

    def clean(self) -> None:
        super().clean()
        if self.source_id is None or not self.paragraph or not self.source.text:
            return
        text = self.source.text
        count = len(documents.paragraph_spans(text))
        if self.paragraph > count:
            raise ValidationError(
                {"paragraph": f"'{self.source}' has {count} paragraphs; give a number from 1 to {count}."},
                code="paragraph_out_of_range",
            )
        if self.start is not None and self.end is not None:
            self._clean_sentence(text)
        self._clean_whole_or_by_sentence()
        from .models import citation_spans  # the models import this module

        span = decision_span(self, text)
        if any(sentences.overlaps(*span, start, end) for start, end in citation_spans(self.source)):
            where = "This paragraph" if self.start is None else "This sentence"
            raise ValidationError(
                {
                    "start" if self.start is not None else "paragraph": f"{where} is cited already: a decision is "
                    "for text no citation quotes. Decide the paragraph's other sentences one by one."
                },
                code="cited",
            )

    def _clean_whole_or_by_sentence(self) -> None:
        """A paragraph is decided as a whole or sentence by sentence, not both (the two would say the same twice, and
        one would outlive the other's correction)."""
        others = type(self).objects.filter(source_id=self.source_id, paragraph=self.paragraph).exclude(pk=self.pk)
        if self.start is not None and others.filter(start__isnull=True).exists():
            raise ValidationError(
                {"start": f"Para. {self.paragraph} is decided as a whole already: edit that decision instead."},
                code="paragraph_decided",
            )
        if self.start is None and others.filter(start__isnull=False).exists():
            raise ValidationError(
                {
                    "paragraph": f"Sentences of para. {self.paragraph} are decided one by one already: decide its "
                    "other sentences, or delete those decisions first."
                },
                code="sentences_decided",
            )

    def _clean_sentence(self, text: str) -> None:
        found = sentences.sentence_at(text, self.start, self.end)
        if found is None or found.paragraph != self.paragraph:
            spans = [f"{s.start}-{s.end}" for s in sentences.sentence_spans(text) if s.paragraph == self.paragraph]
            raise ValidationError(
                {
                    "start": f"{self.start}-{self.end} is not a sentence of para. {self.paragraph} of "
                    f"'{self.source}': its sentences span {', '.join(spans)}. Leave start and end empty to decide "
                    "the whole paragraph."
                },
                code="not_a_sentence",
            )


def decision_span(decision, text: str) -> tuple[int, int] | None:
    """The span of ``text`` a decision covers: its sentence, or its whole paragraph; None if out of the text."""
    if decision.start is not None and decision.end is not None:
        return decision.start, decision.end
    spans = documents.paragraph_spans(text)
    if not 1 <= decision.paragraph <= len(spans):
        return None
    return spans[decision.paragraph - 1]


def covers(span: tuple[int, int] | None, sentence: sentences.Sentence) -> bool:
    """Whether a decision's span holds the whole sentence (so a sentence decision still covers the parts of its
    sentence if the splitter ever cuts it finer, and never a sentence it would now only touch)."""
    return span is not None and span[0] <= sentence.start and sentence.end <= span[1]


def decisions_clear(citation) -> list:
    """Replace the decisions of ``citation``'s source that its located passage overlaps; return those deleted."""
    source = citation.source
    if citation.start is None or citation.end is None or not source.text:
        return []
    text = source.text
    first = documents.paragraph_at(text, citation.start)
    last = documents.paragraph_at(text, max(citation.start, citation.end - 1))
    replaced = []
    for decision in source.paragraph_decisions.filter(paragraph__range=(first, last)):
        span = decision_span(decision, text)
        if span is None or not sentences.overlaps(citation.start, citation.end, *span):
            continue
        if decision.start is None:
            _keep_for_other_sentences(decision, citation, text)
        decision.delete()
        replaced.append(decision)
    return replaced


def _keep_for_other_sentences(decision, citation, text: str) -> None:
    """A paragraph decision's reason still holds for the sentences the citation leaves: one decision each."""
    from .models import citation_spans  # the models import this module

    model = type(decision)
    cited = [(citation.start, citation.end), *citation_spans(decision.source)]
    for sentence in sentences.sentence_spans(text):
        if sentence.paragraph != decision.paragraph:
            continue
        if any(sentences.overlaps(start, end, sentence.start, sentence.end) for start, end in cited):
            continue
        if model.objects.filter(source=decision.source, start=sentence.start).exists():
            continue
        model.objects.create(
            source=decision.source,
            paragraph=decision.paragraph,
            start=sentence.start,
            end=sentence.end,
            kind=decision.kind,
            reason=decision.reason,
            notes=decision.notes,
        )
