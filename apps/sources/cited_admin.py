"""The admin of a cited record (treaty, membership, event, statement): what its citations add to the record's pages.

- **History.** simple_history shows a record's own fields changing; this adds its citations' changes (added,
  removed, a stance or note changed: old → new) to the same list, and the page of a past version shows that
  version's citations, which "Revert" restores with the record (``citation_history`` reads them from the citations'
  own history).
- **The reader's selection.** A passage cited from the reader arrives as ``?cite_source=&cite_start=&cite_end=`` (see
  ``reader.citation_prefill``). Django carries a form's query string over to the page it redirects to after a save,
  so the selection would be offered again and its second save refused as a duplicate: the redirect drops it.
"""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponseRedirect

from apps.core.admin import CuratedAdmin

from . import citation_history
from .reader import CITE_END, CITE_SOURCE, CITE_START

SELECTION_PARAMETERS = {CITE_SOURCE, CITE_START, CITE_END}


class CitedRecordAdmin(CuratedAdmin):
    """Admin of a model whose records are cited (a ``citations`` inline under its form)."""

    object_history_form_template = "admin/sources/cited_history_form.html"

    def response_add(self, request, obj, post_url_continue=None):
        return _without_selection(super().response_add(request, obj, post_url_continue))

    def response_change(self, request, obj):
        return _without_selection(super().response_change(request, obj))

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        page = list(historical_records)
        if not page:
            return
        versions, states = self._citation_states(page[0].id)
        earlier = {later.history_id: before.history_id for before, later in zip(versions, versions[1:], strict=False)}
        for version in page:
            if version.history_id not in earlier:
                continue  # the record's first version: nothing to compare with
            changes = citation_history.citation_changes(
                states[earlier[version.history_id]], states[version.history_id]
            )
            version.history_delta_changes = [
                *getattr(version, "history_delta_changes", []),
                *({"field": change.field, "old": change.old, "new": change.new} for change in changes),
            ]

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        record_id = self.key_or_404(object_id)
        version_key = self.key_or_404(version_id, self.model.history.model)
        state = self._citation_states(record_id)[1].get(version_key)
        if state is None:  # no such version of this record: simple_history answers 404
            return super().history_form_view(request, object_id, version_id, extra_context)
        record = self.get_object(request, record_id)
        if request.method == "POST" and record is not None and self.has_change_permission(request, record):
            # Checked before anything is saved, so a revert that cannot restore its citations changes nothing.
            problem = citation_history.revert_problem(record, state)
            if problem:
                messages.error(request, f"Not reverted: this version's citations cannot be restored. {problem}")
                return HttpResponseRedirect(request.get_full_path())
            with transaction.atomic():
                response = super().history_form_view(request, object_id, version_id, extra_context)
                if response.status_code == 302:  # the record's form was saved
                    citation_history.restore(record, state)
            return response
        context = {"version_citations": sorted(state.values(), key=citation_history.order), **(extra_context or {})}
        return super().history_form_view(request, object_id, version_id, context)

    def _citation_states(self, record_id):
        """The record's versions, oldest first, and each one's citations (two queries: the record's versions, then
        its citations' history)."""
        versions = sorted(
            self.model.history.filter(id=record_id).only("history_id", "history_date", "history_type"),
            key=lambda version: (version.history_date, version.history_id),
        )
        return versions, citation_history.citations_by_version(self.model, record_id, versions)


def _without_selection(response):
    """``response``, a redirect no longer carrying the reader's selection, once it has been saved."""
    if isinstance(response, HttpResponseRedirect):
        parts = urlsplit(response["Location"])
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in SELECTION_PARAMETERS]
        response["Location"] = urlunsplit(parts._replace(query=urlencode(query)))
    return response
