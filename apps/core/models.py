"""Abstract bases shared by every model of the dataset, and the one concrete model of core: the data version."""

from django.core.exceptions import ValidationError
from django.db import models


class TimeStampedModel(models.Model):
    """Adds creation and modification times and a curator's note to every record."""

    created_at = models.DateTimeField(auto_now_add=True, help_text="When the record was created.")
    updated_at = models.DateTimeField(auto_now=True, db_index=True, help_text="When the record was last changed.")
    notes = models.TextField(
        blank=True,
        help_text="Curator's note: how a value was inferred, what is unknown, where sources disagree.",
    )

    class Meta:
        abstract = True


class NaturalKeyManager(models.Manager):
    """Looks records up by their natural key, so fixtures carry slugs and codes instead of row numbers."""

    def __init__(self, *key_fields: str):
        super().__init__()
        self.key_fields = key_fields

    def deconstruct(self):
        # Migrations rebuild managers from their constructor arguments.
        return (False, f"{type(self).__module__}.{type(self).__name__}", None, self.key_fields, {})

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.key_fields, key, strict=True)))


def validate_aliases(value) -> None:
    """Aliases are a list of distinct, non-empty strings, as the sources write them."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError('Give aliases as a list of strings, e.g. ["U.S.", "United States"].')
    stripped = [item.strip() for item in value]
    if any(not item for item in stripped):
        raise ValidationError("An alias cannot be empty.")
    if any(item != original for item, original in zip(stripped, value, strict=True)):
        raise ValidationError("An alias cannot start or end with spaces.")
    if any("\x00" in item for item in value):
        # As every text field refuses it (PostgreSQL cannot store it; SQLite's JSON functions end a string there).
        raise ValidationError("An alias cannot contain a NUL character.")
    if len(set(stripped)) != len(stripped):
        raise ValidationError("Each alias is listed once.")


class DataVersion(models.Model):
    """The version of the dataset's data: one row, replaced in the transaction of every write to the dataset.

    Cached API pages are kept under it (``apps.core.data_version``). It lives with the data, not in the shared cache,
    so it commits and rolls back with the write it marks, and nothing the cache does (a lost write, a partition, a
    restart from an older snapshot) can bring an old version back while the data is newer.
    """

    token = models.CharField(max_length=32, help_text="Random, new on every write; never reused.")

    def __str__(self) -> str:
        return self.token
