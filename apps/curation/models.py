"""The curation desk's own records: CSV imports a curator previewed and may confirm.

(Django also sends post_migrate only to apps with a models module; the roles are synced on it, see apps.py.)
"""

import uuid

from django.conf import settings
from django.db import models


class ImportStatus(models.TextChoices):
    CHECKING = "checking", "being checked in the background"
    REJECTED = "rejected", "refused by its check, nothing written"
    PREVIEWED = "previewed", "previewed, waiting for confirmation"
    RUNNING = "running", "importing in the background"
    DONE = "done", "imported"
    FAILED = "failed", "stopped"


class PendingImport(models.Model):
    """A previewed CSV file, kept until the curator who previewed it confirms it, once.

    django-import-export's own temporary storages (a file in the temporary directory, the cache, the media storage)
    take the file name the confirm form posts back, from anyone: any file of the temporary directory could be read
    (and deleted). Here the posted token finds a file only for the user who uploaded it, for the model it was
    previewed on, and the confirm deletes it in the import's transaction, so a second confirm finds nothing.

    A file too large to check within a request is kept as ``checking`` and checked by a task of the queue (a dry
    run per batch), then becomes ``previewed`` (with the totals it would write and the confirm form's values) or
    ``rejected`` (with its row errors).

    A file too large to import within a request is confirmed by moving it to ``running`` (once: the update matches
    only a ``previewed`` row) and imported by a task of the queue in batches, each committed with its progress; the
    row then says what was written, and where and why an import stopped. A task run again after its worker was lost
    resumes from that progress (``apps/curation/jobs.py``).
    """

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, help_text="What the confirm posts.")
    # CASCADE: a pending import is the user's own draft; it goes with the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, help_text="The curator who previewed the file."
    )
    model = models.CharField(max_length=100, help_text="The model it was previewed for, e.g. 'events.event'.")
    data = models.BinaryField(help_text="The uploaded file, as uploaded (emptied once imported).")
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    total_rows = models.PositiveIntegerField(
        default=0, help_text="Rows in the file, once checked in the background or confirmed."
    )
    done_rows = models.PositiveIntegerField(
        default=0, help_text="Rows checked (while checking) or imported and committed (while importing) so far."
    )
    report = models.TextField(blank=True, help_text="What the check found or the import did, or why it stopped.")
    confirm = models.JSONField(
        default=dict, blank=True, help_text="The confirm form's values, for a file checked in the background."
    )
    totals = models.JSONField(
        default=dict, blank=True, help_text="Rows new, updated, unchanged and refused so far, by the check or import."
    )
    # SET_NULL: finished tasks are pruned from the queue (prune_db_task_results); the import keeps its outcome.
    task = models.ForeignKey(
        "django_tasks_database.DBTaskResult",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The queued task checking or importing it in the background.",
    )
    attempt = models.PositiveSmallIntegerField(
        default=0,
        help_text="The run of its task that holds it (1, then 2 if its worker was lost...); only that run writes.",
    )
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was previewed.")
    updated_at = models.DateTimeField(auto_now=True, help_text="Last progress; a running import updates it per batch.")

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.model} import by {self.user} ({self.created_at:%Y-%m-%d %H:%M})"
