"""Suggestions from the documents: what an undecided sentence may hold, built from the dataset's own vocabulary.

A dated event needs a date expression, an action word and a state or treaty the dataset knows; a statement needs a
speaker and a verb of saying. Accepting opens the record's form filled in; rejecting records a decision. The texts
are written for the tests.
"""

import datetime
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.core.partial_dates import PartialDate
from apps.events import dates
from apps.events.models import Event, EventCitation
from apps.events.suggestions import Vocabulary, suggest
from apps.sources.models import ParagraphDecision
from apps.sources.sentences import sentence_spans

TEXT = (
    "Russia quits the pact\n"
    "On May 22 this year, the U.S. State Department notified Russia of its withdrawal from the Open Sky Treaty.\n"
    "Russian Presidential Press Secretary Peskov expressed regret for the decision. I said it was a great show.\n"
    "The weather was fine on 3 May 2020 in Vienna.\n"
    "Russian Foreign Minister Lavrov: We will not accept this situation.\n"
    '"This is a blow to European security," the Russian Foreign Ministry said.\n'
    "The ministry said that the flights were restricted in 2019 within the treaty's rules.\n"
)
MONTH_2020_11 = PartialDate(datetime.date(2020, 11, 1), "month")
YEAR_2021 = PartialDate(datetime.date(2021, 1, 1), "year")


@pytest.mark.parametrize(
    ("expression", "published", "expected"),
    [
        ("May 22 this year", MONTH_2020_11, ("2020-05-22", "day")),
        ("the 22nd", MONTH_2020_11, ("2020-11-22", "day")),
        ("the 22nd", YEAR_2021, None),  # the month of publication is not known
        ("on Thursday", MONTH_2020_11, None),  # nor its day
        ("November 2020", None, ("2020-11-01", "month")),
        ("January", YEAR_2021, ("2021-01-01", "month")),
        ("May 11", YEAR_2021, ("2021-05-11", "day")),  # in the publication's year, though after its first day
        ("1992", None, ("1992-01-01", "year")),
        ("August of that year", MONTH_2020_11, None),  # "that year" is not in the sentence
    ],
)
def test_a_date_expression_is_read_no_more_precisely_than_the_document_allows(expression, published, expected):
    found = dates.read(expression, published)
    assert (found and (found.start.isoformat(), found.precision)) == (expected or None)


def test_names_and_anniversaries_are_not_dates():
    assert dates.expressions("near the Center-2019 drills, on the 75th anniversary, they may go") == []


@pytest.fixture
def source(make_source, make_state, make_treaty):
    make_state(code="RUS", name="Russia")
    make_state(code="USA", name="United States", aliases=["U.S.", "US"])
    make_treaty(
        slug="open-skies", name="Treaty on Open Skies", short_name="Open Skies Treaty", aliases=["Open Sky Treaty"]
    )
    return make_source(
        slug="wire",
        title="Wire",
        text=TEXT,
        published_on=datetime.date(2020, 11, 1),
        published_on_precision="month",
    )


def _by_sentence(source) -> dict[tuple[int, int], list]:
    found = suggest(source, vocabulary=Vocabulary.load())
    return {(s.paragraph, s.number): found[s.start] for s in sentence_spans(source.text) if s.start in found}


def test_a_dated_act_of_a_known_state_under_a_known_treaty_is_suggested_as_an_event(source):
    (notice,) = _by_sentence(source)[(2, 1)]
    assert notice.kind == "event"
    assert notice.fields | {"treaty": notice.fields["treaty"].slug} == {
        "type": "withdrawal_notice",
        "date": datetime.date(2020, 5, 22),
        "date_precision": "day",
        "title": "United States: withdrawal notice (Open Skies Treaty)",
        "treaty": "open-skies",
    }
    assert [(state.code, role) for state, role in notice.states] == [("USA", "actor"), ("RUS", "target")]


def test_a_speaker_with_a_verb_of_saying_is_suggested_as_a_statement(source):
    (peskov,) = _by_sentence(source)[(3, 1)]
    assert peskov.kind == "statement"
    assert peskov.fields | {"on_behalf_of": peskov.fields["on_behalf_of"].code} == {
        "speaker": "Peskov",
        "speaker_title": "Russian Presidential Press Secretary",
        "kind": "remarks",
        "stance": "regrets",
        "text": "Russian Presidential Press Secretary Peskov expressed regret for the decision.",
        "is_verbatim": False,
        "on_behalf_of": "RUS",
    }


def test_words_after_a_colon_are_a_quote_and_the_ministry_is_the_one_named_before(source):
    found = _by_sentence(source)
    (lavrov,) = found[(5, 1)]
    assert (lavrov.fields["speaker"], lavrov.fields["text"], lavrov.fields["is_verbatim"]) == (
        "Lavrov",
        "We will not accept this situation.",
        True,
    )
    (blow,) = found[(6, 1)]
    assert (blow.fields["speaker"], blow.fields["text"], blow.fields["is_verbatim"]) == (
        "Russian Foreign Ministry",
        "This is a blow to European security",
        True,
    )
    ministry = found[(7, 1)][0]
    assert ministry.fields["speaker"] == "Russian Foreign Ministry"


