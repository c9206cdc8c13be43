"""``manage.py load_dataset``: migrate, then load every fixture file in dependency order."""

from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from apps.dataset.fixtures import dataset_labels, default_fixtures_dir, fixture_path


class Command(BaseCommand):
    """Load the dataset's fixture files into the database, in dependency order, in one transaction.

    Applies pending migrations first (unless --no-migrate), so it works on a fresh database. Records are matched by
    natural key, so loading again updates the records in place instead of duplicating them.
    """

    help = "Migrate, then load every fixture file of the dataset in dependency order."

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures", type=Path, default=None, help="Directory holding the fixture files (default: fixtures/)."
        )
        parser.add_argument(
            "--no-migrate", action="store_true", help="Do not apply pending migrations before loading."
        )

    def handle(self, *args, fixtures: Path | None, no_migrate: bool, **options):
        directory = fixtures or default_fixtures_dir()
        paths = [fixture_path(directory, label) for label in dataset_labels()]
        missing = [str(path) for path in paths if not path.is_file()]
        if missing:
            raise CommandError("Missing fixture files (run export_dataset to write them): " + ", ".join(missing))
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        # One loaddata call: a single transaction, and forward references resolved across all files.
        call_command("loaddata", *[str(path) for path in paths], verbosity=options["verbosity"])
