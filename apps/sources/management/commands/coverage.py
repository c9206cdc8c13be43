from django.core.management.base import BaseCommand, CommandError

from apps.sources.coverage import CITED, DECIDED, NO_FACT, UNDECIDED, coverage
from apps.sources.models import Source


def _labels(items) -> str:
    return ", ".join(f"{item.sentence.paragraph}.{item.sentence.number}" for item in items) or "-"


class Command(BaseCommand):
    """Print, per source, how many sentences and paragraphs of its document are decided, and which sentences are not.

    A sentence is decided when a citation overlaps it, a decision with a reason covers it (its own or its
    paragraph's), or it is recorded as holding no fact in scope; 100% means every sentence is. A paragraph is decided
    when all its sentences are. A source whose text is not loaded shows no counts (run import_documents).
    """

    help = (
        "Print each source's coverage by sentence (cited, decided, no fact in scope, undecided) and by paragraph, "
        "and the undecided sentences as PARAGRAPH.SENTENCE."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None, help="Only this source (its slug).")

    def handle(self, *args, source: str | None, **options):
        sources = Source.objects.order_by("slug")
        if source is not None:
            sources = sources.filter(slug=source)
            if not sources:
                raise CommandError(f"No source has the slug '{source}'; see manage.py coverage for the list.")
        header = (
            f"{'source':<52} {'sents':>5} {'cited':>5} {'decided':>7} {'no fact':>7} {'open':>5} {'% sents':>7} "
            f"{'paras':>5} {'% paras':>7}  undecided sentences"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for item in sources:
            result = coverage(item)
            if result.paragraphs is None:
                self.stdout.write(f"{item.slug:<52} text not loaded (manage.py import_documents)")
                continue
            counts = result.sentence_counts
            self.stdout.write(
                f"{item.slug:<52} {len(result.sentences):>5} {counts[CITED]:>5} {counts[DECIDED]:>7} "
                f"{counts[NO_FACT]:>7} {counts[UNDECIDED]:>5} {result.percent_sentences_decided:>6.1f}% "
                f"{result.paragraphs:>5} {result.percent_decided:>6.1f}%  {_labels(result.undecided_sentences)}"
            )