def test_headlines_pronouns_and_unknown_names_are_not_suggested(source):
    found = _by_sentence(source)
    assert (1, 1) not in found  # a headline: no full stop
    assert (3, 2) not in found  # "I said": no speaker to name
    assert (4, 1) not in found  # dated, but no action word and no state or treaty the dataset knows


# --- In the reader: accept opens the form filled in, reject records a decision ----------------------------------


def _reader(source, client) -> str:
    return client.get(reverse("admin:sources_source_reader", args=[source.pk])).content.decode()


def _accept_links(page: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in re.findall(r'class="button suggestion-accept" href="([^"]+)"', page)]


def test_reader_offers_suggestions_for_undecided_sentences_only(source, curator_client, make_event):
    page = _reader(source, curator_client)
    assert "Event: withdrawal notice, 22 May 2020, Open Skies Treaty, USA (actor), RUS (target)" in page
    assert "Statement by Peskov (Russian Presidential Press Secretary), regrets" in page
    citation = EventCitation(event=make_event(cite=False), source=source, quote="Peskov expressed regret")
    citation.full_clean()
    citation.save()
    assert "Statement by Peskov" not in _reader(source, curator_client)


def test_a_reviewer_sees_the_suggestions_but_no_accept_link(source, reviewer_client):
    page = _reader(source, reviewer_client)
    assert "Event: withdrawal notice, 22 May 2020" in page
    assert _accept_links(page) == []


def test_accepting_an_event_opens_its_form_filled_in_and_saving_it_keeps_everything(
    source, curator_client, admin_form_data
):
    (url,) = [link for link in _accept_links(_reader(source, curator_client)) if "type=withdrawal_notice" in link]
    response = curator_client.get(url)
    data = admin_form_data(response)
    assert {name: data.get(name) for name in ("slug", "type", "date", "date_precision", "title")} == {
        "slug": "usa-open-skies-withdrawal-notice-2020-05-22",
        "type": "withdrawal_notice",
        "date": "2020-05-22",
        "date_precision": "day",
        "title": "United States: withdrawal notice (Open Skies Treaty)",
    }
    assert curator_client.post(url, data).status_code == 302
    event = Event.objects.get(slug="usa-open-skies-withdrawal-notice-2020-05-22")
    assert (event.treaty.slug, event.date, event.date_precision) == ("open-skies", datetime.date(2020, 5, 22), "day")
    assert sorted(event.participants.values_list("state__code", "role")) == [("RUS", "target"), ("USA", "actor")]
    sentence = next(s for s in sentence_spans(TEXT) if s.paragraph == 2)
    assert event.citations.get().quote == TEXT[sentence.start : sentence.end]


def test_accepting_a_statement_fills_speaker_office_state_stance_and_words(source, curator_client, admin_form_data):
    (url,) = [link for link in _accept_links(_reader(source, curator_client)) if "speaker=Peskov" in link]
    data = admin_form_data(curator_client.get(url))
    assert {name: data.get(name) for name in ("speaker", "speaker_title", "kind", "stance")} == {
        "speaker": "Peskov",
        "speaker_title": "Russian Presidential Press Secretary",
        "kind": "remarks",
        "stance": "regrets",
    }
    assert data["citations-0-quote"].startswith("Russian Presidential Press Secretary Peskov")


def test_rejecting_a_suggestion_records_the_decision_and_its_reason(source, curator_client):
    sentence = next(s for s in sentence_spans(TEXT) if s.paragraph == 3 and s.number == 1)
    curator_client.post(
        reverse("admin:sources_source_decide", args=[source.pk]),
        {"paragraph": 3, "start": sentence.start, "end": sentence.end, "kind": "left_uncited", "reason": "Not ours."},
    )
    decision = ParagraphDecision.objects.get(source=source, start=sentence.start)
    assert (decision.kind, decision.reason) == ("left_uncited", "Not ours.")
    assert "Statement by Peskov" not in _reader(source, curator_client)


def test_the_measuring_command_counts_suggested_and_cited_sentences(source, make_event, capsys):
    """Recall: suggested among cited sentences; precision: cited among suggested ones."""
    for quote in ("I said it was a great show.", "Peskov expressed regret"):
        citation = EventCitation(event=make_event(cite=False), source=source, quote=quote)
        citation.full_clean()
        citation.save()
    call_command("suggestions")
    lines = capsys.readouterr().out.splitlines()
    suggested = len(suggest(source, vocabulary=Vocabulary.load()))
    # 8 sentences; 2 cited, one of them suggested (the other has no speaker).
    assert lines[-1].split() == ["all", "8", "2", str(suggested), "1", "50.0%", f"{100 / suggested:.1f}%"]
