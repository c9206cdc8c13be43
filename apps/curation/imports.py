"""CSV imports on the curation desk: the previewed file is kept bound to its curator and confirmed at most once.

Used by every admin with import (``CuratedImportMixin`` in place of django-import-export's ``ImportExportMixin``).
A confirm naming a file that is gone (already imported, or never this user's) is an admin message, not a 500.
"""

import contextvars
import csv
import datetime
import io
import logging
import threading
import uuid

import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm
from import_export.tmp_storages import BaseStorage
from simple_history.models import HistoricalRecords

from .models import ImportStatus, PendingImport

logger = logging.getLogger(__name__)

KEPT_FOR = datetime.timedelta(days=1)

# Who is importing what, for the storage, which django-import-export builds without the request.
_importer: contextvars.ContextVar[tuple] = contextvars.ContextVar("importer")


class PendingImportStorage(BaseStorage):
    """django-import-export's temporary storage, as a ``PendingImport`` row of the importing user."""

    def __init__(self, *, user=None, model: str = "", **kwargs):
        super().__init__(**kwargs)
        self.user, self.model = user, model

    def save(self, data) -> None:
        # Previews never confirmed are not kept forever.
        PendingImport.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
        data = data.encode(self.encoding or "utf-8") if isinstance(data, str) else data
        self.name = str(PendingImport.objects.create(user=self.user, model=self.model, data=data).token)

    def read(self):
        pending = self._pending()
        if connection.in_atomic_block:
            # The confirm's transaction: locked until it ends, so a second confirm waits, then finds it deleted.
            # (The preview reads it back outside any transaction, where PostgreSQL refuses a lock.)
            pending = pending.select_for_update()
        pending = pending.get()
        data = bytes(pending.data)
        return data if "b" in self.read_mode else data.decode(self.encoding or "utf-8")

    def remove(self) -> None:
        self._pending().delete()

    def _pending(self):
        try:
            token = uuid.UUID(str(self.name))
        except ValueError:
            return PendingImport.objects.none()
        return PendingImport.objects.filter(token=token, user=self.user, model=self.model)


class SizedImportForm(ImportForm):
    """The upload step, refusing a file of more rows than a preview can check within one request.

    The preview (django-import-export's dry run) validates every row as a save would, in the request, at tens of rows
    a second; a larger file would pass gunicorn's timeout and the curator would get an error page instead of an
    answer. Until the preview runs in the background like the import itself, such a file is refused with a message.
    """

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.CURATION_IMPORT_PREVIEW_MAX_ROWS
        text = upload.read().decode("utf-8-sig", errors="replace")
        upload.seek(0)
        rows = sum(1 for row in csv.reader(io.StringIO(text)) if row) - 1  # less the header
        if rows > limit:
            raise ValidationError(
                f"This file has {rows} rows; a preview checks at most {limit} at once (each row is validated as a "
                f"save would, at tens of rows a second). Split it into files of at most {limit} rows and import "
                "them one after another.",
                code="too_many_rows",
            )
        return upload


