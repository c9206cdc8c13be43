"""CSV imports on the curation desk: the previewed file is kept bound to its curator and confirmed at most once.

Used by every admin with import (``CuratedImportMixin`` in place of django-import-export's ``ImportExportMixin``).
A confirm naming a file that is gone (already imported, or never this user's) is an admin message, not a 500.
"""

import contextvars
import datetime
import uuid

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone
from import_export.admin import ImportExportMixin
from import_export.tmp_storages import BaseStorage

from .models import PendingImport

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
        # Locked until the confirm's transaction ends: a second confirm waits, then finds it deleted.
        pending = self._pending().select_for_update().get()
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
    """Import and export, with the previewed file kept by ``PendingImportStorage`` and a missing one explained."""

    tmp_storage_class = PendingImportStorage

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
        token = _importer.set((request.user, self.opts.label_lower))
        try:
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
