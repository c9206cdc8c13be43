"""``manage.py load_dataset``: migrate, then load every fixture file in dependency order."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.dataset.fixtures import dataset_labels, default_fixtures_dir, fixture_path
from apps.sources.management.commands.import_documents import write_report
from apps.sources.services import documents_import


class Command(BaseCommand):
    """Load the dataset's fixture files into the database, in dependency order, in one transaction.

    Applies pending migrations first (unless --no-migrate), so it works on a fresh database. Records are matched by
    natural key, so loading again updates the records in place instead of duplicating them. Then the documents'
    texts are imported from SEED_DOCUMENTS_DIR (or --documents), which verifies every citation; a document whose hash
    or citations do not fit fails the whole load. Without the directory the citations stay unverified, and it says so.
    """

    help = "Migrate, then load every fixture file of the dataset in dependency order."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=None, help="Directory holding the fixture files (default: fixtures/)."
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations before loading."
        )
        parser.add_argument(
            "--documents",
            type=Path,
            default=None,
            help="Directory of the source documents to import (default: setting SEED_DOCUMENTS_DIR).",
        )
        parser.add_argument(
            "--no-documents", action="store_true", help="Load the fixtures only; leave the citations unverified."
        )

    def handle(self, *args, fixtures: Path | None, no_migrate: bool, **options):
        directory = fixtures or default_fixtures_dir()
        paths = [fixture_path(directory, label) for label in dataset_labels()]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError("Missing fixture files (run export_dataset to write them): " + ", ".join(missing))
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        documents = options["documents"] or Path(settings.SEED_DOCUMENTS_DIR)
        with transaction.atomic():
            # One loaddata call: forward references resolved across all files.
            # An empty file (no paragraph decided yet) is skipped: loaddata warns about it.
            filled = [str(path) for path in paths if path.read_text(encoding="utf-8").strip() != "[]"]
            call_command("loaddata", *filled, verbosity=options["verbosity"])
            if options["no_documents"]:
                return
            if not documents.is_dir():
                self.stderr.write(
                    self.style.WARNING(
                        f"warning: documents directory {documents} not found: no document text was loaded, so every "
                        "citation is unverified. Set SEED_DOCUMENTS_DIR or pass --documents, or run import_documents."
                    )
                )
                return
            report = documents_import(directory=documents)
            if options["verbosity"] >= 1 or report.errors:
                write_report(self, report, documents)
            if report.errors:
                raise CommandError(f"{len(report.errors)} document(s) refused; nothing was loaded.")
