"""The change log a mirror replays: one row per create, update or delete of a resource of the API."""

from django.db import models


class ChangeAction(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    DELETED = "deleted", "Deleted"


class Change(models.Model):
    """A create, update or delete of one record of the API, in commit order (see ``apps.changes.log``).

    Append-only: rows are written in the transaction of the change they describe and never edited. The id orders
    them and is the feed's cursor; it is assigned in commit order because writers of the log take turns.
    """

    resource = models.CharField(max_length=20, help_text="The API resource: treaties, states, memberships, ...")
    key = models.CharField(max_length=150, help_text="The record's natural key (slug or code) after the change.")
    old_key = models.CharField(
        max_length=150, blank=True, help_text="The key before the change, when the change renamed the record."
    )
    action = models.CharField(max_length=10, choices=ChangeAction.choices, help_text="Created, updated or deleted.")
    at = models.DateTimeField(help_text="When the change was made (its history record's date).")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.resource}/{self.key}"
