from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.sources.services import ImportReport, documents_import


def write_report(command: BaseCommand, report: ImportReport, directory: Path) -> None:
    """Print what an import did; shared with load_dataset."""
    for slug in report.loaded:
        command.stdout.write(f"loaded the text of {slug}")
    for line in report.sources_without_file:
        command.stderr.write(command.style.WARNING(f"warning: no document in {directory} for source {line}"))
    for name in report.unmatched_files:
        command.stderr.write(command.style.WARNING(f"warning: {directory / name} matches no source's document"))
    for slug, messages in report.errors.items():
        for message in messages:
            command.stderr.write(command.style.ERROR(f"error: {slug}: {message}"))


class Command(BaseCommand):
    """Load the source documents' text from a directory: each source reads the file its ``document`` field names.

    Each text must have the SHA-256 the dataset records and fit every citation of its source (the quotes are
    placed in it and their selectors and locators derived); a source failing either keeps its old text.
    """

    help = "Load each source's document text from DIR (matched by file name); report what matches nothing."

    def add_arguments(self, parser):
        parser.add_argument("directory", type=Path, help="Directory holding the documents.")

    def handle(self, *args, directory: Path, **options):
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        report = documents_import(directory=directory)
        write_report(self, report, directory)
        if report.errors:
            raise CommandError(f"{len(report.errors)} document(s) refused; their sources keep their previous text.")
        self.stdout.write(self.style.SUCCESS(f"Loaded {len(report.loaded)} document(s) from {directory}."))
