"""A source document's text as citations see it: normalised, hashed, split into paragraphs, searched for quotes.

Pure functions over strings (no models), so every write path (admin, API, CSV import, fixtures, commands) locates a
quote the same way. Offsets are Python string indices (code points) into the normalised text, end exclusive, as the
W3C Web Annotation ``TextPositionSelector`` counts them. Paragraph N is the Nth non-empty line, the dataset's
"para. N" convention.
"""

import difflib
import hashlib
import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

# How much context a TextQuoteSelector may carry on each side to make its quote unique.
CONTEXT_MAX = 32

# Typographic characters a curator's keyboard or a copy from a PDF often swaps for plain ones.
_PLAIN = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "‟": '"',
                        "–": "-", "—": "-", "‐": "-", "‑": "-", "\u00a0": " "})  # fmt: skip


@dataclass(frozen=True)
class Match:
    """Where a quote stands: its offsets, and the shortest prefix/suffix that single it out in the text."""

    start: int
    end: int
    prefix: str
    suffix: str


class QuoteError(ValueError):
    """A quote that cannot be placed in the text."""


class QuoteNotFound(QuoteError):
    """The quote (with the given prefix/suffix/position) is not in the text; ``nearest`` is the closest passage."""

    def __init__(self, nearest: str = "", reason: str = ""):
        self.nearest = nearest
        self.reason = reason
        super().__init__(reason or "quote not found")


class QuoteAmbiguous(QuoteError):
    """The quote occurs ``count`` times and nothing given tells which one is meant."""

    def __init__(self, count: int):
        self.count = count
        super().__init__(f"quote found {count} times")


def normalise_text(text: str) -> str:
    """The text as stored and hashed: line endings as ``\\n``, no byte-order mark."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def sha256(text: str) -> str:
    """SHA-256 (hex) of the normalised text's UTF-8 bytes: the fingerprint the fixtures carry."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph: every non-empty line, without its line ending."""
    spans = []
    position = 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((position, position + len(line)))
        position += len(line) + 1
    return spans


def paragraph_at(text_or_spans: str | list[tuple[int, int]], offset: int) -> int:
    """The 1-based number of the paragraph holding ``offset`` (a blank line between counts for the one before)."""
    spans = paragraph_spans(text_or_spans) if isinstance(text_or_spans, str) else text_or_spans
    return max(1, bisect_right([start for start, _ in spans], offset))


def locator_for(text: str, start: int) -> str:
    """The paragraph locator of a passage starting at ``start``: 'para. N'."""
    return f"para. {paragraph_at(text, start)}"


def occurrences(text: str, exact: str) -> list[int]:
    """Start offsets of every occurrence of ``exact``, overlapping ones included."""
    found = []
    index = text.find(exact)
    while index != -1:
        found.append(index)
        index = text.find(exact, index + 1)
    return found


def locate(text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None) -> Match:
    """Place ``exact`` in ``text``: the one occurrence that the given prefix, suffix and start agree with.

    Returns its offsets with the shortest prefix and suffix (at most ``CONTEXT_MAX`` characters each) that make the
    quote selector unique on its own. Raises ``QuoteNotFound`` (with the nearest passage) or ``QuoteAmbiguous``.
    """
    if not exact:
        raise QuoteNotFound(reason="the quote is empty")
    found = occurrences(text, exact)
    if not found:
        raise QuoteNotFound(nearest=nearest_passage(text, exact))
    candidates = [
        index
        for index in found
        if text[:index].endswith(prefix)
        and text[index + len(exact) :].startswith(suffix)
        and (start is None or index == start)
    ]
    if not candidates:
        reason = "no occurrence of the quote stands at that start" if start is not None else ""
        raise QuoteNotFound(nearest=exact, reason=reason or "the quote occurs, but not between that prefix and suffix")
    if len(candidates) > 1:
        raise QuoteAmbiguous(len(candidates))
    index = candidates[0]
    prefix, suffix = _shortest_context(text, exact, index, found)
    return Match(index, index + len(exact), prefix, suffix)


def _shortest_context(text: str, exact: str, index: int, found: list[int]) -> tuple[str, str]:
    """The shortest (prefix, suffix), fewest characters in all, that no other occurrence of ``exact`` shares."""
    if len(found) == 1:
        return "", ""
    end = index + len(exact)
    for total in range(1, 2 * CONTEXT_MAX + 1):
        for before in range(max(0, total - CONTEXT_MAX), min(total, CONTEXT_MAX) + 1):
            prefix = text[max(0, index - before) : index]
            suffix = text[end : end + total - before]
            if not any(
                other != index and text[:other].endswith(prefix) and text[other + len(exact) :].startswith(suffix)
                for other in found
            ):
                return prefix, suffix
    # Two occurrences sharing 32 characters each side: the prefix and suffix cannot tell them apart.
    raise QuoteAmbiguous(len(found))


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_PLAIN).casefold()


