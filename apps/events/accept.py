"""Accepting a suggestion: the record's add form opened with everything the suggestion found filled in.

The link carries the form's fields as query parameters (Django's admin fills an add form from them), the states
and roles as ``participants=USA:actor,RUS:target`` (read by the participants inline, ``participants_prefill``), and
the sentence as the citation (``cite_source``/``cite_start``/``cite_end``, read by the citation inline), so the
curator types nothing they do not want to change. The reader shows these links beside each undecided sentence.
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.text import slugify

from apps.sources.models import QUOTE_MAX_LENGTH, Source
from apps.sources.reader import cite_query
from apps.sources.reading import SuggestionLink
from apps.sources.sentences import Sentence
from apps.treaties.models import State

from .choices import ParticipantRole
from .suggestions import Suggestion, Vocabulary, suggest

PARTICIPANTS = "participants"


def reader_suggestions(request, source: Source, sentences: list[Sentence]) -> dict[int, list[SuggestionLink]]:
    """The reader's suggestions for ``sentences``: each with the link that opens its form, for a user who may add
    such a record (others see the summary only)."""
    # Loaded even when nothing is undecided, so the reader's queries stay the same whatever it shows.
    vocabulary = Vocabulary.load()
    found = suggest(source, only=sentences, vocabulary=vocabulary) if sentences else {}
    by_start = {sentence.start: sentence for sentence in sentences}
    links = {}
    for start, suggestions in found.items():
        sentence = by_start[start]
        links[start] = [
            SuggestionLink(
                suggestion.kind,
                suggestion.summary,
                accept_url(source, sentence, suggestion)
                if request.user.has_perm(f"events.add_{suggestion.kind}")
                else "",
            )
            for suggestion in suggestions
        ]
    return links


def accept_url(source: Source, sentence: Sentence, suggestion: Suggestion) -> str:
    """The add form of the suggested record, filled in with the suggestion and citing the sentence.

    The slug is made from what the record is; one already taken is refused by the form, a sign the fact may be
    recorded already.
    """
    params = {"slug": slug_for(suggestion)}
    for name, value in suggestion.fields.items():
        if value is None or value is False or value == "":
            continue
        params[name] = getattr(value, "pk", value)
        if value is True:
            params[name] = "on"
    if suggestion.states:
        params[PARTICIPANTS] = ",".join(f"{state.code}:{role}" for state, role in suggestion.states)
    url = f"{reverse(f'admin:events_{suggestion.kind}_add')}?{urlencode(params)}"
    if sentence.end - sentence.start <= QUOTE_MAX_LENGTH:
        url += f"&{cite_query(source.pk, sentence.start, sentence.end)}"
    return url


def slug_for(suggestion: Suggestion) -> str:
    """A slug in the dataset's style: who, which treaty, what, when ("usa-open-skies-withdrawal-notice-2020-05-22")."""
    fields = suggestion.fields
    date = fields.get("date")
    when = ""
    if date is not None:
        when = {"year": f"{date:%Y}", "month": f"{date:%Y-%m}"}.get(fields.get("date_precision"), date.isoformat())
    if suggestion.kind == "event":
        actor = next((state.code.lower() for state, role in suggestion.states if role == ParticipantRole.ACTOR), "")
        treaty = fields.get("treaty")
        parts = [actor, treaty.slug if treaty else "", fields["type"].replace("_", "-"), when]
    else:
        parts = [slugify(fields["speaker"]), fields["stance"], when]
    return slugify("-".join(part for part in parts if part))[:140] or suggestion.kind


def participants_prefill(request) -> list[dict] | None:
    """The participants inline's initial rows from ``?participants=USA:actor,RUS:target`` (GET only, as the
    citation's prefill: posted rows carry their own values). Unknown states or roles are left out."""
    if request.method != "GET" or PARTICIPANTS not in request.GET:
        return None
    if not hasattr(request, "_participants_prefill"):  # asked by the formset and by its extra-rows count
        pairs = [item.partition(":")[::2] for item in request.GET[PARTICIPANTS].split(",") if item]
        codes = [code.upper() for code, _ in pairs]
        states = {state.code: state.pk for state in State.objects.filter(code__in=codes)}
        request._participants_prefill = [
            {"state": states[code.upper()], "role": role}
            for code, role in pairs
            if code.upper() in states and role in ParticipantRole.values
        ]
    return request._participants_prefill
