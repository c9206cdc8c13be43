"""The reader of the curation desk: a source's text by paragraph, its cited passages marked, ready to cite from.

``reading.read(source)`` lays the text out for the reader page; ``ReaderAdminMixin`` adds the reader to the source's
admin: the page itself, deciding a paragraph or a sentence (left uncited with a reason, or no fact in scope), and
"cite this selection for an existing record". Citing for a *new* record needs
no view here: the reader links straight to the record's add form, whose citation inline fills itself from the
selection (see ``citation_prefill``), so every way into a citation goes through the same form and ``full_clean()``.
"""

from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from . import documents, sentences
from .choices import CitationStance, DecisionKind
from .cite_existing import ExistingRecordForm
from .coverage import Coverage, coverage, coverages
from .models import QUOTE_MAX_LENGTH, ParagraphDecision, Source, citation_models
from .reading import read

# Query parameters a record's add or change form reads its first citation from (see ``citation_prefill``).
CITE_SOURCE, CITE_START, CITE_END = "cite_source", "cite_start", "cite_end"


def cite_query(source_id: int, start: int, end: int) -> str:
    """The query string that makes a record's form open with this passage as its first citation."""
    return urlencode({CITE_SOURCE: source_id, CITE_START: start, CITE_END: end})


def citation_prefill(request) -> dict | None:
    """The first citation's initial values from a selection in the reader (``?cite_source=&cite_start=&cite_end=``).

    Only on GET: a form posted back carries the values itself, and initial data equal to the posted data would make
    Django take the citation row for an untouched extra row and skip it. The quote is cut from the stored text at the
    given offsets and its prefix/suffix computed as on save, so the curator types neither quote nor locator. A bad
    selection is reported as a message and leaves the form blank.
    """
    if request.method != "GET" or CITE_SOURCE not in request.GET:
        return None
    cached = getattr(request, "_citation_prefill", False)
    if cached is not False:
        return cached
    prefill = None
    try:
        source_id, start, end = (int(request.GET.get(name, "")) for name in (CITE_SOURCE, CITE_START, CITE_END))
    except ValueError:
        messages.error(request, "The selection to cite needs cite_source, cite_start and cite_end as whole numbers.")
    else:
        source = Source.objects.filter(pk=source_id).first()
        problem = _selection_problem(source, start, end)
        if problem:
            messages.error(request, problem)
        else:
            prefill = _selection_prefill(request, source, start, end)
    request._citation_prefill = prefill
    return prefill


def _selection_prefill(request, source: Source, start: int, end: int) -> dict | None:
    exact = source.text[start:end]
    try:
        match = documents.locate(source.text, exact, start=start)
    except documents.QuoteAmbiguous as error:
        # A passage repeated with the same context on both sides: no prefix or suffix the model stores can say which
        # occurrence is meant, so the citation would be refused on save.
        messages.error(
            request,
            f"The selected passage occurs {error.count} times in '{source}' with the same "
            f"{documents.CONTEXT_MAX} characters around it, so a citation cannot say which one is meant: select more "
            "of it (the whole sentence, or the words that differ).",
        )
        return None
    return {
        "source": source.pk,
        "quote": exact,
        "prefix": match.prefix,
        "suffix": match.suffix,
        "stance": CitationStance.SUPPORTS,
    }


def _selection_problem(source: Source | None, start: int, end: int) -> str:
    if source is None:
        return "The selection's source does not exist (any more)."
    if not source.text:
        return f"'{source}' has no text loaded, so a passage cannot be selected in it; load the document first."
    if not 0 <= start < end <= len(source.text):
        return (
            f"The selection {start}..{end} is not a passage of '{source}': give 0 <= start < end <= "
            f"{len(source.text)} (the text's length)."
        )
    if not source.text[start:end].strip():
        return "The selection is only whitespace: select the words to cite."
    if end - start > QUOTE_MAX_LENGTH:
        return (
            f"The selection is {end - start} characters long; a quote is at most {QUOTE_MAX_LENGTH}. "
            "Select one or two sentences."
        )
    return ""


def cite_targets() -> list[dict]:
    """The records a passage can be cited for: one per concrete citation model, found in the registry."""
    targets = []
    for model in citation_models():
        cited_model = model._meta.get_field(model.cited_field).related_model
        opts = cited_model._meta
        targets.append(
            {
                "label": opts.label_lower,
                "name": opts.verbose_name,
                "add_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_add"),
            }
        )
    return sorted(targets, key=lambda target: target["name"])


class CoverageChangeList(ChangeList):
    """A sources changelist that computes its page's coverage in one go (a few queries), not one source at a time."""

    def get_results(self, request):
        super().get_results(request)
        counts = coverages(self.result_list)
        for source in self.result_list:
            source.page_coverage = counts[source.pk]


