"""What a user types in ``q``, parsed once and written in the database's own search syntax.

The syntax (docs/api.md):

- words: every word must match, in any field, by its stem (``withdrawal`` also finds ``withdraw``, ``withdrawing``);
- ``"a phrase"``: those words, in that order, next to each other;
- ``word*``: any word starting with ``word`` (``withdr*`` also finds ``withdrew`` and ``withdrawn``);
- ``OR`` between terms: either side (``inf OR "open skies"``); words next to each other bind first;
- ``-word`` or ``NOT word`` (also before a phrase): leave out what matches it;
- other punctuation separates words, and words joined by it are a phrase (``us-withdrawal`` is ``"us withdrawal"``).

A query that cannot mean anything (an unclosed quote, ``OR`` with nothing on one side, only exclusions, no word at
all) raises ``SearchSyntaxError`` with a message saying what to change: the API answers it as a 400 naming ``q``.
Anything this parser accepts is written so that neither SQLite's FTS5 nor PostgreSQL's ``to_tsquery`` can refuse
it: every word is letters and digits only, quoted.
"""

import re
from dataclasses import dataclass

OR_NEEDS_SIDES = "'OR' needs a word or a phrase on each side, e.g. 'inf OR \"open skies\"'."
# Letters and digits: what both FTS5's unicode61 tokenizer and PostgreSQL's parser keep as (parts of) words.
WORD = re.compile(r"[^\W_]+")
TOKEN = re.compile(r'(?P<sign>-?)"(?P<phrase>[^"]*)(?P<closed>"?)|(?P<bare>[^\s"]+)')


class SearchSyntaxError(ValueError):
    """A search query that cannot be run, with what to change."""


@dataclass(frozen=True)
class Term:
    """Words that must appear next to each other, in order (one word is a phrase of one); the last may be a prefix."""

    words: tuple[str, ...]
    prefix: bool = False

    def fts5(self) -> str:
        return f'"{" ".join(self.words)}"' + (" *" if self.prefix else "")

    def tsquery(self) -> str:
        return " <-> ".join(f"'{word}'" for word in self.words) + (":*" if self.prefix else "")


@dataclass(frozen=True)
class Clause:
    """Terms that must all match, and terms that must not."""

    required: tuple[Term, ...]
    excluded: tuple[Term, ...] = ()

    def fts5(self) -> str:
        expression = " AND ".join(term.fts5() for term in self.required)
        for term in self.excluded:
            expression = f"({expression}) NOT {term.fts5()}"
        return f"({expression})"

    def tsquery(self) -> str:
        parts = [term.tsquery() for term in self.required] + [f"!({term.tsquery()})" for term in self.excluded]
        return "(" + " & ".join(parts) + ")"


@dataclass(frozen=True)
class SearchQuery:
    """Clauses of which any may match (``OR``)."""

    clauses: tuple[Clause, ...]

    def fts5(self) -> str:
        """The query in FTS5's syntax, for ``MATCH``."""
        return " OR ".join(clause.fts5() for clause in self.clauses)

    def tsquery(self) -> str:
        """The query in ``to_tsquery``'s syntax; the words are stemmed by the text search configuration."""
        return " | ".join(clause.tsquery() for clause in self.clauses)


def parse(text: str) -> SearchQuery:
    """The query ``text`` means; raises SearchSyntaxError when it means nothing runnable."""
    clauses: list[tuple[list[Term], list[Term]]] = [([], [])]
    negate = False
    for match in TOKEN.finditer(text):
        bare = match["bare"]
        if bare in ("OR", "AND", "NOT"):
            if negate:
                raise SearchSyntaxError(f"'NOT' must be followed by a word or a phrase to leave out, not '{bare}'.")
            if bare == "NOT":
                negate = True
            elif bare == "OR":
                if not any(clauses[-1]):
                    raise SearchSyntaxError(OR_NEEDS_SIDES)
                clauses.append(([], []))
            continue
        if bare is None:
            if not match["closed"]:
                raise SearchSyntaxError(f'A phrase opened with " is not closed: add a " after "{match["phrase"]}".')
            negate = negate or bool(match["sign"])
            term = Term(tuple(WORD.findall(match["phrase"])))
        else:
            if bare.startswith("-"):
                negate, bare = True, bare[1:]
            term = Term(tuple(WORD.findall(bare)), prefix=bare.endswith("*"))
        if not term.words:
            # Punctuation alone ("!", "-", "*", '""') finds nothing and excludes nothing.
            negate = False
            continue
        clauses[-1][1 if negate else 0].append(term)
        negate = False
    if negate:
        raise SearchSyntaxError("'NOT' must be followed by a word or a phrase to leave out.")
    if len(clauses) > 1 and not any(clauses[-1]):
        raise SearchSyntaxError(OR_NEEDS_SIDES)
    if not any(required for required, _ in clauses) and not any(excluded for _, excluded in clauses):
        raise SearchSyntaxError("Give at least one word to search for (letters or digits).")
    for required, excluded in clauses:
        if not required:
            raise SearchSyntaxError(
                f"'-{' '.join(excluded[0].words)}' only leaves out; give a word to find beside it, e.g. "
                f"'withdrawal -{excluded[0].words[0]}'."
            )
    return SearchQuery(tuple(Clause(tuple(required), tuple(excluded)) for required, excluded in clauses))
