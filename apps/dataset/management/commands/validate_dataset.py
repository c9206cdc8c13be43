"""``manage.py validate_dataset``: list every problem of the loaded dataset; exit non-zero if any."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.dataset.validation import validate


class Command(BaseCommand):
    """Check the loaded dataset and list every problem: uncited records, records failing their model's rules,
    quotes not found in their document, memberships that disagree with events, unused treaties, states and sources.
    Also lists, as "look:" lines that never fail it, records whose sources give different dates or numbers without
    a contradicting citation.

    Exits non-zero when there is any problem, so CI can run it on the fixtures.
    """

    help = "Validate the loaded dataset; print every problem and exit non-zero if there is any."

    def add_arguments(self, parser):
        parser.add_argument(
            "--documents",
            type=Path,
            default=None,
            help="Directory of the source documents, for the quote check (default: setting SEED_DOCUMENTS_DIR).",
        )
        parser.add_argument(
            "--require-documents",
            action="store_true",
            help="Fail, rather than warn, when the documents directory is missing and quotes cannot be checked.",
        )

    def handle(self, *args, documents: Path | None, require_documents: bool, **options):
        documents_dir = documents or getattr(settings, "SEED_DOCUMENTS_DIR", None)
        findings = validate(documents_dir=documents_dir)
        for warning in findings.warnings:
            self.stderr.write(self.style.WARNING(f"warning: {warning}"))
        for prompt in findings.prompts:
            self.stdout.write(f"look: {prompt}")
        for problem in findings.problems:
            self.stdout.write(f"- {problem}")
        if findings.problems:
            raise CommandError(f"{len(findings.problems)} problem(s) in the dataset.")
        if findings.warnings and require_documents:
            raise CommandError("Quotes could not be checked and --require-documents was given.")
        self.stdout.write(self.style.SUCCESS("Dataset valid: no problems found."))