class CuratedImportMixin(ImportExportMixin):
    """Import and export, with the previewed file kept by ``PendingImportStorage`` and a missing one explained.

    A confirmed file of at most ``CURATION_IMPORT_INLINE_ROWS`` rows is imported within the request, in one
    transaction; a larger one in a background thread, ``CURATION_IMPORT_BATCH_ROWS`` rows per committed batch, with
    a status page the curator is sent to (rows written so far, then the totals, or the row it stopped at and why).
    """

    tmp_storage_class = PendingImportStorage
    import_form_class = SizedImportForm

    def get_urls(self):
        status = path(
            "import/<uuid:token>/",
            self.admin_site.admin_view(self.import_status_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_import_status",
        )
        return [status, *super().get_urls()]

    def get_tmp_storage_class_kwargs(self):
        user, model = _importer.get()
        return {"user": user, "model": model}

    def import_action(self, request, **kwargs):
        token = _importer.set((request.user, self.opts.label_lower))
        try:
            return super().import_action(request, **kwargs)
        finally:
            _importer.reset(token)

    def process_import(self, request, **kwargs):
        if not self.has_import_permission(request):
            raise PermissionDenied
        token = _importer.set((request.user, self.opts.label_lower))
        try:
            confirm_form = self.create_confirm_form(request)
            if confirm_form.is_valid() and (job := self._large_import(request, confirm_form)):
                return job
            with transaction.atomic():
                return super().process_import(request, **kwargs)
        except PendingImport.DoesNotExist:
            messages.error(
                request,
                "Nothing was imported: this file was already imported, or its preview is not yours or no longer "
                "kept. Upload the file again to preview it.",
            )
            return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import")
        finally:
            _importer.reset(token)

    def _large_import(self, request, confirm_form):
        """Start the background import of a large confirmed file and answer with its status page, or None."""
        storage = PendingImportStorage(
            name=confirm_form.cleaned_data["import_file_name"], **self.get_tmp_storage_class_kwargs()
        )
        pending = storage._pending().filter(status=ImportStatus.PREVIEWED).first()
        if pending is None:
            raise PendingImport.DoesNotExist
        input_format = self.get_import_formats()[int(confirm_form.cleaned_data["format"])](encoding=self.from_encoding)
        dataset = input_format.create_dataset(bytes(pending.data).decode(self.from_encoding or "utf-8-sig"))
        if len(dataset) <= settings.CURATION_IMPORT_INLINE_ROWS:
            return None
        # Claimed once: of two confirms, one moves it to running, the other finds no previewed row.
        claimed = (
            storage._pending()
            .filter(status=ImportStatus.PREVIEWED)
            .update(status=ImportStatus.RUNNING, total_rows=len(dataset))
        )
        if not claimed:
            raise PendingImport.DoesNotExist
        resource = self.choose_import_resource_class(confirm_form, request)(
            **self.get_import_resource_kwargs(request, form=confirm_form)
        )
        thread = threading.Thread(
            target=run_import, args=(pending.pk, resource, dataset, request), name=f"import-{pending.token}"
        )
        thread.start()
        _threads.append(thread)
        messages.info(
            request,
            f"Importing {len(dataset)} rows in the background, {settings.CURATION_IMPORT_BATCH_ROWS} per batch; "
            "this page shows how far it got.",
        )
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_status", pending.token)

    def import_status_view(self, request, token):
        pending = get_object_or_404(PendingImport, token=token, user=request.user, model=self.opts.label_lower)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import of {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "pending": pending,
            "status": import_status(pending),
            "running": pending.status == ImportStatus.RUNNING and not _stalled(pending),
        }
        return TemplateResponse(request, "admin/curation/import_status.html", context)


# Background imports started by this process (tests wait for them).
_threads: list[threading.Thread] = []


def run_import(pending_pk: int, resource, dataset, request) -> None:
    """Import ``dataset`` in committed batches, recording the progress on the ``PendingImport`` after each."""
    # History records the importing curator, as in a request (simple_history reads the request of its thread).
    HistoricalRecords.context.request = request
    batch_rows = settings.CURATION_IMPORT_BATCH_ROWS
    totals = dict.fromkeys(("new", "update", "skip"), 0)
    try:
        for start in range(0, len(dataset), batch_rows):
            batch = tablib.Dataset(*dataset[start : start + batch_rows], headers=dataset.headers)
            with transaction.atomic():
                result = resource.import_data(batch, dry_run=False, user=request.user, use_transactions=True)
                problem = _first_problem(result, start)
                if problem:
                    transaction.set_rollback(True)
            if problem:
                PendingImport.objects.filter(pk=pending_pk).update(
                    status=ImportStatus.FAILED, report=problem, updated_at=timezone.now()
                )
                return
            for kind in totals:
                totals[kind] += result.totals[kind]
            PendingImport.objects.filter(pk=pending_pk).update(done_rows=start + len(batch), updated_at=timezone.now())
        report = f"{totals['new']} new, {totals['update']} updated, {totals['skip']} unchanged."
        PendingImport.objects.filter(pk=pending_pk).update(
            status=ImportStatus.DONE, report=report, data=b"", updated_at=timezone.now()
        )
    except Exception as error:  # noqa: BLE001 - whatever stopped it, the curator is told, and the log has it all
        logger.exception("Background import %s stopped", pending_pk)
        PendingImport.objects.filter(pk=pending_pk).update(
            status=ImportStatus.FAILED, report=f"Stopped by an error: {error}", updated_at=timezone.now()
        )
    finally:
        HistoricalRecords.context.request = None
        connection.close()


def _first_problem(result, start: int) -> str:
    """The first row error of a batch, numbered in the whole file, or ''."""
    for row in result.invalid_rows:
        return f"Row {start + row.number} was refused (the data changed since the preview?): {row.error.messages}."
    for row in result.error_rows:
        return f"Row {start + row.number} failed: {row.errors[0].error}."
    return ""


STALLED_AFTER = datetime.timedelta(minutes=5)


def _stalled(pending) -> bool:
    """A running import whose last batch is long past: its process stopped (a restart); its batch rolled back."""
    return timezone.now() - pending.updated_at > STALLED_AFTER


def import_status(pending) -> str:
    """What the curator is told: the truth about what is written, in one sentence."""
    done = f"{pending.done_rows} of {pending.total_rows} rows written"
    if pending.status == ImportStatus.DONE:
        return f"Imported all {pending.total_rows} rows: {pending.report}"
    if pending.status == ImportStatus.FAILED:
        return f"Stopped: {done} (each batch is written whole or not at all). {pending.report}"
    if pending.status == ImportStatus.RUNNING and _stalled(pending):
        return f"Interrupted: {done}; the rest was not imported. Upload the remaining rows again."
    if pending.status == ImportStatus.RUNNING:
        return f"Importing: {done} so far."
    return "Previewed, not confirmed yet."
