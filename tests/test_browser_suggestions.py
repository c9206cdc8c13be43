"""Accepting a suggestion in a real Chromium: from an undecided sentence in the reader to a saved event, within a
budget of 3 typed inputs.

The reader marks the undecided sentence and proposes the event it holds (type, date and precision, treaty, states
and their roles, read from the dataset's own names); "Accept" opens the event's form with all of it filled in and
the sentence as its citation. The curator corrects one field (the title) and saves. Each typed input goes through
``_type``, which counts it; clicks and choices from a list are not typing. Runs with ``pytest -m browser -n 0``
(see test_browser_admin.py for the set-up it shares); screenshots go to ``artifacts/browser/``.
"""

import datetime

import pytest
from django.contrib.auth.models import Group, User

from apps.curation.roles import CURATORS
from apps.events.models import Event
from apps.sources.models import Source
from apps.treaties.models import State, Treaty

from .test_browser_admin import PASSWORD, _log_in, _shot, page  # noqa: F401 (page is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TYPED_INPUTS_BUDGET = 3
DOCUMENT = (
    "Russia leaves the treaty\n"
    "On June 18 this year, Russia notified the depositaries of its withdrawal from the Open Sky Treaty. "
    "Diplomats in Vienna called the move expected.\n"
)
SENTENCE = "On June 18 this year, Russia notified the depositaries of its withdrawal from the Open Sky Treaty."


@pytest.fixture
def desk(transactional_db):
    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    State.objects.create(code="RUS", name="Russia")
    treaty = Treaty.objects.create(
        slug="open-skies",
        name="Treaty on Open Skies",
        short_name="Open Skies Treaty",
        aliases=["Open Sky Treaty"],
        kind="multilateral",
        domain="confidence_building",
    )
    source = Source.objects.create(
        slug="tass-2021-06",
        title="Russia leaves the treaty",
        language="en",
        kind="news_report",
        published_on=datetime.date(2021, 6, 1),
        published_on_precision="month",
        text=DOCUMENT,
    )
    return {"treaty": treaty, "source": source}


def test_accepting_an_event_suggestion_takes_at_most_three_typed_inputs(page, desk):  # noqa: F811
    typed = []

    def _type(selector: str, text: str) -> None:
        typed.append(selector)
        page.fill(selector, text)

    _log_in(page)
    source = desk["source"]
    page.goto(f"/admin/sources/source/{source.pk}/reader/")
    # The sentence is marked as undecided, and its suggestion names what it found.
    assert page.inner_text("#sent-2-1") == SENTENCE
    suggestion = page.locator("#open-2-1 .suggestion-event").first
    assert "Event: withdrawal notice, 18 June 2021, Open Skies Treaty, RUS (actor)" in suggestion.inner_text()
    _shot(page, "suggestion-01-reader")

    suggestion.locator("a.suggestion-accept").click()
    page.wait_for_selector("#event_form")
    assert page.input_value("#id_type") == "withdrawal_notice"
    assert page.input_value("#id_date") == "2021-06-18"
    assert page.input_value("#id_date_precision") == "day"
    assert page.input_value("#id_treaty") == str(desk["treaty"].pk)
    assert page.input_value("#id_slug") == "rus-open-skies-withdrawal-notice-2021-06-18"
    assert page.input_value("#id_citations-0-quote") == SENTENCE
    assert page.input_value("#id_participants-0-role") == "actor"
    _shot(page, "suggestion-02-form-filled-in")

    _type("#id_title", "Russia notifies its withdrawal from Open Skies")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    _shot(page, "suggestion-03-saved")

    assert len(typed) <= TYPED_INPUTS_BUDGET, typed
    event = Event.objects.get(slug="rus-open-skies-withdrawal-notice-2021-06-18")
    assert (event.type, event.date, event.date_precision, event.treaty) == (
        "withdrawal_notice",
        datetime.date(2021, 6, 18),
        "day",
        desk["treaty"],
    )
    assert event.title == "Russia notifies its withdrawal from Open Skies"
    assert list(event.participants.values_list("state__code", "role")) == [("RUS", "actor")]
    citation = event.citations.get()
    assert (citation.quote, citation.locator, citation.start) == (SENTENCE, "para. 2", DOCUMENT.index(SENTENCE))

    # Back in the reader, the sentence is cited: no longer marked, no longer suggested.
    page.goto(f"/admin/sources/source/{source.pk}/reader/")
    assert page.locator("#sent-2-1").count() == 0
    assert page.locator("#open-2-1").count() == 0
