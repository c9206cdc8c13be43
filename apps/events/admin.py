"""Admin for events and statements: citations and participants under an event, its statements listed below them."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from import_export.formats.base_formats import CSV

from apps.core.admin import (
    TIMESTAMPS,
    CitationCountMixin,
    CuratedAdmin,
    curation_fieldset,
    partial_date_column,
    partial_date_row,
    titled,
)
from apps.curation.imports import CuratedImportMixin
from apps.sources.admin import (
    CITATION_SOURCE_FILTER,
    RECORD_SOURCE_FILTER,
    CitationAdmin,
    DisagreementsMixin,
    RequiredCitationInline,
    SourceAdmin,
)
from apps.sources.cited_admin import CitedRecordAdmin
from apps.sources.reader import citation_prefill
from apps.treaties.admin import ReadOnlyListInline, TreatyAdmin

from .accept import participants_prefill, reader_suggestions
from .models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from .resources import EventResource, StatementResource


class EventCitationInline(RequiredCitationInline):
    model = EventCitation


class StatementCitationInline(RequiredCitationInline):
    model = StatementCitation


class ParticipantInline(admin.TabularInline):
    """The states taking part in an event, each with its role."""

    model = EventParticipant
    fields = ("state", "role")
    autocomplete_fields = ("state",)
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("state", "event")

    # An accepted suggestion opens the add form with its states and roles (?participants=USA:actor,RUS:target).
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        rows = participants_prefill(request)
        if not rows:
            return formset

        class PrefilledFormSet(formset):
            def __init__(self, *args, **kwargs):
                kwargs.setdefault("initial", rows)
                super().__init__(*args, **kwargs)

        return PrefilledFormSet

    def get_extra(self, request, obj=None, **kwargs):
        return len(participants_prefill(request) or []) or super().get_extra(request, obj, **kwargs)


class ResponseListInline(ReadOnlyListInline):
    """The statements that respond to an event."""

    model = Statement
    fk_name = "responds_to"
    fields = ("slug", "speaker", "on_behalf_of", "stance", "date_display")
    readonly_fields = fields
    verbose_name_plural = "statements responding to this event"
    date_display = partial_date_column("date", "date")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("on_behalf_of")


class TreatyEventListInline(ReadOnlyListInline):
    """A treaty's events, listed under the treaty."""

    model = Event
    fields = ("slug", "type", "date_display", "title")
    readonly_fields = fields
    date_display = partial_date_column("date", "date")


# The treaty's page lists its events; declared here so that treaties never import from events.
TreatyAdmin.inlines = [*TreatyAdmin.inlines, TreatyEventListInline]
# The source reader offers events and statements for its undecided sentences; declared here for the same reason.
SourceAdmin.suggesters = [*SourceAdmin.suggesters, reader_suggestions]


@admin.register(Event)
class EventAdmin(CuratedImportMixin, DisagreementsMixin, CitationCountMixin, CitedRecordAdmin):
    """Events: dated acts about states and treaties, each with the sources that report it."""

    resource_classes = [EventResource]
    formats = [CSV]
    list_display = ("slug", "title", "type", "date_display", "treaty", "citation_count")
    list_filter = ("type", "treaty", "date_precision", "states", RECORD_SOURCE_FILTER)
    search_fields = ("slug", "title", "description", "location", "citations__quote")
    list_select_related = ("treaty",)
    autocomplete_fields = ("treaty",)
    date_hierarchy = "date"
    readonly_fields = (*TIMESTAMPS, "add_response")
    fieldsets = (
        (None, {"fields": ("slug", "type", "title", "treaty", partial_date_row("date"), "location")}),
        ("Text", {"fields": ("description", "add_response")}),
        curation_fieldset(),
    )
    inlines = [EventCitationInline, ParticipantInline, ResponseListInline]

    date_display = partial_date_column("date", "date")

    def get_prepopulated_fields(self, request, obj=None):
        return new_slug_from(obj, "title", "date")

    @admin.display(description="Statements")
    def add_response(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "Save the event first, then add the statements responding to it."
        query = f"responds_to={obj.pk}" + (f"&treaty={obj.treaty_id}" if obj.treaty_id else "")
        return format_html('<a href="{}?{}">Add a statement responding to this event</a>', _add_url(Statement), query)


@admin.register(Statement)
class StatementAdmin(CuratedImportMixin, DisagreementsMixin, CitationCountMixin, CitedRecordAdmin):
    """Statements: what was said, by whom, for which state, with what stance, and where it was reported."""

    resource_classes = [StatementResource]
    formats = [CSV]
    list_display = ("slug", "speaker", "on_behalf_of", "kind", "stance", "date_display", "treaty", "citation_count")
    list_filter = ("stance", "kind", "treaty", "on_behalf_of", "date_precision", "is_verbatim", RECORD_SOURCE_FILTER)
    search_fields = ("slug", "speaker", "speaker_title", "text", "citations__quote")
    list_select_related = ("on_behalf_of", "treaty")
    autocomplete_fields = ("on_behalf_of", "joint_with", "mentions", "treaty", "responds_to")
    date_hierarchy = "date"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "slug",
                    "speaker",
                    "speaker_title",
                    "on_behalf_of",
                    "joint_with",
                    "mentions",
                    "kind",
                    "stance",
                )
            },
        ),
        ("Words", {"fields": ("text", "is_verbatim", partial_date_row("date"))}),
        ("Context", {"fields": ("treaty", "responds_to")}),
        curation_fieldset(),
    )
    inlines = [StatementCitationInline]

    date_display = partial_date_column("date", "date")

    def get_prepopulated_fields(self, request, obj=None):
        return new_slug_from(obj, "speaker", "date")

    def get_changeform_initial_data(self, request):
        # Cited from a passage selected in the reader, the statement's words are that passage, to trim if need be:
        # the curator types the quote neither for the citation nor for the statement.
        initial = super().get_changeform_initial_data(request)
        selection = citation_prefill(request)
        if selection is not None and "text" not in initial:
            initial["text"] = selection["quote"]
        return initial


@admin.register(EventParticipant)
class EventParticipantAdmin(CuratedAdmin):
    """Every state's part in every event, for "what did this state do" across events."""

    list_display = ("event", "state", "role")
    list_filter = ("role", "event__type", "event__treaty")
    search_fields = ("event__slug", "event__title", "state__code", "state__name")
    list_select_related = ("event", "state")
    autocomplete_fields = ("event", "state")
    fields = ("event", "state", "role", "notes", TIMESTAMPS)


@admin.register(EventCitation)
class EventCitationAdmin(CitationAdmin):
    cited_field = "event"
    list_filter = ("stance", CITATION_SOURCE_FILTER, "event__treaty", "event__type")


@admin.register(StatementCitation)
class StatementCitationAdmin(CitationAdmin):
    cited_field = "statement"
    list_filter = (
        "stance",
        CITATION_SOURCE_FILTER,
        "statement__treaty",
        ("statement__stance", titled("statement's stance", admin.ChoicesFieldListFilter)),
    )


def new_slug_from(obj, *fields: str) -> dict:
    """A new record's slug, written as ``fields`` are typed ("lavrov-2020-11-12"), to edit if need be. A saved
    record's slug is its stable key and is left alone (and simple_history's past-version page, which reads the
    ``prepopulated_fields`` attribute, finds none on a reviewer's form without inputs)."""
    return {"slug": fields} if obj is None else {}


def _add_url(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
