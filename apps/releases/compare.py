"""What differs between two states of the dataset, record by record, as the changes feed names records.

A record of the API (a treaty, a state, a membership, an event, a statement, a source) is compared with its rows
and the rows that belong to it (its citations, an event's participants, a source's decisions), leaving out when they
were saved: a save that changed nothing is not a change. The feed (``apps.changes``) says which record a renamed one
was, which the data alone cannot tell from a delete and a create.
"""

import json
from dataclasses import dataclass

from apps.changes import log
from apps.changes.models import Change, ChangeAction

from .package import Resource, resources

TIMESTAMPS = ("created_at", "updated_at")
Key = tuple[str, str]  # (resource, key), e.g. ("events", "us-withdrawal-notice")


@dataclass(frozen=True)
class RecordChange:
    """One row of a release's changes: a record created, updated, renamed or deleted."""

    resource: str
    key: str
    old_key: str
    action: str

    def as_row(self) -> dict:
        return {"resource": self.resource, "key": self.key, "old_key": self.old_key or None, "action": self.action}

    def __str__(self) -> str:
        renamed = f" (was {self.old_key})" if self.old_key else ""
        return f"{self.action} {self.resource}/{self.key}{renamed}"


def _owners() -> tuple[dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    """Package resource name -> (API resource, key column) for records, and -> (API resource, owner column) for the
    rows that belong to a record."""
    by_label = {resource.model._meta.label_lower: resource for resource in resources()}
    records = {by_label[label].name: (api.name, api.key_field) for label, api in log.resources().items()}
    parts = {}
    for label, column in log.parts().items():
        owner = by_label[label].model._meta.get_field(column).related_model._meta.label_lower
        parts[by_label[label].name] = (log.resources()[owner].name, column)
    return records, parts


def record_contents(rows: dict[str, list[dict]]) -> dict[Key, str]:
    """Each record's content, as comparable text: its row and its parts' rows, without their save times.

    Columns a package lacks (a field added since it was written) read as the field's default.
    """
    records, parts = _owners()
    by_name: dict[str, Resource] = {resource.name: resource for resource in resources()}
    contents: dict[Key, list] = {}

    def comparable(name: str, row: dict) -> dict:
        full = by_name[name].defaults() | row
        return {column: value for column, value in sorted(full.items()) if column not in TIMESTAMPS}

    for name, (resource, key_column) in records.items():
        for row in rows.get(name, []):
            contents[(resource, row[key_column])] = [comparable(name, row)]
    for name, (resource, owner_column) in parts.items():
        for row in rows.get(name, []):
            contents.setdefault((resource, row[owner_column]), []).append([name, comparable(name, row)])
    return {key: json.dumps(content, sort_keys=True, ensure_ascii=False) for key, content in contents.items()}


def feed_renames(after: int, upto: int) -> tuple[dict[Key, str], set[Key]]:
    """From the changes feed's entries in (after, upto]: the records renamed (current key -> key at ``after``), and
    the keys of records created in that span."""
    origin: dict[Key, str | None] = {}
    entries = Change.objects.filter(id__gt=after, id__lte=upto).order_by("id")
    for resource, key, old_key, action in entries.values_list("resource", "key", "old_key", "action"):
        if action == ChangeAction.CREATED:
            origin[(resource, key)] = None
        elif action == ChangeAction.UPDATED and old_key:
            origin[(resource, key)] = origin.pop((resource, old_key), old_key)
        elif action == ChangeAction.DELETED:
            origin.pop((resource, key), None)
    renamed = {key: old for key, old in origin.items() if old is not None and old != key[1]}
    created = {key for key, old in origin.items() if old is None}
    return renamed, created


def differences(
    old: dict[str, list[dict]] | None, new: dict[str, list[dict]], feed_span: tuple[int, int] | None = None
) -> list[RecordChange]:
    """What changed from ``old`` rows to ``new`` rows (``old`` None: everything is new), record by record, sorted by
    resource and key; renames as the feed's entries in ``feed_span`` (after, upto] tell them."""
    new_contents = record_contents(new)
    if old is None:
        return [RecordChange(resource, key, "", "created") for resource, key in sorted(new_contents)]
    old_contents = record_contents(old)
    renamed, created = feed_renames(*feed_span) if feed_span else ({}, set())
    renamed = {
        key: old_key for key, old_key in renamed.items() if key in new_contents and (key[0], old_key) in old_contents
    }
    consumed = {(key[0], old_key) for key, old_key in renamed.items()}
    changes = []
    for key in sorted(new_contents):
        if key in renamed:
            changes.append(RecordChange(*key, renamed[key], "renamed"))
        elif key in created or key not in old_contents:
            changes.append(RecordChange(*key, "", "created"))
        elif new_contents[key] != old_contents[key]:
            changes.append(RecordChange(*key, "", "updated"))
    for key in sorted(old_contents):
        if key in consumed:
            continue
        if key not in new_contents or key in created or key in renamed:
            changes.append(RecordChange(*key, "", "deleted"))
    return sorted(changes, key=lambda change: (change.resource, change.key, change.action))
