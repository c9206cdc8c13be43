"""``manage.py export_dataset``: write the database back to the fixture files."""

from pathlib import Path

from django.core.management.base import BaseCommand

from apps.dataset.fixtures import default_fixtures_dir, export_dataset


class Command(BaseCommand):
    """Write the database's dataset to fixture files: one JSON file per model, natural keys, stable order.

    The committed fixtures are exactly this command's output, so a curator's edits in the admin become a reviewable
    diff: edit, export, commit.
    """

    help = "Export the dataset to fixtures/ (one JSON file per model, natural keys, sorted, indent 2)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, default=None, help="Directory to write to (default: the project's fixtures/)."
        )

    def handle(self, *args, output: Path | None, **options):
        directory = output or default_fixtures_dir()
        for path in export_dataset(directory):
            self.stdout.write(f"wrote {path}")
