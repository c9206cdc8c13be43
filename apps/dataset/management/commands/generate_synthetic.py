"""``manage.py generate_synthetic``: fill a database with reproducible synthetic data for benchmarks."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from apps.changes.log import log_existing_records
from apps.core.caching import bump_data_version
from apps.core.search.maintenance import rebuild_indexes
from apps.dataset.bulkload import BulkWriter
from apps.dataset.synthetic import (
    MAX_STATES,
    Counts,
    Generator,
    curated_rows_exist,
    delete_synthetic,
    synthetic_rows_exist,
)


class Command(BaseCommand):
    """Fill a database with reproducible synthetic data for benchmarks; never for the fixtures or production.

    A seed always yields the same rows. Synthetic rows are marked (``notes``, ``syn-`` slugs, QMA-QZZ state codes), so
    the command refuses to mix them into a database silently: a database holding any other rows needs ``--append``,
    one already holding synthetic rows needs ``--flush`` (which deletes synthetic rows only, never curated ones).
    """

    help = "Generate reproducible synthetic states, treaties, memberships, events and statements for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, required=True, help="Number of events to create.")
        parser.add_argument(
            "--statements", type=int, default=None, help="Number of statements (default: a tenth of --events)."
        )
        parser.add_argument("--states", type=int, default=200, help=f"Number of states (at most {MAX_STATES}).")
        parser.add_argument("--treaties", type=int, default=500, help="Number of treaties.")
        parser.add_argument("--sources", type=int, default=2000, help="Number of sources to cite.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; the same seed gives the same data.")
        parser.add_argument("--batch-size", type=int, default=20_000, help="Rows per insert batch.")
        parser.add_argument(
            "--append",
            action="store_true",
            help="Allow adding synthetic rows to a database that holds other (e.g. curated) rows.",
        )
        parser.add_argument(
            "--flush", action="store_true", help="Delete earlier synthetic rows first (curated rows are kept)."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias to fill.")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        using = options["database"]
        counts = Counts(
            events=options["events"],
            statements=options["events"] // 10 if options["statements"] is None else options["statements"],
            states=options["states"],
            treaties=options["treaties"],
            sources=options["sources"],
        )
        if min(counts.events, counts.statements) < 0 or min(counts.states, counts.treaties, counts.sources) < 3:
            raise CommandError("Counts cannot be negative; give at least 3 states, treaties and sources.")
        if counts.states > MAX_STATES:
            raise CommandError(f"--states is at most {MAX_STATES}: synthetic states use the QMA-QZZ code block.")
        self.check_target(using, append=options["append"], flush=options["flush"])

        started = time.perf_counter()
        writer = BulkWriter(using)
        generator = Generator(
            counts, options["seed"], writer, batch_size=options["batch_size"], progress=self.progress(started)
        )
        # One transaction: a failed run leaves nothing behind, and SQLite writes far faster without per-batch commits.
        with transaction.atomic(using=using):
            if options["flush"]:
                delete_synthetic(using)
            generator.run()
            # Raw inserts leave no history: put the new records (and the flushed ones' deletions) in the changes feed.
            logged = log_existing_records(using=using)
            # Nor versions, which the SQLite search copies follow: rebuild them from the tables.
            rebuild_indexes(using)
        # Raw inserts send no model signals: invalidate cached API responses explicitly.
        bump_data_version()
        elapsed = time.perf_counter() - started

        vendor = connections[using].vendor
        for table, rows in writer.rows_written.items():
            self.stdout.write(f"  {table:<32} {rows:>10,} rows")
        self.stdout.write(f"  {'changes feed entries':<32} {logged:>10,} rows")
        total = sum(writer.rows_written.values())
        self.stdout.write(
            self.style.SUCCESS(f"Generated {total:,} rows ({counts.events:,} events) on {vendor} in {elapsed:.1f} s.")
        )

    def check_target(self, using: str, *, append: bool, flush: bool) -> None:
        """Refuse to mix synthetic rows into a database by accident; curated data is never deleted."""
        if synthetic_rows_exist(using) and not flush:
            raise CommandError("This database already holds synthetic rows; add --flush to replace them.")
        if curated_rows_exist(using) and not append:
            raise CommandError(
                "This database holds rows that are not synthetic (the curated dataset?). Generate into an empty "
                "database, or add --append to put synthetic rows beside them (they are marked and --flush removes "
                "only them)."
            )

    def progress(self, started: float):
        def report(message: str) -> None:
            if self.verbosity >= 1:
                self.stderr.write(f"  [{time.perf_counter() - started:6.1f} s] {message}")

        return report
