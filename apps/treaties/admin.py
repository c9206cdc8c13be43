"""Admin for states, treaties and memberships: a treaty's page shows its citations, memberships and events."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join

from apps.core.admin import (
    TIMESTAMPS,
    CitationCountMixin,
    CuratedAdmin,
    curation_fieldset,
    partial_date_column,
    partial_date_row,
)
from apps.sources.admin import (
    CITATION_SOURCE_FILTER,
    RECORD_SOURCE_FILTER,
    CitationAdmin,
    DisagreementsMixin,
    RequiredCitationInline,
)
from apps.sources.cited_admin import CitedRecordAdmin

from .models import Membership, MembershipCitation, State, Treaty, TreatyCitation


class ReadOnlyListInline(admin.TabularInline):
    """Related records listed under their parent, each linking to its own page.

    New ones are added from their own page (linked above the inline), where their required citation goes with them.
    """

    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(State)
class StateAdmin(CuratedAdmin):
    """States, current and former, with the names the sources use for them."""

    list_display = ("code", "name", "kind", "successor_of", "aliases")
    list_filter = ("kind",)
    search_fields = ("code", "name", "aliases")
    list_select_related = ("successor_of",)
    autocomplete_fields = ("successor_of",)
    fieldsets = ((None, {"fields": ("code", "name", "aliases", "kind", "successor_of")}), curation_fieldset())


class TreatyCitationInline(RequiredCitationInline):
    model = TreatyCitation


class MembershipListInline(ReadOnlyListInline):
    model = Membership
    fields = ("slug", "state", "role", "status", "joined_on_display", "left_on_display")
    readonly_fields = fields
    joined_on_display = partial_date_column("joined_on", "joined")
    left_on_display = partial_date_column("left_on", "left")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("state", "treaty")


@admin.register(Treaty)
class TreatyAdmin(DisagreementsMixin, CitationCountMixin, CitedRecordAdmin):
    """Treaties. Their members and events are listed under them; events/admin.py adds the events inline."""

    list_display = ("slug", "name", "short_name", "kind", "domain", "status", "citation_count")
    list_filter = ("kind", "domain", "status", RECORD_SOURCE_FILTER)
    search_fields = ("slug", "name", "short_name", "aliases")
    autocomplete_fields = ("depositaries",)
    readonly_fields = (*TIMESTAMPS, "add_related")
    fieldsets = (
        (None, {"fields": ("slug", "name", "short_name", "aliases", "kind", "domain", "status")}),
        ("Text", {"fields": ("depositaries", "summary")}),
        ("Related records", {"fields": ("add_related",)}),
        curation_fieldset(),
    )
    inlines = [TreatyCitationInline, MembershipListInline]

    @admin.display(description="Add to this treaty")
    def add_related(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "Save the treaty first."
        links = [
            (reverse("admin:treaties_membership_add"), "treaty", obj.pk, "a membership"),
            (reverse("admin:events_event_add"), "treaty", obj.pk, "an event"),
            (reverse("admin:events_statement_add"), "treaty", obj.pk, "a statement"),
        ]
        return format_html_join(" · ", '<a href="{}?{}={}">Add {}</a>', links)


class MembershipCitationInline(RequiredCitationInline):
    model = MembershipCitation


@admin.register(Membership)
class MembershipAdmin(DisagreementsMixin, CitationCountMixin, CitedRecordAdmin):
    """A state's period of participation in a treaty, with the sources for its dates."""

    list_display = (
        "slug",
        "state",
        "treaty",
        "role",
        "status",
        "joined_on_display",
        "withdrawal_notified_on_display",
        "left_on_display",
        "citation_count",
    )
    list_filter = (
        "treaty",
        "status",
        "role",
        "joined_on_precision",
        "left_on_precision",
        "state",
        RECORD_SOURCE_FILTER,
    )
    search_fields = ("slug", "state__code", "state__name", "state__aliases", "treaty__slug", "treaty__name")
    list_select_related = ("state", "treaty")
    autocomplete_fields = ("treaty", "state")
    date_hierarchy = "joined_on"
    fieldsets = (
        (None, {"fields": ("slug", "treaty", "state", "role", "status")}),
        (
            "Dates",
            {
                "fields": (
                    partial_date_row("joined_on"),
                    partial_date_row("withdrawal_notified_on"),
                    partial_date_row("left_on"),
                )
            },
        ),
        curation_fieldset(),
    )
    inlines = [MembershipCitationInline]

    joined_on_display = partial_date_column("joined_on", "joined")
    withdrawal_notified_on_display = partial_date_column("withdrawal_notified_on", "withdrawal notified")
    left_on_display = partial_date_column("left_on", "left")


@admin.register(TreatyCitation)
class TreatyCitationAdmin(CitationAdmin):
    cited_field = "treaty"
    list_filter = ("stance", CITATION_SOURCE_FILTER, "treaty")


@admin.register(MembershipCitation)
class MembershipCitationAdmin(CitationAdmin):
    cited_field = "membership"
    list_filter = ("stance", CITATION_SOURCE_FILTER, "membership__treaty")

    def get_list_select_related(self, request):
        # A membership names itself by its state and treaty.
        return ("source", "membership__state", "membership__treaty")
