"""A flat CSV a researcher can open in a spreadsheet.

Not djangorestframework-csv: it takes its columns from the data (so an empty or sparse page changes them), spreads
lists over numbered columns, and does not escape spreadsheet formulas. This renderer takes the columns from the
serializer, so their order is stable; nested objects become dotted columns (``treaty.slug``), lists one cell
(``USA (actor); RUS (target)``; citations ``reuters-2020 (para. 3); tass-2020 (para. 1)``), and cells a spreadsheet
would run as a formula get a leading apostrophe.
"""

import csv
import io
import json

from rest_framework import renderers, serializers
from rest_framework.renderers import BaseRenderer

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LIST_SEPARATOR = "; "


def escape_formula(value: str) -> str:
    """Prefix a cell that would start a spreadsheet formula, so it is shown as text and never run.

    A cell already starting with an apostrophe gets one more (a spreadsheet shows one apostrophe less), so that
    ``unescape_formula`` restores every value exactly.
    """
    return f"'{value}" if value.startswith((*FORMULA_PREFIXES, "'")) else value


def unescape_formula(value: str) -> str:
    """The value ``escape_formula`` was given: a CSV exported by the admin imports back unchanged."""
    return value[1:] if value.startswith("'") and value[1:].startswith((*FORMULA_PREFIXES, "'")) else value


def columns(serializer: serializers.Serializer, prefix: str = "") -> list[str]:
    """Column names in the serializer's field order; nested objects give one dotted column per field."""
    names = []
    for name, field in serializer.fields.items():
        if isinstance(field, serializers.Serializer):
            names += columns(field, f"{prefix}{name}.")
        else:
            names.append(f"{prefix}{name}")
    return names


def flatten(row: dict, prefix: str = "") -> dict:
    cells = {}
    for name, value in row.items():
        if isinstance(value, dict):
            cells.update(flatten(value, f"{prefix}{name}."))
        else:
            cells[f"{prefix}{name}"] = value
    return cells


def list_item(item) -> str:
    """One list entry as text: a record by its key (code or slug), with its role if any; a citation by its source's
    slug and where in the source it stands (``reuters-2020 (para. 3)``), so two passages of one source read apart."""
    if not isinstance(item, dict):
        return str(item)
    if isinstance(item.get("source"), dict):
        slug = item["source"].get("slug")
        return f"{slug} ({item['locator']})" if item.get("locator") else str(slug)
    key = item.get("code") or item.get("slug") or json.dumps(item)
    return f"{key} ({item['role']})" if item.get("role") else str(key)


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = LIST_SEPARATOR.join(list_item(item) for item in value)
    return escape_formula(str(value))


class RawJSON(str):
    """JSON text already written (by the database, see rows.py): rendered as it is, never encoded again."""


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON renderer, which also takes ``RawJSON``: as the data (a record), or as a value of it (a page's
    results), put in the body as it is."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        values = data.values() if isinstance(data, dict) else [data]
        raw = [value for value in values if isinstance(value, RawJSON)]
        if not raw:
            return super().render(data, accepted_media_type, renderer_context)
        if self.get_indent(accepted_media_type, renderer_context or {}) is not None:
            # Indented on request: parsed and written again, as any data is.
            return super().render(parsed(data), accepted_media_type, renderer_context)
        if isinstance(data, RawJSON):
            return escape_line_separators(data).encode()
        # Each raw text stands in for a placeholder that no data renders to (a NUL in data is written \u0000).
        placeholders = {f"\0raw{index}": text for index, text in enumerate(raw)}
        by_text = {id(text): placeholder for placeholder, text in placeholders.items()}
        data = {name: by_text.get(id(value), value) for name, value in data.items()}
        body = super().render(data, accepted_media_type, renderer_context)
        for placeholder, text in placeholders.items():
            body = body.replace(json.dumps(placeholder).encode(), escape_line_separators(text).encode(), 1)
        return body


def parsed(data):
    """``data`` with its raw JSON parsed (a record, or a page's results), for code that changes what it shows."""
    if isinstance(data, RawJSON):
        return json.loads(data)
    if isinstance(data, dict):
        return {name: parsed(value) for name, value in data.items()}
    return data


def escape_line_separators(text: str) -> str:
    """As DRF's renderer escapes them, so that the JSON is also JavaScript."""
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def table_free_renderers() -> list[type[BaseRenderer]]:
    """The API's renderers without CSV, for a view whose answer is not one table (a timeline of two kinds of rows, a
    source's coverage or text): ``?format=csv`` there is a 400 naming the formats it has, not a CSV of empty columns.
    """
    from rest_framework.settings import api_settings  # here: the settings name this module's renderer

    return [renderer for renderer in api_settings.DEFAULT_RENDERER_CLASSES if renderer.format != CSVRenderer.format]


class CSVRenderer(BaseRenderer):
    """Renders a list (paginated or not) or a single record as CSV; errors stay JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        renderer_context = renderer_context or {}
        response = renderer_context.get("response")
        if response is not None and response.status_code >= 400:
            response["Content-Type"] = "application/json"
            return JSONRenderer().render(data, "application/json", renderer_context)
        rows = data["results"] if isinstance(data, dict) and "results" in data else data
        if isinstance(rows, dict):
            rows = [rows]
        rows = [flatten(row) for row in rows or []]
        view = renderer_context.get("view")
        header = columns(view.get_serializer()) if hasattr(view, "get_serializer") else list(rows[0] if rows else [])
        if response is not None and view is not None:
            queryset = getattr(view, "queryset", None)
            name = (
                str(queryset.model._meta.verbose_name_plural).replace(" ", "-") if queryset is not None else "export"
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        output = io.StringIO()
        # The byte-order mark lets spreadsheet programs recognise UTF-8 (names such as "Türkiye").
        output.write("\ufeff")
        writer = csv.writer(output, lineterminator="\r\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(row.get(name)) for name in header])
        return output.getvalue()
