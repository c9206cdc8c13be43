"""CSV imports on the curation desk: the previewed file is kept bound to its curator and confirmed at most once.

Used by every admin with import (``CuratedImportMixin`` in place of django-import-export's ``ImportExportMixin``).
A confirm naming a file that is gone (already imported, or never this user's) is an admin message, not a 500.
A file too large to check or import within one request is checked, then imported, by a task of the queue
(apps/curation/jobs.py, run by a worker process), batch by batch, with a status page saying how far it got and
whether a worker is on it; the curator confirms from that page.
"""

import contextvars
import datetime
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

from .jobs import check_file, import_file
from .models import ImportStatus, PendingImport
from .status import import_status, is_working

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
    export's preview, every row's errors by column); a larger one by a task of the queue, a dry run per batch, with a
    status page that then gives the totals and the confirm button, or the rows refused and why.

    A confirmed file of at most ``CURATION_IMPORT_INLINE_ROWS`` rows is imported within the request, in one
    transaction; a larger one by a task of the queue, ``CURATION_IMPORT_BATCH_ROWS`` rows per committed batch, with
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
            if request.method == "POST" and (job := self._large_check(request)):
                return job
            return super().import_action(request, **kwargs)
        finally:
            _importer.reset(token)

    def _large_check(self, request):
        """Start the background check of a large uploaded file and answer with its status page, or None (a small
        or unreadable file, or a form error, which django-import-export's own preview then answers)."""
        import_form = self.create_import_form(request)
        if not import_form.is_valid():
            return None
        upload = import_form.cleaned_data["import_file"]
        data = b"".join(upload.chunks())
        upload.seek(0)
        try:
            dataset = self._dataset(import_form.cleaned_data["format"], data)
        except Exception:  # noqa: BLE001 - the preview reports an unreadable file on the form
            return None
        if len(dataset) <= settings.CURATION_IMPORT_PREVIEW_ROWS:
            return None
        token = uuid.uuid4()
        upload.tmp_storage_name = str(token)  # the confirm form's values name the kept file by it
        with transaction.atomic():
            pending = keep(
                token=token,
                user=request.user,
                model=self.opts.label_lower,
                data=data,
                status=ImportStatus.CHECKING,
                total_rows=len(dataset),
                confirm=self.get_confirm_form_initial(request, import_form),
            )
            PendingImport.objects.filter(pk=pending.pk).update(task=check_file.enqueue(pending.pk).id)
        messages.info(
            request,
            f"Checking {len(dataset)} rows in the background, {settings.CURATION_IMPORT_BATCH_ROWS} per batch. "
            "Nothing is written until you confirm on this page once the check is done.",
        )
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_status", pending.token)

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
        dataset = self._dataset(confirm_form.cleaned_data["format"], bytes(pending.data))
        if len(dataset) <= settings.CURATION_IMPORT_INLINE_ROWS:
            return None
        confirm = {name: confirm_form.cleaned_data[name] for name in ("format", "resource", "original_file_name")}
        with transaction.atomic():
            # Claimed once: of two confirms, one moves it to running, the other finds no previewed row.
            claimed = (
                storage._pending()
                .filter(status=ImportStatus.PREVIEWED)
                .update(
                    status=ImportStatus.RUNNING,
                    total_rows=len(dataset),
                    done_rows=0,
                    totals={},
                    attempt=0,
                    confirm=pending.confirm | confirm,
                    task=import_file.enqueue(pending.pk).id,
                )
            )
            if not claimed:
                transaction.set_rollback(True)  # and the task with it
                raise PendingImport.DoesNotExist
        messages.info(
            request,
            f"Importing {len(dataset)} rows in the background, {settings.CURATION_IMPORT_BATCH_ROWS} per batch; "
            "this page shows how far it got.",
        )
        return redirect(f"admin:{self.opts.app_label}_{self.opts.model_name}_import_status", pending.token)

    def _dataset(self, format_index, data: bytes) -> tablib.Dataset:
        """The file's rows, read in the format chosen on the upload form, as django-import-export reads them."""
        input_format = self.get_import_formats()[int(format_index)](encoding=self.from_encoding)
        return input_format.create_dataset(data.decode(self.from_encoding or "utf-8-sig"))

    def background_inputs(self, pending: PendingImport, request) -> tuple:
        """The resource and the rows a background check or import of ``pending`` works on (apps/curation/jobs.py),
        chosen as the upload form chose them."""
        resource_class = self.get_import_resource_classes(request)[int(pending.confirm.get("resource") or 0)]
        resource = resource_class(**self.get_import_resource_kwargs(request))
        return resource, self._dataset(pending.confirm["format"], bytes(pending.data))

    def import_status_view(self, request, token):
        pending = get_object_or_404(
            PendingImport.objects.select_related("task"), token=token, user=request.user, model=self.opts.label_lower
        )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Import of {self.opts.verbose_name_plural}",
            "opts": self.opts,
            "pending": pending,
            "status": import_status(pending),
            "running": is_working(pending),
            "problems": pending.report.splitlines() if pending.status == ImportStatus.REJECTED else [],
        }
        return TemplateResponse(request, "admin/curation/import_status.html", context)