class ReaderAdminMixin:
    """Adds the reader to a source's admin: its page, the paragraph decisions made there, citing for a record."""

    reader_template = "admin/sources/source/reader.html"
    # Callables (request, source, undecided sentences) -> {sentence start: [SuggestionLink]}, added by the apps
    # that know the records a sentence may hold (apps/events/admin.py), so that sources imports none of them.
    suggesters: list = []

    def get_changelist(self, request, **kwargs):
        return CoverageChangeList

    @admin.display(description="coverage")
    def coverage(self, obj) -> str:
        """Paragraphs cited or deliberately left uncited, out of all, and the ones still to decide."""
        if obj is None or obj.pk is None:
            return "Save the source and load its document to see its coverage."
        return coverage_summary(obj, getattr(obj, "page_coverage", None))

    def get_urls(self):
        opts = self.model._meta
        prefix = f"{opts.app_label}_{opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/reader/", view(self.reader_view), name=f"{prefix}_reader"),
            path("<path:object_id>/reader/decide/", view(self.decide_view), name=f"{prefix}_decide"),
            path("<path:object_id>/reader/cite/", view(self.cite_existing_view), name=f"{prefix}_cite"),
            *super().get_urls(),
        ]

    def _source(self, request, object_id) -> Source:
        source = self.get_object(request, unquote(object_id))
        if source is None:
            raise Http404(f"No source has the key {object_id!r}.")
        if not self.has_view_or_change_permission(request, source):
            raise PermissionDenied
        return source

    def reader_view(self, request, object_id):
        source = self._source(request, object_id)
        user = request.user
        reading = read(source) if source.text else None
        if reading is not None:
            undecided = [item.sentence for item in reading.coverage.undecided_sentences]
            for suggester in self.suggesters:
                reading.add_suggestions(suggester(request, source, undecided))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": source,
            "title": f"Reader: {source}",
            "reading": reading,
            "can_decide": user.has_perm(f"{ParagraphDecision._meta.app_label}.add_paragraphdecision"),
            "cite_targets": [t for t in cite_targets() if user.has_perm(_perm(t["label"], "add"))],
            "cite_existing_form": ExistingRecordForm(
                [_model(t["label"]) for t in cite_targets() if user.has_perm(_perm(t["label"], "change"))],
                self.admin_site,
            ),
        }
        return TemplateResponse(request, self.reader_template, context)

    def decide_view(self, request, object_id):
        """Decide a paragraph, or one sentence of it (``start``/``end``), without a citation (POST from the reader):
        left uncited with a reason, or (``kind=no_fact``) holding no fact in scope."""
        source = self._source(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(_reader_url(source))
        if not request.user.has_perm(f"{ParagraphDecision._meta.app_label}.add_paragraphdecision"):
            raise PermissionDenied
        kind = request.POST.get("kind") or DecisionKind.LEFT_UNCITED
        decision = ParagraphDecision(
            source=source,
            paragraph=_int(request.POST.get("paragraph")),
            start=_int(request.POST.get("start")),
            end=_int(request.POST.get("end")),
            kind=kind,
            reason=request.POST.get("reason", "").strip(),
        )
        what = "Sentence" if decision.start is not None else "Paragraph"
        try:
            decision.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
            messages.error(request, f"{what} not marked: {problems}")
            return HttpResponseRedirect(_reader_url(source))
        decision.save()
        self.log_addition(request, decision, [{"added": {}}])
        if decision.start is not None:
            found = sentences.sentence_at(source.text, decision.start, decision.end)
            what = f"Sentence {found.number} of paragraph {found.paragraph}"
        else:
            what = f"Paragraph {decision.paragraph}"
        no_fact = kind == DecisionKind.NO_FACT
        done = "recorded as holding no fact in scope" if no_fact else "marked as deliberately uncited"
        messages.success(request, f"{what} {done}.")
        return HttpResponseRedirect(f"{_reader_url(source)}#para-{decision.paragraph}")

    def cite_existing_view(self, request, object_id):
        """Open an existing record's change form with the selection as a new citation (GET from the reader)."""
        source = self._source(request, object_id)
        targets = {target["label"]: target for target in cite_targets()}
        target = targets.get(request.GET.get("model", ""))
        start, end = _int(request.GET.get(CITE_START)), _int(request.GET.get(CITE_END))
        if target is None:
            messages.error(request, f"Choose what kind of record to cite for: one of {', '.join(sorted(targets))}.")
            return HttpResponseRedirect(_reader_url(source))
        model = _model(target["label"])
        # The key the autocomplete box named after the model sends (see cite_existing.ExistingRecordForm).
        key = _int(request.GET.get(model._meta.model_name))
        record = model._default_manager.filter(pk=key).first() if key is not None else None
        if record is None:
            messages.error(
                request,
                f"Choose the {model._meta.verbose_name} to cite this passage for: type a few words of its title or "
                "slug in the box beside the button, then pick it.",
            )
            return HttpResponseRedirect(_reader_url(source))
        if not request.user.has_perm(_perm(target["label"], "change")):
            raise PermissionDenied
        change_url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk])
        return HttpResponseRedirect(f"{change_url}?{cite_query(source.pk, start, end)}")


def coverage_summary(source: Source, counts: Coverage | None = None) -> str:
    """'50 of 69 sentences decided (72.5%), 20 of 32 paragraphs; undecided: 2.2, 4.2', for the source's page and
    list (undecided sentences as PARAGRAPH.SENTENCE).

    ``counts`` is the source's coverage when the caller has it already (a changelist computes a whole page's at once).
    """
    if not source.text:
        return "No text loaded"
    counts = counts or coverage(source)
    total = len(counts.sentences)
    open_sentences = counts.undecided_sentences
    summary = (
        f"{total - len(open_sentences)} of {total} sentences decided ({counts.percent_sentences_decided:g}%), "
        f"{len(counts.cited) + len(counts.decided)} of {counts.paragraphs} paragraphs"
    )
    if open_sentences:
        summary += "; undecided: " + ", ".join(f"{i.sentence.paragraph}.{i.sentence.number}" for i in open_sentences)
    return summary


def _reader_url(source: Source) -> str:
    return reverse(f"admin:{source._meta.app_label}_{source._meta.model_name}_reader", args=[source.pk])


def _model(label: str):
    return apps.get_model(label)


def _perm(label: str, action: str) -> str:
    app_label, model_name = label.split(".")
    return f"{app_label}.{action}_{model_name}"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
