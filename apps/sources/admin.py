"""Admin for sources, and the citation inline and citation admin every cited model's admin builds on.

Uncited records: refused, not drafted. A Treaty, Event, Statement or Membership cannot be saved from the admin
without at least one *supporting* citation, nor left without one by deleting its last supporting citation or turning
it into a contradicting one (inline or from the citation's own page). The rule is ``apps.sources.citations``'s, the
one the API, the CSV import and the dataset validator apply, asked here before saving so the curator sees it on the
form; nothing the API publishes is uncited and no draft flag has to be filtered out of every API query and fixture.
A record is added with its first citation in one form: the citation inline sits on the same page.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet

from apps.core.admin import TIMESTAMPS, CuratedAdmin, curation_fieldset, partial_date_column, partial_date_row

from .choices import CitationStance
from .citations import RELATION, check_supported
from .models import Source


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


class CitationInline(admin.TabularInline):
    """Citations edited in place under the record they support: source, quote, locator, stance, note."""

    form = CitationForm
    fields = ("source", "quote", "locator", "stance", "note")
    autocomplete_fields = ("source",)
    extra = 0
    verbose_name = "citation"
    verbose_name_plural = "citations (source passages supporting or contradicting this record)"
    # Small text boxes, so a row of the inline fits the page beside its source and stance.
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})}}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


class RequiredCitationInline(CitationInline):
    """Citation inline for a record that must be cited: one citation row is always there and must be filled."""

    formset = RequiredCitationFormSet
    min_num = 1


class CitationAdmin(CuratedAdmin):
    """Every citation of one cited model, for finding a quote across records; concrete admins set the cited field."""

    cited_field: str
    form = CitationAdminForm

    list_display = ("source", "cited", "quote_excerpt", "locator", "stance")
    list_filter = ("stance",)
    search_fields = ("quote", "note", "locator", "source__slug", "source__title")
    list_select_related = ("source",)

    def get_fields(self, request, obj=None):
        return (self.cited_field, "source", "quote", "locator", "stance", "note", "notes", TIMESTAMPS)

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


@admin.register(Source)
class SourceAdmin(CuratedAdmin):
    """Sources: the documents every citation points into."""

    list_display = ("slug", "title", "publisher", "kind", "language", "published_on_display", "document")
    list_filter = ("kind", "language", "published_on_precision")
    search_fields = ("slug", "title", "publisher", "author", "document", "url")
    date_hierarchy = "published_on"
    fieldsets = (
        (None, {"fields": ("slug", "title", "kind", "language", partial_date_row("published_on"))}),
        ("Provenance", {"fields": ("publisher", "author", "url", "archive_url", "document")}),
        curation_fieldset(),
    )

    published_on_display = partial_date_column("published_on", "published")
