from django.core.management.base import BaseCommand, CommandError

from apps.events.suggestions import Vocabulary, suggest
from apps.sources.models import Source, citation_spans
from apps.sources.sentences import overlaps, sentence_spans


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


class Command(BaseCommand):
    """Measure the reader's suggestions against what the curators cited, sentence by sentence.

    Every sentence of every source whose text is loaded is given its suggestions as if it were undecided. Recall is
    the share of cited sentences (a citation of any record overlaps them) that would have been suggested; precision
    the share of suggested sentences that are cited. ``--list`` prints each sentence's verdict and suggestions.
    Run it on the curated dataset: ``manage.py load_dataset`` then ``manage.py suggestions``.
    """

    help = "Recall and precision of the reader's suggestions against the sentences the curators cited."

    def add_arguments(self, parser):
        parser.add_argument("--source", default=None, help="Only this source (its slug).")
        parser.add_argument("--list", action="store_true", help="Print every sentence with its verdict.")

    def handle(self, *args, source: str | None, list: bool, **options):
        sources = Source.objects.filter(has_text=True).order_by("slug")
        if source is not None:
            sources = sources.filter(slug=source)
            if not sources:
                raise CommandError(f"No source with a loaded text has the slug '{source}'.")
        if not sources:
            raise CommandError("No source has its text loaded: run manage.py load_dataset (or import_documents).")
        vocabulary = Vocabulary.load()
        header = f"{'source':<52} {'sents':>5} {'cited':>5} {'sugg.':>5} {'both':>5} {'recall':>7} {'precision':>9}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        totals = [0, 0, 0, 0]
        for item in sources:
            counts = self._measure(item, vocabulary, list)
            totals = [total + count for total, count in zip(totals, counts, strict=True)]
            self.stdout.write(self._line(item.slug, *counts))
        self.stdout.write("-" * len(header))
        self.stdout.write(self._line("all", *totals))

    def _measure(self, source: Source, vocabulary: Vocabulary, verbose: bool) -> tuple[int, int, int, int]:
        found = suggest(source, vocabulary=vocabulary)
        spans = citation_spans(source)
        sentences = sentence_spans(source.text)
        cited = {s.start for s in sentences if any(overlaps(start, end, s.start, s.end) for start, end in spans)}
        suggested = set(found)
        if verbose:
            for sentence in sentences:
                verdict = {(True, True): "hit", (True, False): "missed", (False, True): "extra"}.get(
                    (sentence.start in cited, sentence.start in suggested), ""
                )
                words = source.text[sentence.start : sentence.end]
                self.stdout.write(f"{verdict:<7} {source.slug} {sentence.label}: {words[:90]}")
                for suggestion in found.get(sentence.start, []):
                    self.stdout.write(f"          {suggestion.summary}")
        return len(sentences), len(cited), len(suggested), len(cited & suggested)

    @staticmethod
    def _line(name: str, sentences: int, cited: int, suggested: int, both: int) -> str:
        return (
            f"{name:<52} {sentences:>5} {cited:>5} {suggested:>5} {both:>5} {_share(both, cited):>7} "
            f"{_share(both, suggested):>9}"
        )
