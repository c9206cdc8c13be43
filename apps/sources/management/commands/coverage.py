from django.core.management.base import BaseCommand, CommandError

from apps.sources.coverage import coverage
from apps.sources.models import Source


def _numbers(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers)) or "-"


class Command(BaseCommand):
    """Print, per source, how many paragraphs of its document are cited, deliberately left uncited, or still open.

    100% decided means every paragraph is cited or has a reason to be left (a ParagraphDecision). A source whose
    text is not loaded shows no counts (run import_documents).
    """

    help = "Print each source's paragraph coverage: cited, decided, uncited (and which), percent decided."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None, help="Only this source (its slug).")

    def handle(self, *args, source: str | None, **options):
        sources = Source.objects.order_by("slug")
        if source is not None:
            sources = sources.filter(slug=source)
            if not sources:
                raise CommandError(f"No source has the slug '{source}'; see manage.py coverage for the list.")
        header = f"{'source':<52} {'paras':>5} {'cited':>5} {'decided':>7} {'uncited':>7} {'% decided':>9}  uncited"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for item in sources:
            result = coverage(item)
            if result.paragraphs is None:
                self.stdout.write(f"{item.slug:<52} text not loaded (manage.py import_documents)")
                continue
            self.stdout.write(
                f"{item.slug:<52} {result.paragraphs:>5} {len(result.cited):>5} {len(result.decided):>7} "
                f"{len(result.uncited):>7} {result.percent_decided:>8.1f}%  {_numbers(result.uncited)}"
            )
