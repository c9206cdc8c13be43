"""CSV imports on the curation desk: the previewed file is kept bound to its curator and confirmed at most once.

Used by every admin with import (``CuratedImportMixin`` in place of django-import-export's ``ImportExportMixin``).
A confirm naming a file that is gone (already imported, or never this user's) is an admin message, not a 500.
A file too large to check or import within one request is checked, then imported, in a background thread, batch by
batch, with a status page saying how far it got; the curator confirms from that page.
"""

import contextvars
import datetime
import logging
import threading
import uuid

import tablib
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.tmp_storages import BaseStorage
from simple_history.models import HistoricalRecords

from .models import ImportStatus, PendingImport

logger = logging.getLogger(__name__)

KEPT_FOR = datetime.timedelta(days=1)

# Who is importing what, for the storage, which django-import-export builds without the request.
_importer: contextvars.ContextVar[tuple] = contextvars.ContextVar("importer")


def keep(**fields) -> PendingImport:
    """A new pending import; previews never confirmed are not kept forever."""
    PendingImport.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return PendingImport.objects.create(**fields)


class PendingImportStorage(BaseStorage):
    """django-import-export's temporary storage, as a ``PendingImport`` row of the importing user."""

    def __init__(self, *, user=None, model: str = "", **kwargs):
        super().__init__(**kwargs)
        self.user, self.model = user, model

    def save(self, data) -> None:
        data = data.encode(self.encoding or "utf-8") if isinstance(data, str) else data
        self.name = str(keep(user=self.user, model=self.model, data=data).token)

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


class CuratedImportMixin(ImportExportMixin):
    """Import and export, with the previewed file kept by ``PendingImportStorage`` and a missing one explained.

    An uploaded file of at most ``CURATION_IMPORT_PREVIEW_ROWS`` rows is checked within the request (django-import-
    export's preview, every row's errors by column); a larger one in a background thread, a dry run per batch, with a
    status page that then gives the totals and the confirm button, or the rows refused and why.

    A confirmed file of at most ``CURATION_IMPORT_INLINE_ROWS`` rows is imported within the request, in one
    transaction; a larger one in a background thread, ``CURATION_IMPORT_BATCH_ROWS`` rows per committed batch, with
    a status page the curator is sent to (rows written so far, then the totals, or the row it stopped at and why).
    """

    tmp_storage_class = PendingImportStorage

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
        if not self.has_import_permission(request):
            raise PermissionDenied
        token = _importer.set((request.user, self.opts.label_lower))
        try:
            if request.method == "POST" and (job := self._large_check(request, **kwargs)):
                return job
            return super().import_action(request, **kwargs)
        finally:
            _importer.reset(token)

    def _large_check(self, request, **kwargs):
        """Start the background check of a large uploaded file and answer with its status page, or None (a small
        or unreadable file, or a form error, which django-import-export's own preview then answers)."""
        import_form = self.create_import_form(request)
        if not import_form.is_valid():
            return None
        upload = import_form.cleaned_data["import_file"]
        data = b"".join(upload.chunks())
        upload.seek(0)
        try:
            dataset = self._dataset(import_form, data)
        except Exception:  # noqa: BLE001 - the preview reports an unreadable file on the form
            return None
        if len(dataset) <= settings.CURATION_IMPORT_PREVIEW_ROWS:
            return None
        token = uuid.uuid4()
        upload.tmp_storage_name = str(token)  # the confirm form's values name the kept file by it
        pending = keep(
            token=token,
            user=request.user,
            model=self.opts.label_lower,
            data=data,
            status=ImportStatus.CHECKING,
            total_rows=len(dataset),
            confirm=self.get_confirm_form_initial(request, import_form),
        )
        return self._in_background(
            run_check,
            pending,
            dataset,
            import_form,
            request,
            f"Checking {len(dataset)} rows in the background, {settings.CURATION_IMPORT_BATCH_ROWS} per batch. "
            "Nothing is written until you confirm on this page once the check is done.",
            **kwargs,
        )

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
        dataset = self._dataset(confirm_form, bytes(pending.data))
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
        return self._in_background(
            run_import,
            pending,
            dataset,
            confirm_form,
            request,
            f"Importing {len(dataset)} rows in the background, {settings.CURATION_IMPORT_BATCH_ROWS} per batch; "
            "this page shows how far it got.",
        )

    def _dataset(self, form, data: bytes) -> tablib.Dataset:
        """The file's rows, read in the format chosen on the upload form, as django-import-export reads them."""
        input_format = self.get_import_formats()[int(form.cleaned_data["format"])](encoding=self.from_encoding)
        return input_format.create_dataset(data.decode(self.from_encoding or "utf-8-sig"))

    def _in_background(self, job, pending, dataset, form, request, message: str, **kwargs):
        """Run ``job`` (``run_check`` or ``run_import``) on the file in a thread; answer with its status page."""
        resource = self.choose_import_resource_class(form, request)(
            **self.get_import_resource_kwargs(request, form=form, **kwargs)
        )
        thread = threading.Thread(
            target=job, args=(pending.pk, resource, dataset, request), name=f"{job.__name__}-{pending.token}"
        )
        thread.start()
        _threads.append(thread)
        messages.info(request, message)
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_status", pending.token)

    def import_status_view(self, request, token):
        pending = get_object_or_404(PendingImport, token=token, user=request.user, model=self.opts.label_lower)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import of {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "pending": pending,
            "status": import_status(pending),
            "running": pending.status in (ImportStatus.CHECKING, ImportStatus.RUNNING) and not _stalled(pending),
            "problems": pending.report.splitlines() if pending.status == ImportStatus.REJECTED else [],
        }
        return TemplateResponse(request, "admin/curation/import_status.html", context)


