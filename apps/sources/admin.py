"""Admin for sources, and the citation inline and citation admin every cited model's admin builds on.

Uncited records: refused, not drafted. A Treaty, Event, Statement or Membership cannot be saved from the admin
without at least one *supporting* citation, nor left without one by deleting its last supporting citation or turning
it into a contradicting one (inline or from the citation's own page). The rule is ``apps.sources.citations``'s, the
one the API, the CSV import and the dataset validator apply, asked here before saving so the curator sees it on the
form; nothing the API publishes is uncited and no draft flag has to be filtered out of every API query and fixture.
A record is added with its first citation in one form: the citation inline sits on the same page.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from apps.core.admin import (
    TIMESTAMPS,
    CuratedAdmin,
    curation_fieldset,
    partial_date_column,
    partial_date_row,
    titled,
)

from . import documents, sentences
from .choices import CitationStance
from .citations import RELATION, check_supported
from .models import ParagraphDecision, Source
from .reader import ReaderAdminMixin, citation_prefill
from .services import source_text_check, source_text_set

# "By source" on a list of citations, and on a cited record's list through its citations (its ``sources``), both
# offering only the sources cited there.
CITATION_SOURCE_FILTER = ("source", admin.RelatedOnlyFieldListFilter)
RECORD_SOURCE_FILTER = ("sources", titled("source"))


class RequiredCitationFormSet(BaseInlineFormSet):
    """Citation formset that refuses to leave its record without a supporting citation (the one rule, asked with
    the stances of the rows the form keeps, before anything is saved)."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        try:
            check_supported(self.instance, [form.cleaned_data.get("stance") for form in kept])
        except ValidationError as error:
            raise ValidationError(error.message_dict[RELATION]) from None


class CitationForm(forms.ModelForm):
    """A contradicting citation says how it disagrees, in its note (validate_dataset's rule, shown on the form)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A prefix or suffix is often just the space or line break next to a repeated quote: stripping it (as form
        # fields do by default) would leave the quote ambiguous.
        for name in ("prefix", "suffix"):
            if name in self.fields:
                self.fields[name].strip = False

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("stance") == CitationStance.CONTRADICTS and not (cleaned.get("note") or "").strip():
            self.add_error(
                "note", "Say how this passage disagrees with the record: a contradicting citation needs a note."
            )
        return cleaned


class CitationAdminForm(CitationForm):
    """A citation edited on its own page may not take away its record's last supporting citation."""

    def clean(self):
        cleaned = super().clean()
        citation = self.instance
        # While the form cleans, the instance still holds the stored values; they are copied over it afterwards.
        if citation.pk is None or not cleaned.get("stance"):
            return cleaned
        record = getattr(citation, citation.cited_field)
        # Moved to another record, it no longer counts for this one.
        moved = cleaned.get(citation.cited_field) not in (None, record)
        try:
            check_supported(record, [*_other_stances(citation), *([] if moved else [cleaned["stance"]])])
        except ValidationError as error:
            self.add_error(citation.cited_field if moved else "stance", error.message_dict[RELATION])
        return cleaned


def _other_stances(citation) -> list[str]:
    """The stances of the other citations of the record ``citation`` is about."""
    cited = {citation.cited_field: getattr(citation, f"{citation.cited_field}_id")}
    return list(type(citation).objects.filter(**cited).exclude(pk=citation.pk).values_list("stance", flat=True))


class VerifiedMixin:
    """A "verified" column: whether the citation's quote was placed in its source's loaded text."""

    @admin.display(description="verified", boolean=True)
    def verified(self, obj) -> bool | None:
        return None if obj is None or obj.pk is None else obj.is_verified


