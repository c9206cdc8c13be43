"""Records whose sources may disagree without the dataset saying so: a prompt to look, not a proof.

When two documents disagree about a record, the record says so: the passage not believed is cited as
``contradicts``, with a note. This finds the records cited from more than one source that carry no such citation,
and whose passages from different sources give different dates or numbers: "On May 21" in one, "On May 22" in the
other; "34 countries" and "35 states". Different values of one kind with none in common is the signal; a passage
that gives more values than another ("signed in 1992 and in force in 2002" beside "signed in 1992") is not.
A dated record (an event, a statement) is one fact, so its dates, years and numbers are compared; a treaty or a
membership gathers many facts (signed in 2010, expires in 2026), so only its numbers are.
``validate_dataset`` prints these as things to look at; they never fail it.
"""

import re
from collections import defaultdict
from collections.abc import Iterator

from django.db import models

from apps.sources.choices import CitationStance

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
DAY_MONTH = re.compile(rf"\b(?:(?P<m1>{MONTHS})\s+(?P<d1>\d{{1,2}})|(?P<d2>\d{{1,2}})\s+(?P<m2>{MONTHS}))\b")
YEAR = re.compile(r"(?<![\w-])(?:19|20)\d\d(?![\w-])")
NUMBER = re.compile(r"(?<![\w.,-])\d{1,3}(?:,\d{3})*(?:\.\d+)?(?![\w-])")
KINDS = ("date", "year", "number")


def values_in(quote: str) -> dict[str, set[str]]:
    """The dates (month and day), years and other numbers a passage gives, each as text."""
    found: dict[str, set[str]] = {kind: set() for kind in KINDS}
    for match in DAY_MONTH.finditer(quote):
        month, day = match.group("m1") or match.group("m2"), match.group("d1") or match.group("d2")
        found["date"].add(f"{day} {month}")
        quote = quote.replace(match.group(), " ")
    for match in YEAR.finditer(quote):
        found["year"].add(match.group())
    quote = YEAR.sub(" ", quote)
    found["number"] = {match.group().replace(",", "") for match in NUMBER.finditer(quote)}
    return found


def unmarked_disagreements(citation_models: list[type[models.Model]]) -> Iterator[str]:
    """One line per record cited from several sources, without a contradicting citation, whose passages from
    different sources give different dates, years or numbers with none in common."""
    for model in citation_models:
        cited_field = model.cited_field
        dated = any(field.name == "date" for field in model._meta.get_field(cited_field).related_model._meta.fields)
        kinds = KINDS if dated else ("number",)
        by_record: dict[int, list] = defaultdict(list)
        rows = model._default_manager.select_related("source", cited_field).order_by(f"{cited_field}_id", "id")
        for citation in rows:
            by_record[getattr(citation, f"{cited_field}_id")].append(citation)
        for citations in by_record.values():
            if any(c.stance == CitationStance.CONTRADICTS for c in citations):
                continue
            per_source: dict[str, dict[str, set[str]]] = {}
            for citation in citations:
                values = per_source.setdefault(citation.source.slug, {kind: set() for kind in KINDS})
                for kind, found in values_in(citation.quote).items():
                    values[kind] |= found
            if len(per_source) < 2:
                continue
            differing = _differing(per_source, kinds)
            if differing:
                record = getattr(citations[0], cited_field)
                yield (
                    f"{record._meta.label_lower} {record.slug}: cited from {len(per_source)} sources, none as "
                    f"'contradicts', and they differ in a {differing}. If they disagree, cite the passage not "
                    "believed as 'contradicts' and say why in its note."
                )


def _differing(per_source: dict[str, dict[str, set[str]]], kinds: tuple[str, ...]) -> str:
    """'date: a says 21 May, b says 22 May' for the first kind two sources give with no value in common."""
    sources = sorted(per_source)
    for kind in kinds:
        for index, first in enumerate(sources):
            for second in sources[index + 1 :]:
                ours, theirs = per_source[first][kind], per_source[second][kind]
                if ours and theirs and not ours & theirs:
                    return f"{kind}: {first} says {', '.join(sorted(ours))}; {second} says {', '.join(sorted(theirs))}"
    return ""
