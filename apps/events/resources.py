"""CSV import and export of events and statements in the admin (django-import-export).

Rows are keyed by slug, so an import updates the records it names and creates the others. Each row may carry one
citation (``source`` slug, ``quote``, ``locator``), which supports the record; a row creating a record (or changing
one that has no supporting citation) must, by the rule of apps/sources/citations.py. Rows are saved one by one with
``save()`` (never bulk), so the history records each imported change with the importing curator, and the preview (a
dry run in a rolled-back transaction) lists every row's errors by column before anything is written.
"""

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.widgets import ForeignKeyWidget, ManyToManyWidget

from apps.core.api.renderers import escape_formula, unescape_formula
from apps.core.partial_dates import date_entry_problem, is_partial_date
from apps.sources.citations import RELATION, check_supported
from apps.sources.models import Source
from apps.treaties.models import State, Treaty

from .api.serializers import EventWriteSerializer, StatementWriteSerializer
from .models import Event, EventCitation, Statement, StatementCitation

CITATION_COLUMNS = ("source", "quote", "locator")


def writable_fields(serializer_class) -> tuple[str, ...]:
    """The columns of a record's CSV: what curators write through the API, declared once by its write serializer,
    except the child lists (a row carries one citation, in CITATION_COLUMNS)."""
    meta = serializer_class.Meta
    return tuple(name for name in meta.fields if name not in getattr(meta, "children", ()))


class PartialDateWidget(widgets.DateWidget):
    """A partial date's cell: one that is not a date says how to write a year or a month, as the admin form does."""

    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(date_entry_problem(value)) from None


class CitedResource(resources.ModelResource):
    """A resource whose rows may add one citation to the record; new records must bring one."""

    source = fields.Field(column_name="source")
    quote = fields.Field(column_name="quote")
    locator = fields.Field(column_name="locator")

    citation_model: type
    cited_field: str

    @classmethod
    def widget_from_django_field(cls, f, default=widgets.Widget):
        if is_partial_date(f):
            return PartialDateWidget
        return super().widget_from_django_field(f, default)

    def import_instance(self, instance, row, **kwargs) -> None:
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        errors.update(self._citation_errors(instance, row))
        if errors:
            raise ValidationError(errors)

    def _citation_errors(self, instance, row) -> dict[str, list[str]]:
        source_slug, quote = (row.get("source") or "").strip(), (row.get("quote") or "").strip()
        if not source_slug and not quote:
            # The row adds no citation (a CSV citation always supports): the record must already have one.
            try:
                check_supported(instance)
            except ValidationError as error:
                hint = "Fill in the source (its slug) and the quote."
                return {"quote": [f"{message} {hint}" for message in error.message_dict[RELATION]]}
            return {}
        source = self._source(source_slug)
        if source is None:
            return {"source": [f"No source with the slug '{source_slug}'; give the slug of an existing source."]}
        citation = self.citation_model(source=source, quote=quote, locator=(row.get("locator") or "").strip())
        try:
            citation.full_clean(exclude=[self.cited_field])
        except ValidationError as error:
            return error.message_dict
        return {}

    def skip_row(self, instance, original, row, import_validation_errors=None) -> bool:
        # An unchanged record still takes a citation it does not have yet.
        return super().skip_row(instance, original, row, import_validation_errors) and not self._new_citation(
            instance, row
        )

    def _new_citation(self, instance, row) -> dict | None:
        source_slug, quote = (row.get("source") or "").strip(), (row.get("quote") or "").strip()
        if not (source_slug and quote):
            return None
        lookup = {self.cited_field: instance, "source__slug": source_slug, "quote": quote}
        if instance.pk is not None and self.citation_model.objects.filter(**lookup).exists():
            return None
        return {"source": self._source(source_slug), "quote": quote}

    def _source(self, slug: str) -> Source | None:
        """The source with this slug; each is read once per import (a file cites few sources in many rows)."""
        cache = self.__dict__.setdefault("_sources", {})
        if slug not in cache:
            cache[slug] = Source.objects.filter(slug=slug).first()
        return cache[slug]

    def after_save_instance(self, instance, row, **kwargs) -> None:
        new = self._new_citation(instance, row)
        if new:
            citation = self.citation_model(
                **{self.cited_field: instance}, **new, locator=(row.get("locator") or "").strip()
            )
            # Placed in its source's text (selectors and derived locator) as on every other write path; the row's
            # check above ran the same rules.
            citation.full_clean()
            citation.save()

    def export_field(self, field, instance, **kwargs):
        # A cell a spreadsheet would run as a formula ("=HYPERLINK(...)" in a quote) is escaped as in the API's CSV.
        value = super().export_field(field, instance, **kwargs)
        return escape_formula(value) if isinstance(value, str) else value

    def before_import_row(self, row, **kwargs) -> None:
        # What export_field escaped is read back as it was stored.
        for column, value in row.items():
            if isinstance(value, str):
                row[column] = unescape_formula(value)

    def filter_export(self, queryset, **kwargs):
        return super().filter_export(queryset, **kwargs).prefetch_related("citations__source")

    def _first_citation(self, obj):
        citations = list(obj.citations.all())
        return citations[0] if citations else None

    def dehydrate_source(self, obj) -> str:
        citation = self._first_citation(obj)
        return citation.source.slug if citation else ""

    def dehydrate_quote(self, obj) -> str:
        citation = self._first_citation(obj)
        return citation.quote if citation else ""

    def dehydrate_locator(self, obj) -> str:
        citation = self._first_citation(obj)
        return citation.locator if citation else ""


class EventResource(CitedResource):
    """Events as CSV rows; the treaty by its slug; the first citation in the citation columns."""

    treaty = fields.Field(attribute="treaty", column_name="treaty", widget=ForeignKeyWidget(Treaty, "slug"))

    citation_model = EventCitation
    cited_field = "event"

    class Meta:
        model = Event
        import_id_fields = ("slug",)
        fields = (*writable_fields(EventWriteSerializer), *CITATION_COLUMNS)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True


class StatementResource(CitedResource):
    """Statements as CSV rows; states by code, the treaty and event by slug; the first citation."""

    on_behalf_of = fields.Field(
        attribute="on_behalf_of", column_name="on_behalf_of", widget=ForeignKeyWidget(State, "code")
    )
    joint_with = fields.Field(
        attribute="joint_with", column_name="joint_with", widget=ManyToManyWidget(State, separator="|", field="code")
    )
    mentions = fields.Field(
        attribute="mentions", column_name="mentions", widget=ManyToManyWidget(State, separator="|", field="code")
    )
    treaty = fields.Field(attribute="treaty", column_name="treaty", widget=ForeignKeyWidget(Treaty, "slug"))
    responds_to = fields.Field(
        attribute="responds_to", column_name="responds_to", widget=ForeignKeyWidget(Event, "slug")
    )

    citation_model = StatementCitation
    cited_field = "statement"

    class Meta:
        model = Statement
        import_id_fields = ("slug",)
        fields = (*writable_fields(StatementWriteSerializer), *CITATION_COLUMNS)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True
