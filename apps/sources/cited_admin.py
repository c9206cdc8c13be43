"""The admin of a cited record (treaty, membership, event, statement): what its citations add to the record's pages.

- A passage cited from the reader arrives as ``?cite_source=&cite_start=&cite_end=`` (see ``reader.citation_prefill``).
  Django carries a form's query string over to the page it redirects to after a save, so the selection would be
  offered again and its second save refused as a duplicate: the redirect drops it.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.http import HttpResponseRedirect

from apps.core.admin import CuratedAdmin

from .reader import CITE_END, CITE_SOURCE, CITE_START

SELECTION_PARAMETERS = {CITE_SOURCE, CITE_START, CITE_END}


class CitedRecordAdmin(CuratedAdmin):
    """Admin of a model whose records are cited (a ``citations`` inline under its form)."""

    def response_add(self, request, obj, post_url_continue=None):
        return _without_selection(super().response_add(request, obj, post_url_continue))

    def response_change(self, request, obj):
        return _without_selection(super().response_change(request, obj))


def _without_selection(response):
    """``response``, a redirect no longer carrying the reader's selection, once it has been saved."""
    if isinstance(response, HttpResponseRedirect):
        parts = urlsplit(response["Location"])
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SELECTION_PARAMETERS]
        response["Location"] = urlunsplit(parts._replace(query=urlencode(query)))
    return response
