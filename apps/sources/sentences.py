"""A document's sentences, as spans of its stored text: the unit coverage counts and suggestions read.

Each paragraph (the Nth non-empty line, ``documents.paragraph_spans``) is split by syntok's segmenter. syntok was
chosen over pysbd (and sentencex) on the five seed documents: it splits all of them as a reader would, where pysbd
made a sentence of a stray " ." closing a paragraph; its tokens carry their offsets in the input, so a sentence maps
to code-point offsets of the stored text exactly (pysbd's ``char_span`` re-finds each sentence in the text, which
misplaces repeated ones); and it is five times faster (30 ms for the five documents, pysbd 100-150 ms).

Pure functions over strings, like ``documents``; the result is cached per text, since the reader, the coverage
counts and the suggestions of one request all ask for it.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from syntok import segmenter

from . import documents

_WORDLIKE = re.compile(r"\w")


@dataclass(frozen=True)
class Sentence:
    """Sentence ``number`` (1-based) of paragraph ``paragraph``, at ``start``..``end`` of the text (end exclusive)."""

    paragraph: int
    number: int
    start: int
    end: int

    @property
    def label(self) -> str:
        """'para. 4, sentence 2', as a curator reads it."""
        return f"para. {self.paragraph}, sentence {self.number}"


def split_paragraph(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of one paragraph's text, from its first token to its last.

    A "sentence" with no letter or digit (a stray " ." at a paragraph's end) belongs to the sentence before it.
    """
    spans: list[tuple[int, int]] = []
    for paragraph in segmenter.analyze(text):
        for sentence in paragraph:
            tokens = list(sentence)
            if not tokens:
                continue
            start, end = tokens[0].offset, tokens[-1].offset + len(tokens[-1].value)
            if spans and not _WORDLIKE.search(text[start:end]):
                spans[-1] = (spans[-1][0], end)
            elif spans and not _WORDLIKE.search(text[spans[-1][0] : spans[-1][1]]):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
    if not spans and text.strip():
        # Nothing syntok calls a token (a line of symbols): the line is one sentence, so no paragraph has none.
        stripped = text.lstrip()
        spans.append((len(text) - len(stripped), len(text.rstrip())))
    return spans


@lru_cache(maxsize=16)
def sentence_spans(text: str) -> tuple[Sentence, ...]:
    """Every sentence of ``text``, paragraph by paragraph, in text order."""
    sentences = []
    for paragraph, (para_start, para_end) in enumerate(documents.paragraph_spans(text), start=1):
        for number, (start, end) in enumerate(split_paragraph(text[para_start:para_end]), start=1):
            sentences.append(Sentence(paragraph, number, para_start + start, para_start + end))
    return tuple(sentences)


def sentence_at(text: str, start: int, end: int) -> Sentence | None:
    """The sentence of ``text`` spanning exactly ``start``..``end``, or None."""
    return next((s for s in sentence_spans(text) if (s.start, s.end) == (start, end)), None)


def overlaps(start: int, end: int, other_start: int, other_end: int) -> bool:
    """Whether two spans share at least one character."""
    return start < other_end and end > other_start
