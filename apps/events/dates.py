"""Date expressions in a sentence, read as partial dates ("On May 22 this year", "in November 2020", "in 1992").

A regular expression finds the expressions a news report dates things with; dateparser (offline, no model) reads
each one, relative to the document's publication date. A part the expression does not state is taken from the
publication date only when the publication date is known that precisely: "the 22nd" needs the month of publication,
"on Thursday" its day, and "in August of that year" (a year the sentence does not give) is not dated at all. Never
a guessed date: when in doubt, no date.
"""

import datetime
import re
from dataclasses import dataclass
from functools import lru_cache

from apps.core.partial_dates import PartialDate

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_YEAR = r"(?:19|20)\d\d"
_ORDINAL = r"\d{1,2}(?:st|nd|rd|th)?"

# Most precise first; the first expression found at a place wins. "May" alone is a verb as often as a month, so a
# month needs a day, a year, or a preposition before it.
EXPRESSIONS = [
    re.compile(rf"\b(?:{MONTHS})\s+{_ORDINAL}(?:,?\s+{_YEAR})?(?:\s+(?:this|last|next) year)?\b"),
    re.compile(rf"\b{_ORDINAL}\s+(?:{MONTHS})(?:,?\s+{_YEAR})?\b"),
    re.compile(rf"\b(?:{MONTHS})(?:\s+of)?\s+(?:{_YEAR}|(?:this|last|next|that) year)\b"),
    re.compile(rf"\b(?:in|In|of|by|early|late|until|since|from)\s+(?P<date>{MONTHS})\b"),
    re.compile(
        r"\bthe\s+(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)\b(?!\s+anniversary)(?:\s+of\s+(?:this|last|next) month)?"
    ),
    re.compile(rf"\b(?:on|this|last|next)\s+(?:{WEEKDAYS})\b"),
    # Not a name that holds a year ("the Center-2019 drills").
    re.compile(rf"(?<![-\w]){_YEAR}\b"),
    re.compile(r"\b(?:this|last|next) (?:year|month)\b"),
]
_RANK = {"year": 0, "month": 1, "day": 2}


@dataclass(frozen=True)
class DateFound:
    """A date expression of a sentence (``text`` at ``start`` in it) and the partial date it gives."""

    text: str
    start: int
    date: PartialDate


def expressions(sentence: str) -> list[tuple[int, str]]:
    """(offset, text) of every date expression, in sentence order, none inside another."""
    taken: list[tuple[int, int]] = []
    found = []
    for pattern in EXPRESSIONS:
        for match in pattern.finditer(sentence):
            group = "date" if "date" in pattern.groupindex else 0
            start, end = match.span(group)
            if any(start < other_end and end > other_start for other_start, other_end in taken):
                continue
            taken.append((start, end))
            found.append((start, match.group(group)))
    return sorted(found)


def _needs(expression: str) -> str | None:
    """How precisely the publication date must be known to read ``expression``: None if it states its year."""
    if re.search(rf"\b{_YEAR}\b", expression):
        return None
    if re.search(rf"\b(?:{WEEKDAYS})\b", expression):
        return "day"
    if re.search(r"\bthe\s+\d", expression) or re.search(r"\bmonth\b", expression):
        return "month"
    return "year"


def read(expression: str, published: PartialDate | None) -> PartialDate | None:
    """The partial date ``expression`` gives, read relative to the publication date; None when it cannot be known."""
    if "that year" in expression:
        return None
    needs = _needs(expression)
    if needs is not None and (published is None or _RANK[published.precision] < _RANK[needs]):
        return None
    # The end of the publication's period: a date read "from the past" then stays within it ("May 21 this year" in
    # a report of 2020 is in 2020, even though the year's first day is before it).
    base = published.end if published is not None else datetime.date(2000, 1, 1)
    # "May 22 this year": the year is the publication's, which is what dateparser assumes for "May 22".
    cleaned = re.sub(r"\s+this year\b", "", expression)
    cleaned = re.sub(
        r"\s+(last|next) year\b", lambda m: f" {base.year + (1 if m.group(1) == 'next' else -1)}", cleaned
    )
    return _parse(re.sub(r"^(?:on|this)\s+", "", cleaned), base)


@lru_cache(maxsize=512)
def _parse(expression: str, base: datetime.date) -> PartialDate | None:
    from dateparser.date import DateDataParser  # 1 s to import: only when a sentence is read

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": datetime.datetime.combine(base, datetime.time()),
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    data = parser.get_date_data(expression)
    if data.date_obj is None or data.period not in _RANK:
        return None
    value = data.date_obj.date()
    if data.period == "year":
        value = value.replace(month=1, day=1)
    elif data.period == "month":
        value = value.replace(day=1)
    return PartialDate(value, data.period)


def dates_in(sentence: str, published: PartialDate | None) -> list[DateFound]:
    """Every date a sentence gives, in sentence order."""
    found = []
    for start, text in expressions(sentence):
        date = read(text, published)
        if date is not None:
            found.append(DateFound(text, start, date))
    return found