class CitationInline(VerifiedMixin, admin.StackedInline):
    """Citations edited in place under the record they support: source, quote, stance, note; where the passage stands
    (its locator and position) is derived from the source's text on save and shown, never typed.

    Stacked, one citation a block: as a table row the source, quote, note and selectors were 2,500 px wide, off a
    1,400 px window and scrolling inside their own box at 1,000 px.
    """

    form = CitationForm
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "source",
                    "quote",
                    ("stance", "verified"),
                    "note",
                    ("locator", "start", "end"),
                    ("prefix", "suffix"),
                )
            },
        ),
    )
    # Computed from the source's text on save (see Citation.clean()); a source without text leaves them empty.
    readonly_fields = ("locator", "start", "end", "verified")
    autocomplete_fields = ("source",)
    extra = 0
    verbose_name = "citation"
    verbose_name_plural = "citations (source passages supporting or contradicting this record)"
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 60})},
        # Prefix and suffix side by side within a 1,000 px window.
        models.CharField: {"widget": forms.TextInput(attrs={"size": 20})},
    }

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")

    # A passage selected in a source's reader opens the record's form with this inline's first row filled in
    # (source, quote, prefix, suffix), so the curator types no quote and no locator. Django fills a main form from
    # GET parameters but never an inline, hence this, once, for every cited model.
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        prefill = self.selection(request, obj)
        if prefill is None:
            return formset

        class PrefilledFormSet(formset):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("initial", [prefill])
                super().__init__(*args, **kwargs)

        return PrefilledFormSet

    def get_extra(self, request, obj=None, **kwargs):
        # The add form already shows min_num rows; a change form (or an inline with no minimum) needs one more.
        if self.selection(request, obj) is not None and (obj is not None or not self.min_num):
            return 1
        return super().get_extra(request, obj, **kwargs)

    def selection(self, request, obj) -> dict | None:
        """The reader's selection to add as a citation of ``obj``, unless ``obj`` cites that passage already (the
        form reopened by the back button or a reload): a second row would only be refused as a duplicate."""
        prefill = citation_prefill(request)
        if prefill is None or obj is None:
            return prefill
        # Asked by get_formset and get_extra: looked up, and said, once per request (as citation_prefill is read).
        answers = request.__dict__.setdefault("_citation_selection", {})
        if self.model not in answers:
            cited = self.model.objects.filter(
                **{self.model.cited_field: obj}, source_id=prefill["source"], quote=prefill["quote"]
            ).first()
            if cited is not None:
                where = f" ({cited.locator})" if cited.locator else ""
                messages.info(
                    request, f"This {obj._meta.verbose_name} already cites this passage{where}: nothing to add."
                )
            answers[self.model] = prefill if cited is None else None
        return answers[self.model]


class RequiredCitationInline(CitationInline):
    """Citation inline for a record that must be cited: one citation row is always there and must be filled."""

    formset = RequiredCitationFormSet
    min_num = 1


class DisagreementsMixin:
    """Shows, at the top of a cited record's form, the passages that contradict it and how: the sources that
    disagree about the record, each with its note, where the curator cannot miss them."""

    @admin.display(description="sources disagree")
    def disagreements(self, obj) -> str:
        rows = [] if obj is None or obj.pk is None else _contradicting(obj)
        if not rows:
            return "No source contradicts this record."
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}): “{}” — {}</li>',
            ((_reader_link(c), c.source.title, c.locator or "not placed", c.quote, c.note) for c in rows),
        )
        return format_html('<ul class="disagreements">{}</ul>', items)

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "disagreements")

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None or obj.pk is None or not _contradicting(obj):
            return fieldsets
        return [("Sources disagree about this record", {"fields": ("disagreements",)}), *fieldsets]


def _contradicting(record) -> list:
    """The citations contradicting ``record``, read once per instance (Django asks a form's fieldsets many times)."""
    if "_contradicting" not in record.__dict__:
        record._contradicting = list(
            getattr(record, RELATION).filter(stance=CitationStance.CONTRADICTS).select_related("source").order_by("id")
        )
    return record._contradicting


def _reader_link(citation) -> str:
    url = reverse("admin:sources_source_reader", args=[citation.source_id])
    return f"{url}#para-{citation.locator.removeprefix('para. ')}" if citation.locator.startswith("para. ") else url


