"""Conflicts visible: when cited documents disagree about a record, the record says so, and the desk shows it.

A passage not believed is cited as ``contradicts`` with a note; the record's form and the reader show it.
``validate_dataset`` lists, as things to look at (never a failure), records cited from several sources with no such
citation whose passages give different dates or numbers.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.dataset.conflicts import unmarked_disagreements, values_in
from apps.dataset.validation import citation_models
from apps.events.models import EventCitation
from apps.treaties.models import TreatyCitation

MAY_21 = "On May 21 this year, the United States said it would leave.\n"
MAY_22 = "The United States gave notice on May 22, after 34 years.\n"


@pytest.fixture
def two_sources(make_source):
    return make_source(slug="first", title="First", text=MAY_21), make_source(
        slug="second", title="Second", text=MAY_22
    )


def _cite(model, record, source, quote, **fields):
    citation = model(**{model.cited_field: record}, source=source, quote=quote, **fields)
    citation.full_clean()
    citation.save()
    return citation


def _prompts() -> list[str]:
    return list(unmarked_disagreements(citation_models()))


def test_values_are_dates_years_and_other_numbers():
    assert values_in("On May 22, 2020, 34 countries (of 128,000 troops) met; 22 May 1992 too.") == {
        "date": {"22 May"},
        "year": {"2020", "1992"},
        "number": {"34", "128000"},
    }


def test_an_event_whose_sources_give_different_dates_is_a_prompt_until_one_is_marked(two_sources, make_event):
    first, second = two_sources
    event = make_event(slug="us-notice", cite=False)
    _cite(EventCitation, event, first, "On May 21 this year")
    supporting = _cite(EventCitation, event, second, "gave notice on May 22")
    (prompt,) = _prompts()
    assert prompt.startswith("events.event us-notice: cited from 2 sources, none as 'contradicts', and they differ")
    assert "date: first says 21 May; second says 22 May" in prompt
    supporting.stance, supporting.note = "contradicts", "Gives the day after; the notice is dated 21 May."
    supporting.save()
    assert _prompts() == []


def test_a_passage_giving_more_values_than_another_is_no_prompt(two_sources, make_event):
    first, second = two_sources
    event = make_event(slug="us-notice", cite=False)
    _cite(EventCitation, event, first, "May 21 this year")
    second.text = "Both on May 21 and on May 22.\n"
    second.save()
    _cite(EventCitation, event, second, "Both on May 21 and on May 22.")
    assert _prompts() == []


def test_a_treaty_is_compared_by_its_numbers_only(two_sources, make_treaty):
    first, second = two_sources
    treaty = make_treaty(slug="open-skies")
    _cite(TreatyCitation, treaty, first, "On May 21 this year")
    _cite(TreatyCitation, treaty, second, "May 22")
    assert _prompts() == []  # a treaty gathers facts of many dates
    _cite(TreatyCitation, treaty, first, "21")
    _cite(TreatyCitation, treaty, second, "34")
    (prompt,) = _prompts()
    assert "number: first says 21; second says 34" in prompt


def test_validate_dataset_prints_prompts_and_does_not_fail_on_them(two_sources, make_event, capsys):
    first, second = two_sources
    event = make_event(slug="us-notice", cite=False)
    _cite(EventCitation, event, first, "On May 21 this year")
    _cite(EventCitation, event, second, "gave notice on May 22")
    call_command("validate_dataset", "--documents", "/nonexistent")
    out = capsys.readouterr().out
    assert "look: events.event us-notice: cited from 2 sources" in out


# --- The desk shows the disagreement on the record and in the reader ---------------------------------------------


@pytest.fixture
def disputed(two_sources, make_event):
    first, second = two_sources
    event = make_event(slug="us-notice", cite=False)
    _cite(EventCitation, event, first, "On May 21 this year")
    _cite(EventCitation, event, second, "gave notice on May 22", stance="contradicts", note="A day late.")
    return event, second


def test_the_record_form_shows_which_sources_disagree_and_why(disputed, curator_client):
    event, second = disputed
    page = curator_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "Sources disagree about this record" in page
    reader = reverse("admin:sources_source_reader", args=[second.pk])
    assert f'<li><a href="{reader}#para-1">Second</a> (para. 1): “gave notice on May 22” — A day late.</li>' in page


def test_a_record_no_source_contradicts_shows_no_disagreement(make_event, curator_client):
    event = make_event()
    page = curator_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "Sources disagree" not in page


def test_the_reader_shows_the_disagreement_beside_the_contradicting_passage(disputed, curator_client):
    _, second = disputed
    page = curator_client.get(reverse("admin:sources_source_reader", args=[second.pk])).content.decode()
    assert 'event us-notice</a><span class="disagreement">: the sources disagree &mdash; A day late.</span>' in page
