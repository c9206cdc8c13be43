"""A cited record's citations as they were in each of its versions, read from the history the citations already keep.

django-simple-history records a record and each of its citations apart (it has no notion of inline rows: its
``m2m_fields`` would snapshot the citations when the record is saved, which every write path does *before* writing
the citations). What it does record is every save and delete of every citation, with its time, by every path
(admin, API, CSV import, commands, fixture loads). So a version's citations are read from that history:

- a record's save comes before its citations' writes, on every path (the admin saves the form, then the inline; the
  API's ``record_save`` the record, then its rows; the CSV import the row, then its citation; a citation saved on its
  own page saves its record first, see ``CitationAdmin``), so the citations of a version are those standing just
  before the record's next version (now, for the latest);
- deleting a record deletes its citations first (the cascade): those deletions are not the last version's.

Citations are matched across versions by what they cite (source and quote), since the API rewrites a record's rows
under new ids; a quote edited on the same row is shown as that row's quote changing.
"""

import datetime
from dataclasses import dataclass, fields

from django.core.exceptions import ValidationError

from .citations import RELATION, check_supported, citation_model

# What a citation says, as restored by a revert; ``locator``, ``start`` and ``end`` are derived again on save.
RESTORED = ("stance", "note", "prefix", "suffix")
# What the history list shows as changed, besides a citation added or removed.
COMPARED = ("quote", "stance", "note", "locator")
UNTIL_NOW = datetime.datetime.max.replace(tzinfo=datetime.UTC)


@dataclass(frozen=True)
class PastCitation:
    """One citation as a version of its record had it."""

    citation_id: int
    source_id: int
    source_slug: str
    quote: str
    locator: str
    stance: str
    note: str
    prefix: str
    suffix: str
    start: int | None
    end: int | None

    @property
    def key(self) -> tuple[int, str]:
        return (self.source_id, self.quote)


VALUES = [field.name for field in fields(PastCitation) if field.name != "citation_id"]
# Read through the historical row's foreign key to the source, in the same query.
COLUMNS = [name.replace("source_slug", "source__slug") for name in VALUES]


def citations_by_version(record_model, record_id, versions) -> dict[int, dict[tuple[int, str], PastCitation]]:
    """For each of a record's ``versions`` (historical rows, all of them, any order), its citations by key.

    One query, on the citations' history (``versions`` are the record's, which the caller has read anyway).
    A citation moved to another record (on its own page) leaves this one when it moves.
    """
    model = citation_model(record_model)
    cited = f"{model.cited_field}_id"
    # Every version of every citation that was ever this record's: one moved to another record leaves it then.
    ever = model.history.filter(**{cited: record_id}).values("id")
    rows = list(
        model.history.filter(id__in=ever)
        .order_by("history_date", "history_id")
        .values("id", "history_date", "history_type", cited, *COLUMNS)
    )
    ordered = sorted(versions, key=lambda version: (version.history_date, version.history_id))
    states, standing, position = {}, {}, 0
    for index, version in enumerate(ordered):
        following = ordered[index + 1] if index + 1 < len(ordered) else None
        until = following.history_date if following is not None else UNTIL_NOW
        record_deleted_next = following is not None and following.history_type == "-"
        while position < len(rows) and rows[position]["history_date"] < until:
            row = rows[position]
            position += 1
            if row["history_type"] == "-":
                if not record_deleted_next:  # the record's own delete took these: they stay with this version
                    standing.pop(row["id"], None)
            elif row[cited] != record_id:
                standing.pop(row["id"], None)
            else:
                standing[row["id"]] = PastCitation(row["id"], *(row[name] for name in COLUMNS))
        states[version.history_id] = {citation.key: citation for citation in standing.values()}
    return states


@dataclass(frozen=True)
class CitationChange:
    """A line of a version's changes, as simple_history's history list shows a field's: field, old → new."""

    field: str
    old: str
    new: str


def citation_changes(before: dict, after: dict) -> list[CitationChange]:
    """What changed in a record's citations from one version (``before``) to the next (``after``)."""
    removed = {key: citation for key, citation in before.items() if key not in after}
    added = {key: citation for key, citation in after.items() if key not in before}
    pairs = [(before[key], after[key]) for key in before.keys() & after.keys()]
    # A quote edited on its row: the same citation, its quote changed.
    for old_key, old in list(removed.items()):
        same_row = next((key for key, new in added.items() if new.citation_id == old.citation_id), None)
        if same_row is not None:
            pairs.append((removed.pop(old_key), added.pop(same_row)))
    changes = []
    for old, new in sorted(pairs, key=lambda pair: order(pair[1])):
        for name in COMPARED:
            if getattr(old, name) != getattr(new, name):
                label = f"Citation {_where(new)}, {name}"
                changes.append(CitationChange(label, getattr(old, name) or "(none)", getattr(new, name) or "(none)"))
    for citation in sorted(removed.values(), key=order):
        changes.append(CitationChange(f"Citation {_where(citation)}", _said(citation), "(removed)"))
    for citation in sorted(added.values(), key=order):
        changes.append(CitationChange(f"Citation {_where(citation)}", "(none)", _said(citation)))
    return changes


def restore(record, state: dict[tuple[int, str], PastCitation]) -> None:
    """Make ``record``'s citations those of a past version: remove the others, add the missing, restore what each
    says. Each row is checked by its model's rules (the quote is placed in its source's text again), then the record
    keeps a supporting citation (the one rule). Call it in the revert's transaction, after the record is saved.

    Raises ``ValidationError`` (nothing of it to keep) when a past citation no longer fits its source's text.
    """
    manager = getattr(record, RELATION)
    current = {(citation.source_id, citation.quote): citation for citation in manager.all()}
    for key, citation in current.items():
        if key not in state:
            citation.delete()
    for key, past in state.items():
        citation = current.get(key) or manager.model(
            **{manager.field.name: record}, source_id=past.source_id, quote=past.quote, start=past.start, end=past.end
        )
        if citation.pk is not None and all(getattr(citation, name) == getattr(past, name) for name in RESTORED):
            continue
        for name in RESTORED:
            setattr(citation, name, getattr(past, name))
        citation.full_clean()
        citation.save()
    check_supported(record)


def revert_problem(record, state) -> str:
    """Why restoring ``state`` would be refused (a past citation no longer placed in its text, no supporting
    citation), or an empty string: asked before anything is saved, so a refused revert changes nothing."""
    model = citation_model(type(record))
    problems = []
    for past in state.values():
        citation = model(
            **{model.cited_field: record},
            source_id=past.source_id,
            quote=past.quote,
            **{name: getattr(past, name) for name in (*RESTORED, "start", "end")},
        )
        try:
            citation.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            problems += [f"“{past.quote[:60]}”: {' '.join(texts)}" for texts in error.message_dict.values()]
    try:
        check_supported(record, [past.stance for past in state.values()])
    except ValidationError as error:
        problems += error.message_dict[RELATION]
    return "; ".join(problems)


def _where(citation: PastCitation) -> str:
    # A source deleted since (once nothing cited it) has no slug left to show.
    slug = citation.source_slug or f"source {citation.source_id}"
    return f"{slug} ({citation.locator})" if citation.locator else slug


def _said(citation: PastCitation) -> str:
    quote = citation.quote if len(citation.quote) <= 80 else f"{citation.quote[:78]}…"
    note = f" (note: {citation.note})" if citation.note else ""
    return f"{citation.stance}: “{quote}”{note}"


def order(citation: PastCitation):
    """Citations as a page lists them: by source, then where in it."""
    return (citation.source_slug or "", citation.start or 0, citation.quote)