class CitationAdmin(VerifiedMixin, CuratedAdmin):
    """Every citation of one cited model, for finding a quote across records; concrete admins set the cited field."""

    cited_field: str
    form = CitationAdminForm

    list_display = ("source", "cited", "quote_excerpt", "locator", "stance", "verified")
    list_filter = ("stance", CITATION_SOURCE_FILTER, ("source__has_text", admin.BooleanFieldListFilter))
    search_fields = ("quote", "note", "locator", "source__slug", "source__title")
    list_select_related = ("source",)

    readonly_fields = (*CuratedAdmin.readonly_fields, "locator", "start", "end", "verified")

    def save_model(self, request, obj, form, change):
        # A citation changed on its own page changes its record: the record is saved first, so its history has a
        # version showing the change (see citation_history) and its updated_at, the API's ETag, moves. A citation
        # moved to another record changes both.
        records = [getattr(obj, obj.cited_field)]
        if change and form.initial.get(obj.cited_field) not in (None, records[0].pk):
            records.append(records[0]._meta.model._default_manager.get(pk=form.initial[obj.cited_field]))
        for record in records:
            record.save()
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        getattr(obj, obj.cited_field).save()
        super().delete_model(request, obj)

    def get_fields(self, request, obj=None):
        return (
            self.cited_field,
            "source",
            "quote",
            ("prefix", "suffix"),
            "locator",
            ("start", "end", "verified"),
            "stance",
            "note",
            "notes",
            TIMESTAMPS,
        )

    def get_autocomplete_fields(self, request):
        return (self.cited_field, "source")

    def get_search_fields(self, request):
        return (*self.search_fields, f"{self.cited_field}__slug")

    def get_list_select_related(self, request):
        return (*self.list_select_related, self.cited_field)

    @admin.display(description="cited record", ordering="id")
    def cited(self, obj):
        return getattr(obj, self.cited_field)

    @admin.display(description="quote")
    def quote_excerpt(self, obj) -> str:
        return obj.quote if len(obj.quote) <= 90 else f"{obj.quote[:88]}…"

    def has_delete_permission(self, request, obj=None) -> bool:
        if not super().has_delete_permission(request, obj):
            return False
        # The last supporting citation of a record stays: replace it on the record's own page instead.
        if obj is None:
            return True
        try:
            check_supported(getattr(obj, obj.cited_field), _other_stances(obj))
        except ValidationError:
            return False
        return True


class SourceAdminForm(forms.ModelForm):
    """A source, with its document uploaded as a file: checked against the dataset's hash and its citations.

    A document recorded by mistake (the first upload was the wrong file) is corrected by uploading the right one
    and naming, in ``replaces_sha256``, the SHA-256 of the one it replaces: an explicit act, refused when the hash is
    not the source's current one, and kept in the source's history (``services.source_text_set``).
    """

    document_file = forms.FileField(
        required=False,
        label="Upload the document",
        help_text="Plain text (UTF-8) or HTML, reduced to its text. It must be the document the dataset's SHA-256 "
        "names, if it names one, and every citation of this source must be found in it.",
    )
    replaces_sha256 = forms.CharField(
        required=False,
        max_length=64,
        label="Replaces the document with SHA-256",
        help_text="Only to correct a wrong document: the SHA-256 shown above, of the document the upload replaces. "
        "Every citation must be found in the new document, and each paragraph decision's paragraph too (it moves "
        "with it); the old SHA-256 stays in this source's history.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("document_file")
        replaces = cleaned.get("replaces_sha256", "").strip().lower()
        self.text_change = None
        if replaces and not upload:
            self.add_error("replaces_sha256", "Upload the document that replaces it.")
        if upload:
            try:
                text = documents.text_from_file(upload.name, upload)
                self.text_change = source_text_check(source=self.instance, text=text, replaces=replaces)
            except documents.DocumentUnreadable as error:
                self.add_error("document_file", str(error))
            except ValidationError as error:
                self._add_text_errors(error, replaces)
        return cleaned

    def _add_text_errors(self, error: ValidationError, replaces: str) -> None:
        for name, field_messages in error.message_dict.items():
            self.add_error("replaces_sha256" if name == "replaces" else "document_file", field_messages)
        if not replaces and any(e.code == "hash_mismatch" for e in error.error_dict.get("text", [])):
            self.add_error(
                "replaces_sha256",
                "If the recorded document is the wrong file, replace it: give its SHA-256 here with the right one.",
            )


class ParagraphDecisionInline(admin.TabularInline):
    """Paragraphs, or single sentences, of this source deliberately left uncited, each with its reason."""

    model = ParagraphDecision
    fields = ("paragraph", "start", "end", "sentence", "kind", "reason")
    readonly_fields = ("sentence",)
    extra = 0
    verbose_name_plural = "paragraphs and sentences deliberately left uncited (decided in the reader)"
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 30})}}

    @admin.display(description="sentence")
    def sentence(self, obj) -> str:
        return decision_label(obj)


