"""Building blocks shared by every app's admin: the base class of the curation desk and its list columns.

Nothing is registered here; each app registers its own models in its ``admin.py``.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from .partial_dates import PartialDate, PartialDateFormField, is_partial_date

# Curated records are removed one at a time, on purpose, from their delete page: a bulk delete of a filtered
# changelist is the easiest way to lose a day of curation.
admin.site.disable_action("delete_selected")

TIMESTAMPS = ("created_at", "updated_at")


class CuratedAdmin(SimpleHistoryAdmin):
    """Admin for a curated model: read-only timestamps, history with revert, and sensible list defaults."""

    readonly_fields = TIMESTAMPS
    list_per_page = 50
    # One COUNT over the whole table per changelist is enough; the filtered count is shown anyway.
    show_full_result_count = False
    history_list_per_page = 50
    # A source's address typed without a scheme ("www.example.org/x") is taken as https, the default from Django 6.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ("core/desk.css",)}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_partial_date(db_field):
            kwargs.setdefault("form_class", PartialDateFormField)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fieldsets(self, request, obj=None):
        """The declared fieldsets, then any editable field they do not name, so a field added to a model is on its
        form at once; placing it in the right fieldset is a matter of naming it there."""
        fieldsets = list(super().get_fieldsets(request, obj))
        if not self.fieldsets:
            return fieldsets  # Django's default form already shows every field.
        shown = set(flatten_fieldsets(fieldsets)) | set(super().get_readonly_fields(request, obj))
        opts = self.model._meta
        missing = [
            field.name
            for field in [*opts.fields, *opts.many_to_many]
            if field.editable
            and not field.primary_key
            and field.name not in shown
            # Relations through a model of their own (participants, citations) are edited as inlines.
            and not (field.many_to_many and not field.remote_field.through._meta.auto_created)
        ]
        return [*fieldsets, ("More", {"fields": missing})] if missing else fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is None or self.has_change_permission(request, obj):
            return readonly
        # Django shows a view-only user text instead of inputs on the change page, but simple_history's past-version
        # page asks only this method; list every field so a reviewer sees text there too.
        fields = flatten_fieldsets(self.get_fieldsets(request, obj))
        return readonly + tuple(field for field in fields if field not in readonly)

    def history_view(self, request, object_id, extra_context=None):
        self.key_or_404(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self.key_or_404(object_id)
        self.key_or_404(version_id, self.model.history.model)
        # simple_history checks only the view-history permission here, then saves any POST: a reviewer could revert.
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))
            if not (self.has_change_permission(request, obj) and self.has_change_history_permission(request, obj)):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def key_or_404(self, value: str, model=None):
        """``value`` from an address as ``model``'s primary key (this admin's model by default), or a 404.

        simple_history's pages pass the address's text straight to a query, so "abc" or "53/change" (a page address
        cut short) was a 500; Django's own pages check it as ``get_object()`` does.
        """
        try:
            return (model or self.model)._meta.pk.to_python(unquote(value))
        except ValidationError:
            raise Http404(f"No {(model or self.model)._meta.verbose_name} has the key {value!r}.") from None


class CitationCountMixin:
    """Adds a sortable "citations" column counted in the changelist query itself, not one query per row."""

    def get_queryset(self, request):
        # distinct: a search through the citations' quotes joins them a second time. Ordered again: a grouped query
        # drops the model's default ordering, and the autocomplete boxes searching these records page through it.
        ordering = self.get_ordering(request) or self.model._meta.ordering or ["pk"]
        return (
            super()
            .get_queryset(request)
            .annotate(citation_count=Count("citations", distinct=True))
            .order_by(*ordering)
        )

    @admin.display(description="citations", ordering="citation_count")
    def citation_count(self, obj) -> int:
        return obj.citation_count


def titled(title: str, filter_class=admin.RelatedOnlyFieldListFilter):
    """A list filter of a field under a title of its own: "By source" for a record's ``sources``, "By statement's
    stance" beside a citation's own "By stance" (Django titles a filter by the field's name alone)."""

    class TitledFilter(filter_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.title = title

    TitledFilter.__name__ = f"{filter_class.__name__}Titled"
    return TitledFilter


def partial_date_column(field: str, description: str):
    """A changelist column showing a partial date as precisely as it is known ("March 2021", "1992").

    Assign it in a ModelAdmin's body (``date_display = partial_date_column("date", "date")``) and list it by name.
    """

    @admin.display(description=description, ordering=field, empty_value="unknown")
    def column(model_admin, obj) -> str | None:
        value = PartialDate.of(obj, field)
        return value.display() if value else None

    column.__name__ = f"{field}_display"
    return column


def partial_date_row(field: str) -> tuple[str, str]:
    """A partial date's two fields, shown side by side on the form."""
    return (field, f"{field}_precision")


def curation_fieldset() -> tuple[str, dict]:
    """The curator's note and the timestamps, last on every form."""
    return ("Curation", {"fields": ("notes", TIMESTAMPS)})
