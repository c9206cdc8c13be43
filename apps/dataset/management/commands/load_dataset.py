"""``manage.py load_dataset``: migrate, then load the latest release (``fixtures/``) into the working copy."""

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.releases import package as packages
from apps.releases.package import repository_release_dir
from apps.releases.services import REPLACE_OPTION, DocumentsRefused, dataset_load
from apps.sources.management.commands.import_documents import write_report


class Command(BaseCommand):
    """Load the dataset's release package (by default the repository's ``fixtures/``) into the database.

    The database is the working copy: into an empty one the release is loaded; on one that already holds it, nothing
    is loaded that would undo a change made since, and one line says what happened ("dataset 1.0.0 already loaded;
    3 records changed since; nothing reloaded"). A newer release replaces an unchanged working copy. Replacing
    curated changes is asked for by name, ``--replace-curated-data``: it lists every record it creates, replaces or
    deletes, and the history keeps each replaced version, from which it can be reverted.

    Applies pending migrations first (unless --no-migrate). Then the documents' texts are imported from
    SEED_DOCUMENTS_DIR (or --documents), which places and verifies every citation; after a load that wrote records, a
    document whose hash or citations do not fit fails the whole load.
    """

    help = "Migrate, then load the dataset's release (fixtures/) into an empty or unchanged database."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=None,
            help="Directory of the release package to load (default: fixtures/, the latest release).",
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations before loading."
        )
        parser.add_argument(
            REPLACE_OPTION,
            action="store_true",
            dest="replace",
            help="Replace records curators changed since the loaded release with the package's (each is listed; the "
            "history keeps every replaced version).",
        )
        parser.add_argument(
            "--documents",
            type=Path,
            default=None,
            help="Directory of the source documents to import (default: setting SEED_DOCUMENTS_DIR).",
        )
        parser.add_argument(
            "--no-documents", action="store_true", help="Load the records only; leave the citations unverified."
        )

    def handle(self, *args, fixtures: Path | None, no_migrate: bool, replace: bool, **options):
        directory = fixtures or repository_release_dir()
        try:
            package = packages.read(directory)
        except packages.PackageError as error:
            raise CommandError(str(error)) from None
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        documents = None if options["no_documents"] else options["documents"] or Path(settings.SEED_DOCUMENTS_DIR)
        if documents is not None and not documents.is_dir():
            self.stderr.write(
                self.style.WARNING(
                    f"warning: documents directory {documents} not found: no document text was loaded, so every "
                    "citation is unverified. Set SEED_DOCUMENTS_DIR or pass --documents, or run import_documents."
                )
            )
            documents = None
        try:
            result = dataset_load(package=package, replace=replace, documents=documents)
        except DocumentsRefused as refused:
            write_report(self, refused.report, documents)
            raise CommandError(f"{len(refused.report.errors)} document(s) refused; nothing was loaded.") from None
        except packages.PackageError as error:
            raise CommandError(str(error)) from None
        if result.documents is not None and (options["verbosity"] >= 2 or result.documents.errors):
            write_report(self, result.documents, documents)
        for change in result.changes:
            self.stdout.write(f"  {change}")
        self.stdout.write(result.message)