def decision_label(decision) -> str:
    """'whole paragraph', or 'sentence 2: "The first words…"', read from the source's text."""
    if decision is None or decision.pk is None or decision.start is None:
        return "whole paragraph"
    text = decision.source.text
    found = sentences.sentence_at(text, decision.start, decision.end) if text else None
    if found is None:
        return f"characters {decision.start}-{decision.end}"
    words = text[found.start : found.end]
    return f"sentence {found.number}: “{words if len(words) <= 70 else words[:68] + '…'}”"


@admin.register(ParagraphDecision)
class ParagraphDecisionAdmin(CuratedAdmin):
    """Every decision to leave a paragraph, or one sentence, uncited, across sources."""

    list_display = ("source", "paragraph", "sentence", "kind", "reason")
    list_filter = ("kind", "source")
    search_fields = ("reason", "source__slug", "source__title")
    list_select_related = ("source",)
    autocomplete_fields = ("source",)
    fields = ("source", "paragraph", ("start", "end"), "sentence", "kind", "reason", "notes", TIMESTAMPS)
    readonly_fields = (*CuratedAdmin.readonly_fields, "sentence")

    @admin.display(description="sentence")
    def sentence(self, obj) -> str:
        return decision_label(obj)


@admin.register(Source)
class SourceAdmin(ReaderAdminMixin, CuratedAdmin):
    """Sources: the documents every citation points into, uploaded on this page, read and cited from its reader."""

    form = SourceAdminForm
    inlines = [ParagraphDecisionInline]
    readonly_fields = (*CuratedAdmin.readonly_fields, "text_sha256", "text_status", "text", "coverage")

    list_display = ("slug", "title", "publisher", "kind", "language", "published_on_display", "document", "coverage")
    list_filter = ("kind", "language", "published_on_precision")
    search_fields = ("slug", "title", "publisher", "author", "document", "url")
    date_hierarchy = "published_on"
    fieldsets = (
        (None, {"fields": ("slug", "title", "kind", "language", partial_date_row("published_on"))}),
        ("Provenance", {"fields": ("publisher", "author", "url", "archive_url", "document")}),
        ("Document text", {"fields": ("document_file", "text_status", "text_sha256", "replaces_sha256", "coverage")}),
        curation_fieldset(),
    )

    published_on_display = partial_date_column("published_on", "published")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # A view-only user gets no upload field (the read-only form has nothing to show for it).
        uploads = {"document_file", "replaces_sha256"}
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f not in uploads]}) for name, opts in fieldsets
        ]

    @admin.display(description="text")
    def text_status(self, obj) -> str:
        if obj is None or not obj.text:
            return "Not loaded: citations of this source are accepted but marked unverified."
        paragraphs = len(documents.paragraph_spans(obj.text))
        return f"Loaded: {len(obj.text):,} characters, {paragraphs} paragraphs."

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if form.text_change is None:
            return
        replaced = source_text_set(source=obj, text=form.text_change.text, replaces=form.text_change.replaces)
        if replaced.replaces:
            messages.success(
                request,
                f"The document with SHA-256 {replaced.replaces} was replaced by the one with SHA-256 "
                f"{replaced.sha256}: {len(replaced.citations)} citation(s) and {len(replaced.moves)} paragraph "
                "decision(s) placed anew. The old hash is in this source's history.",
            )