# Background checks and imports started by this process (tests wait for them).
_threads: list[threading.Thread] = []


def _batches(dataset):
    """(index of its first row, rows) for each batch of ``CURATION_IMPORT_BATCH_ROWS`` rows of ``dataset``."""
    size = settings.CURATION_IMPORT_BATCH_ROWS
    for start in range(0, len(dataset), size):
        yield start, tablib.Dataset(*dataset[start : start + size], headers=dataset.headers)


def _totals(totals: dict) -> str:
    return f"{totals['new']} new, {totals['update']} updated, {totals['skip']} unchanged."


# The row errors a rejected file's status page lists; the rest are counted.
MAX_PROBLEMS = 100


def run_check(pending_pk: int, resource, dataset, request) -> None:
    """Check ``dataset`` as the preview does (a dry run, rolled back), batch by batch, recording the progress on the
    ``PendingImport`` after each, then its totals (``previewed``) or its row errors (``rejected``).

    Each batch is checked against the data as it stands, as the import will write it batch by batch; a batch holds
    SQLite's write lock only while it is checked.
    """
    totals = dict.fromkeys(("new", "update", "skip"), 0)
    problems: list[str] = []
    pending = PendingImport.objects.filter(pk=pending_pk)
    try:
        for start, batch in _batches(dataset):
            result = resource.import_data(batch, dry_run=True, raise_errors=False, user=request.user)
            problems += _problems(result, start)
            for kind in totals:
                totals[kind] += result.totals[kind]
            pending.update(done_rows=start + len(batch), updated_at=timezone.now())
        if problems:
            listed = problems[:MAX_PROBLEMS]
            if len(problems) > len(listed):
                listed.append(f"... and {len(problems) - len(listed)} more.")
            pending.update(status=ImportStatus.REJECTED, report="\n".join(listed), data=b"", updated_at=timezone.now())
        else:
            pending.update(
                status=ImportStatus.PREVIEWED, report=_totals(totals), done_rows=0, updated_at=timezone.now()
            )
    except Exception as error:  # noqa: BLE001 - whatever stopped it, the curator is told, and the log has it all
        logger.exception("Background check %s stopped", pending_pk)
        pending.update(
            status=ImportStatus.REJECTED,
            report=f"The check stopped on an error: {error}",
            data=b"",
            updated_at=timezone.now(),
        )
    finally:
        connection.close()


def _problems(result, start: int) -> list[str]:
    """Every row error of a checked batch, numbered in the whole file, one line each, by column."""
    lines = [
        (start + row.number, f"Row {start + row.number}, {column}: {' '.join(column_messages)}")
        for row in result.invalid_rows
        for column, column_messages in row.error.message_dict.items()
    ]
    lines += [(start + row.number, f"Row {start + row.number}: {row.errors[0].error}") for row in result.error_rows]
    return [line for _, line in sorted(lines, key=lambda numbered: numbered[0])]


def run_import(pending_pk: int, resource, dataset, request) -> None:
    """Import ``dataset`` in committed batches, recording the progress on the ``PendingImport`` after each."""
    # History records the importing curator, as in a request (simple_history reads the request of its thread).
    HistoricalRecords.context.request = request
    totals = dict.fromkeys(("new", "update", "skip"), 0)
    try:
        for start, batch in _batches(dataset):
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
        PendingImport.objects.filter(pk=pending_pk).update(
            status=ImportStatus.DONE, report=_totals(totals), data=b"", updated_at=timezone.now()
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
    """A check or import whose last batch is long past: its process stopped (a restart); its batch rolled back."""
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
    if pending.status == ImportStatus.CHECKING and _stalled(pending):
        return "The check was interrupted; nothing was written. Upload the file again."
    if pending.status == ImportStatus.CHECKING:
        return f"Checking: {pending.done_rows} of {pending.total_rows} rows checked so far; nothing is written yet."
    if pending.status == ImportStatus.REJECTED:
        return (
            f"Nothing was written: checking the {pending.total_rows} rows found the problems below. "
            "Correct them and upload the file again."
        )
    if pending.total_rows:
        return f"Checked all {pending.total_rows} rows; confirming would write {pending.report}"
    return "Previewed, not confirmed yet."
