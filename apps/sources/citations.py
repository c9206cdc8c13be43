"""The rule every cited record keeps, whoever writes it: at least one citation that *supports* it.

A treaty, membership, event or statement rests on a source passage; an uncited record is refused, not kept as a
draft (see apps/sources/admin.py). The rule is here once, and every write path asks it:

- ``apps.core.services.record_save`` (the API, scripts) calls the record's ``clean_related()`` after its citations
  are written, inside the write's transaction, so a refused write leaves nothing behind;
- the admin's citation formset and citation page ask it with the stances the record *would* keep, before saving;
- the CSV import asks it with the record's stored stances plus the row's citation, before saving the row.

``validate_dataset`` reports records that break it (fixtures are loaded as a whole, then validated).
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError

from .choices import CitationStance

RELATION = "citations"


def citation_model(record_model):
    """The concrete citation model of a cited record model (the rows reached as ``record.citations``)."""
    return getattr(record_model, RELATION).rel.related_model


def check_supported(record, stances: Iterable[str] | None = None) -> None:
    """Raise a ``ValidationError`` on ``citations`` unless ``record`` keeps a supporting citation.

    ``stances`` are the stances of the citations the record will keep; when omitted they are read from the database
    (the record's citations as written so far in the current transaction).
    """
    if stances is None:
        stances = getattr(record, RELATION).values_list("stance", flat=True) if record.pk is not None else []
    if CitationStance.SUPPORTS in set(stances):
        return
    name = record._meta.verbose_name
    raise ValidationError(
        {
            RELATION: ValidationError(
                f"Every {name} needs at least one citation that supports it (a source, the quoted passage and stance "
                f"'supports'); it cannot be saved without one, nor lose its last one.",
                code="citation_required",
            )
        }
    )


class CitedRecord:
    """Mixin of the models that must be cited; ``record_save`` calls ``clean_related()`` once rows are written."""

    def clean_related(self) -> None:
        check_supported(self)
