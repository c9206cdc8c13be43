"""``manage.py log_existing_records``: make the changes feed tell what the tables hold."""

from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS

from apps.changes.log import log_existing_records


class Command(BaseCommand):
    """Log records the feed lacks as created and keys it keeps that no record has as deleted (see the function)."""

    help = (
        "Log as created every record the changes feed lacks, and as deleted every key it keeps that no record has "
        "(after bulk inserts that keep no history). Safe to run any number of times."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias.")

    def handle(self, *args, database: str, **options):
        self.stdout.write(f"{log_existing_records(using=database)} change log entries written.")
