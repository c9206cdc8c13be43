"""The reader of the curation desk: a source's text by paragraph, its cited passages marked, ready to cite from.

``read(source)`` lays the text out for the reader page (numbered paragraphs split into runs of text, each run knowing
which citations cover it); ``ReaderAdminMixin`` adds the reader to the source's admin: the page itself, marking a
paragraph as deliberately uncited, and "cite this selection for an existing record". Citing for a *new* record needs
no view here: the reader links straight to the record's add form, whose citation inline fills itself from the
selection (see ``citation_prefill``), so every way into a citation goes through the same form and ``full_clean()``.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from . import documents
from .choices import CitationStance
from .cite_existing import ExistingRecordForm
from .coverage import Coverage, coverage, coverage_of, coverages
from .models import QUOTE_MAX_LENGTH, ParagraphDecision, Source, citation_models

# Query parameters a record's add or change form reads its first citation from (see ``citation_prefill``).
CITE_SOURCE, CITE_START, CITE_END = "cite_source", "cite_start", "cite_end"


@dataclass
class CitedPassage:
    """One citation as the reader shows it: where it stands, how it stands, and the record that cites it."""

    start: int
    end: int
    stance: str
    quote: str
    record_label: str  # "event usa-open-skies-withdrawal-effective-2020-11-22"
    record_url: str


@dataclass
class Run:
    """A stretch of a paragraph covered by the same citations (none for plain text)."""

    text: str
    passages: list[CitedPassage]

    @property
    def css_class(self) -> str:
        stances = {passage.stance for passage in self.passages}
        if stances == {CitationStance.SUPPORTS}:
            return "cite cite-supports"
        if stances == {CitationStance.CONTRADICTS}:
            return "cite cite-contradicts"
        return "cite cite-mixed"


@dataclass
class Paragraph:
    """Paragraph ``number`` (the Nth non-empty line) of the text, at ``start``..``end``."""

    number: int
    start: int
    end: int
    runs: list[Run]
    passages: list[CitedPassage]
    decision: ParagraphDecision | None
    uncited: bool

    @property
    def state(self) -> str:
        if self.uncited:
            return "uncited"
        return "cited" if self.passages else "decided"

    def html(self) -> str:
        """The paragraph's text, each cited run marked (its title naming the records citing it).

        Built here rather than in the template so no whitespace slips between runs: the reader's script maps a
        selection back to offsets in the text by counting characters, so the element's text must be exactly the
        paragraph's. A mark, not a link: text in a link cannot be selected (a drag moves the link, a double click
        opens it), and a second record on a cited passage is the common case. The records are linked below the
        paragraph.
        """
        pieces = format_html_join(
            "",
            "{}",
            (
                (
                    format_html(
                        '<mark class="{}" title="{}">{}</mark>',
                        run.css_class,
                        "; ".join(f"{p.stance}: {p.record_label}" for p in run.passages),
                        run.text,
                    )
                    if run.passages
                    else run.text,
                )
                for run in self.runs
            ),
        )
        return format_html('<span class="para-text" data-start="{}">{}</span>', self.start, pieces)


@dataclass
class Reading:
    """What the reader shows of one source."""

    source: Source
    paragraphs: list[Paragraph]
    coverage: Coverage
    # Citations of this source not placed in its text (saved before the text was loaded): listed apart.
    unplaced: list[CitedPassage] = field(default_factory=list)


def cited_passages(source: Source) -> list[CitedPassage]:
    """Every citation of ``source``, from every concrete citation model (one query each), in text order."""
    passages = []
    for model in citation_models():
        cited_field = model.cited_field
        cited_model = model._meta.get_field(cited_field).related_model
        url_name = f"admin:{cited_model._meta.app_label}_{cited_model._meta.model_name}_change"
        rows = model.objects.filter(source=source).values_list(
            "start", "end", "stance", "quote", f"{cited_field}_id", f"{cited_field}__slug"
        )
        for start, end, stance, quote, record_id, slug in rows:
            passages.append(
                CitedPassage(
                    start=start,
                    end=end,
                    stance=stance,
                    quote=quote,
                    record_label=f"{cited_model._meta.verbose_name} {slug}",
                    record_url=reverse(url_name, args=[record_id]),
                )
            )
    return sorted(passages, key=lambda p: (p.start is None, p.start or 0, p.end or 0, p.record_label))


def read(source: Source) -> Reading:
    """Lay ``source``'s text out by paragraph, splitting each into runs at every cited passage's edges."""
    text = source.text
    passages = cited_passages(source)
    placed = [p for p in passages if p.start is not None]
    decisions = {decision.paragraph: decision for decision in source.paragraph_decisions.all()}
    # From the rows read for the page, rather than coverage(source) reading them again: one rule, half the queries.
    counts = coverage_of(text, [(p.start, p.end) for p in placed], decisions)
    uncited = set(counts.uncited)
    paragraphs = []
    for number, (start, end) in enumerate(documents.paragraph_spans(text), start=1):
        inside = [p for p in placed if p.start < end and p.end > start]
        edges = sorted({start, end} | {min(max(edge, start), end) for p in inside for edge in (p.start, p.end)})
        runs = []
        for left, right in zip(edges, edges[1:], strict=False):
            covering = [p for p in inside if p.start <= left and p.end >= right]
            runs.append(Run(text[left:right], covering))
        paragraphs.append(
            Paragraph(number, start, end, runs, inside, decisions.get(number), uncited=number in uncited)
        )
    return Reading(source, paragraphs, counts, unplaced=[p for p in passages if p.start is None])


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
            exact = source.text[start:end]
            match = documents.locate(source.text, exact, start=start)
            prefill = {
                "source": source.pk,
                "quote": exact,
                "prefix": match.prefix,
                "suffix": match.suffix,
                "stance": CitationStance.SUPPORTS,
            }
    request._citation_prefill = prefill
    return prefill


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
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": source,
            "title": f"Reader: {source}",
            "reading": read(source) if source.text else None,
            "can_decide": user.has_perm(f"{ParagraphDecision._meta.app_label}.add_paragraphdecision"),
            "cite_targets": [t for t in cite_targets() if user.has_perm(_perm(t["label"], "add"))],
            "cite_existing_form": ExistingRecordForm(
                [_model(t["label"]) for t in cite_targets() if user.has_perm(_perm(t["label"], "change"))],
                self.admin_site,
            ),
        }
        return TemplateResponse(request, self.reader_template, context)

    def decide_view(self, request, object_id):
        """Mark a paragraph as deliberately uncited, with its reason (POST from the reader)."""
        source = self._source(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(_reader_url(source))
        if not request.user.has_perm(f"{ParagraphDecision._meta.app_label}.add_paragraphdecision"):
            raise PermissionDenied
        decision = ParagraphDecision(
            source=source, paragraph=_int(request.POST.get("paragraph")), reason=request.POST.get("reason", "").strip()
        )
        try:
            decision.full_clean()
        except ValidationError as error:
            problems = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in error.message_dict.items())
            messages.error(request, f"Paragraph not marked: {problems}")
            return HttpResponseRedirect(_reader_url(source))
        decision.save()
        self.log_addition(request, decision, [{"added": {}}])
        messages.success(request, f"Paragraph {decision.paragraph} marked as deliberately uncited.")
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
    """'12 of 15 paragraphs cited or decided (80%); uncited: 1, 2, 3', for the source's page and list.

    ``counts`` is the source's coverage when the caller has it already (a changelist computes a whole page's at once).
    """
    if not source.text:
        return "No text loaded"
    counts = counts or coverage(source)
    summary = (
        f"{len(counts.cited) + len(counts.decided)} of {counts.paragraphs} paragraphs cited or decided "
        f"({counts.percent_decided:g}%)"
    )
    if counts.uncited:
        summary += "; uncited: " + ", ".join(str(number) for number in counts.uncited)
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