def _plain_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` with typographic characters made plain, case folded and whitespace runs collapsed to one space;
    with, for each character of the result, the offset in ``text`` it came from."""
    chars: list[str] = []
    offsets: list[int] = []
    for offset, char in enumerate(text):
        plain = _plain(char)
        if char.isspace():
            plain = " "
            if chars and chars[-1] == " ":
                continue
        for piece in plain:
            chars.append(piece)
            offsets.append(offset)
    return "".join(chars), offsets


def nearest_passage(text: str, quote: str) -> str:
    """The passage of ``text`` a mistyped quote most likely means, as the text writes it; "" if nothing is close.

    First the usual culprits (typographic quotes and dashes, whitespace, case), then the most similar stretch of
    the same length.
    """
    if not quote.strip() or not text:
        return ""
    plain_text, offsets = _plain_with_offsets(text)
    plain_quote = " ".join(_plain(quote).split())
    index = plain_text.find(plain_quote)
    if index != -1:
        last = index + len(plain_quote) - 1
        return text[offsets[index] : offsets[last] + 1]
    matcher = difflib.SequenceMatcher(None, plain_text, plain_quote, autojunk=False)
    block = max(matcher.get_matching_blocks(), key=lambda block: block.size)
    if block.size < max(8, len(plain_quote) // 4):
        return ""
    start = max(0, block.a - block.b)
    end = min(len(plain_text), start + len(plain_quote)) - 1
    passage = text[offsets[start] : offsets[end] + 1]
    # Whole words: widen to the nearest word boundaries.
    before = re.search(r"\S*\Z", text[: offsets[start]]).group()
    after = re.match(r"\S*", text[offsets[end] + 1 :]).group()
    return (before + passage + after).strip()


DOCUMENT_NAME_RULE = (
    "Give the document's plain file name in the documents directory, such as 'report.txt': no '/' or '\\', "
    "not '.' or '..'."
)


class DocumentNameError(ValueError):
    """A source's ``document`` that is not a plain file name inside the documents directory."""


def document_path(directory: Path, name: str) -> Path:
    """The file ``name`` stands for in ``directory``: the only way a source's document is opened.

    ``name`` must be a plain file name (the model's constraint says so on every write path); this checks it again
    and refuses a path that resolves outside ``directory`` (a symbolic link pointing out), so no name, however it
    reached the database, opens another file.
    """
    if not name or name in {".", ".."} or any(char in name for char in "/\\\x00"):
        raise DocumentNameError(f"'{name}' is not a plain file name. {DOCUMENT_NAME_RULE}")
    root = Path(directory).resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise DocumentNameError(f"'{name}' leads outside the documents directory {directory}.")
    return path


class DocumentUnreadable(ValueError):
    """A file that is not a document this desk can read as text (binary, empty, an unsupported format)."""


# Elements after which a browser starts a new line: each becomes a paragraph break in the text.
_BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li main "
    "nav ol p pre section table td th tr ul".split()
)
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})


class _HTMLText(HTMLParser):
    """The text a reader sees in an HTML page: one line per block element, scripts and styles dropped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)

    def text(self) -> str:
        lines = (" ".join(line.split()) for line in "".join(self.parts).split("\n"))
        return "\n".join(line for line in lines if line) + "\n"


def html_to_text(html: str) -> str:
    """An HTML document reduced to its visible text, one paragraph per line."""
    parser = _HTMLText()
    parser.feed(html)
    parser.close()
    return parser.text()


def text_from_file(name: str, file: BinaryIO) -> str:
    """The normalised text of an uploaded or imported document (an open binary file): UTF-8 plain text, or HTML
    reduced to its text. The one way a document file is read, by the upload, ``import_documents``, ``load_dataset``
    and ``validate_dataset``.

    Raises ``DocumentUnreadable`` saying what is accepted, for a file over ``DOCUMENT_MAX_BYTES`` (refused after
    reading one byte more than the limit, never whole: a 300 MB upload took 1.4 GB of memory and made the
    coverage of its source take 21 s), an empty file, a binary file (a PDF, an image) or one that is not UTF-8.
    """
    limit = settings.DOCUMENT_MAX_BYTES
    data = file.read(limit + 1)
    if len(data) > limit:
        raise DocumentUnreadable(
            f"The file {name} is larger than {limit:,} bytes, the limit for a document (setting DOCUMENT_MAX_BYTES). "
            "Give the document's text alone, without images or attachments, or one source per part of it."
        )
    accepted = "Give the document as plain text (UTF-8, .txt) or HTML (.html)."
    if not data.strip():
        raise DocumentUnreadable(f"The file {name} is empty. {accepted}")
    if b"\x00" in data[:8192] or data.startswith(b"%PDF"):
        raise DocumentUnreadable(f"The file {name} is not a text file (it holds binary data). {accepted}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise DocumentUnreadable(
            f"The file {name} is not UTF-8 text (byte {error.start} cannot be read). {accepted}"
        ) from None
    text = normalise_text(text)
    head = text.lstrip()[:200].lower()
    if name.lower().endswith((".html", ".htm")) or head.startswith(("<!doctype html", "<html")):
        text = html_to_text(text)
    if not text.strip():
        raise DocumentUnreadable(f"The file {name} holds no text. {accepted}")
    return text
