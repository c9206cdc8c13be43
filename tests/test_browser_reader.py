"""A new document, from upload to cited records, in a real Chromium: no quote or locator is ever typed.

The curator uploads a text file on a new source's page, opens the reader, drags the mouse over a passage, clicks
"Cite for a new event", fills only the event's own fields and saves; the reader then shows the passage highlighted.
They cite a second passage for that existing event, mark a photo caption as deliberately uncited, and the source's
coverage reads 100%. Runs with ``pytest -m browser -n 0`` (see test_browser_admin.py for the set-up it shares).
"""

import pytest
from django.contrib.auth.models import Group, User

from apps.curation.roles import CURATORS
from apps.events.models import Event, EventCitation
from apps.sources import documents
from apps.sources.models import ParagraphDecision, Source

from .test_browser_admin import PASSWORD, _log_in, _shot, page  # noqa: F401 (page is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCUMENT = (
    "Ministers of the remaining parties met in Vienna on 3 March 2021.\n"
    "\n"
    "They agreed to keep the observation flights going.\n"
    "Photo: the ministers at the table.\n"
)
FIRST = "Ministers of the remaining parties met in Vienna on 3 March 2021."
SECOND = "keep the observation flights going"
UPLOAD_FIELD = "document_file"


def _drag_select(tab, paragraph: int, words: str) -> None:
    """Select ``words`` in a paragraph with the mouse, as a curator does: press before the first, release after."""
    box = tab.evaluate(
        """([number, words]) => {
            const element = document.querySelector(`#para-${number} .para-text`);
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(words);
                if (at < 0) continue;
                const first = document.createRange();
                first.setStart(node, at);
                first.setEnd(node, at + 1);
                const last = document.createRange();
                last.setStart(node, at + words.length - 1);
                last.setEnd(node, at + words.length);
                const a = first.getBoundingClientRect(), b = last.getBoundingClientRect();
                return {x1: a.left + 1, y1: (a.top + a.bottom) / 2, x2: b.right - 1, y2: (b.top + b.bottom) / 2};
            }
            return null;
        }""",
        [paragraph, words],
    )
    assert box, f"{words!r} not found in paragraph {paragraph}"
    tab.mouse.move(box["x1"], box["y1"])
    tab.mouse.down()
    tab.mouse.move(box["x2"], box["y2"], steps=8)
    tab.mouse.up()
    tab.wait_for_selector("#cite-panel:not([hidden])")
    assert tab.inner_text("#cite-exact") == words


@pytest.fixture
def curator(transactional_db):
    user = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=CURATORS))
    return user


def test_curator_takes_a_new_document_from_upload_to_cited_records(page, curator, tmp_path):  # noqa: F811
    upload = tmp_path / "vienna-meeting.txt"
    upload.write_text(DOCUMENT, encoding="utf-8")
    _log_in(page)

    # A new source, its document uploaded with it.
    page.goto("/admin/sources/source/add/")
    page.fill("#id_slug", "vienna-meeting-2021")
    page.fill("#id_title", "Ministers meet in Vienna")
    page.select_option("#id_kind", "news_report")
    page.fill("#id_language", "en")
    page.set_input_files(f"#id_{UPLOAD_FIELD}", str(upload))
    _shot(page, "reader-01-source-with-upload")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    source = Source.objects.get(slug="vienna-meeting-2021")
    assert source.text == DOCUMENT

    # The reader: three numbered paragraphs, none cited yet.
    page.click("a.readerlink")
    page.wait_for_selector("#reader")
    assert page.locator("#reader .para").count() == 3
    assert page.locator("#reader .para-uncited").count() == 3
    _shot(page, "reader-02-uncited")

    # Select the first sentence with the mouse and cite it for a new event.
    _drag_select(page, 1, FIRST)
    _shot(page, "reader-03-selection-and-cite-panel")
    page.click("#cite-panel a.cite-new:has-text('new event')")
    page.wait_for_selector("#event_form")
    assert page.input_value("#id_citations-0-quote") == FIRST
    assert "Ministers meet in Vienna" in page.inner_text("#citations-group")
    page.fill("#id_slug", "parties-meet-in-vienna-2021-03-03")
    page.fill("#id_title", "Remaining parties meet in Vienna")
    page.select_option("#id_type", "meeting")
    page.fill("#id_date", "2021-03-03")
    page.select_option("#id_date_precision", "day")
    _shot(page, "reader-04-event-form-prefilled")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    event = Event.objects.get(slug="parties-meet-in-vienna-2021-03-03")
    citation = event.citations.get()
    assert (citation.source, citation.quote, citation.stance) == (source, FIRST, "supports")
    assert (citation.start, citation.end) == (0, len(FIRST))
    assert citation.locator == "para. 1"
    assert documents.locate(DOCUMENT, citation.quote, citation.prefix, citation.suffix).start == citation.start

    # Back in the reader the passage is highlighted, and the event is linked below its paragraph.
    page.goto(f"/admin/sources/source/{source.pk}/reader/")
    mark = page.locator("#para-1 mark.cite-supports")
    assert mark.inner_text() == FIRST
    assert page.locator("#para-1 .para-citations a").get_attribute("href") == f"/admin/events/event/{event.pk}/change/"
    _shot(page, "reader-05-passage-highlighted")

    # A second passage, for the event that now exists.
    _drag_select(page, 2, SECOND)
    page.click("[aria-labelledby='select2-id_event-container']")
    page.fill(".select2-container--open .select2-search__field", "Vienna")
    page.click(".select2-container--open .select2-results__option:has-text('Remaining parties meet in Vienna')")
    page.click("#cite-existing button[value='events.event']")
    page.wait_for_selector("#event_form")
    assert page.input_value("#id_citations-1-quote") == SECOND
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    assert EventCitation.objects.get(event=event, quote=SECOND).locator == "para. 2"

    # The photo caption is left uncited on purpose, with its reason: every paragraph is now decided.
    page.goto(f"/admin/sources/source/{source.pk}/reader/")
    page.fill("#para-3 input[name=reason]", "Photo caption.")
    page.click("#para-3 button[type=submit]")
    page.wait_for_selector("#para-3.para-decided")
    assert ParagraphDecision.objects.get(source=source, paragraph=3).reason == "Photo caption."
    assert "100" in page.inner_text("#reader-coverage")
    _shot(page, "reader-06-every-paragraph-decided")
