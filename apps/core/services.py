"""Writes of a record with its dependent rows, in one transaction, through the models' own rules.

The API (and any script) writes through these, so a record, its many-to-many links and its child rows (citations,
participants) are saved together or not at all, each checked by its model's ``full_clean()``, and the record's rules
that span those rows (a model's ``clean_related()``: a cited record keeps a supporting citation) checked last.
"""

from django.core.exceptions import ValidationError
from django.db import models, transaction


@transaction.atomic
def record_save(*, record: models.Model, fields: dict, links: dict | None = None, children: dict | None = None):
    """Set ``fields`` on ``record``, check it with ``full_clean()``, save it, then replace its links and children.

    ``links`` maps a many-to-many field to the records it now holds; ``children`` maps a reverse relation
    (``citations``, ``participants``) to the list of field values of its new rows, which replace the old ones.
    A relation left out is left as it is. Then the record's ``clean_related()``, when its model has one, checks the
    rules that need the rows as written; a ``ValidationError`` from it undoes the whole write.
    """
    for name, value in fields.items():
        setattr(record, name, value)
    record.full_clean(exclude=[*(links or {}), *(children or {})])
    # Saved even when nothing changed, so the record's ETag (its updated_at) changes with any of its rows.
    record.save()
    for name, values in (links or {}).items():
        getattr(record, name).set(values)
    for name, rows in (children or {}).items():
        children_replace(record=record, relation=name, rows=rows)
    if hasattr(record, "clean_related"):
        record.clean_related()
    return record


def children_replace(*, record: models.Model, relation: str, rows: list[dict]) -> None:
    """Replace all of ``record``'s rows in the reverse relation ``relation`` with new rows built from ``rows``.

    Each new row passes its model's ``full_clean()`` (a duplicate of an earlier row in the list fails its unique
    check); errors are reported as ``relation[index].field``.
    """
    manager = getattr(record, relation)
    manager.all().delete()
    errors = {}
    for index, values in enumerate(rows):
        child = manager.model(**{manager.field.name: record}, **values)
        try:
            child.full_clean()
        except ValidationError as error:
            # The errors themselves, not their messages: a message's params (a quoted passage) are for the caller.
            for field, field_errors in error.error_dict.items():
                name = "" if field == "__all__" else f".{field}"
                errors[f"{relation}[{index}]{name}"] = field_errors
            continue
        child.save()
    if errors:
        raise ValidationError(errors)
