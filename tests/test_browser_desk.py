"""The curator's work at the desk, in a real Chromium, within budgets: what a researcher types, what they can select,
what the History shows, and what fits the window.

- From a selection in the reader to a saved statement: at most 7 typed inputs, none of them the quote or the locator.
- A second record on a passage already highlighted: its words can be selected (a double click selects a word and
  opens nothing) and cited for an existing record chosen with the autocomplete box.
- A citation's change shows on its record's History, old → new, and Revert restores it.
- At 1,400 and 1,000 px no element of a record form, the sources list or a source page is wider than the window,
  and nothing scrolls sideways inside its own box.

Runs with ``pytest -m browser -n 0`` (see test_browser_admin.py for the set-up it shares).
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from apps.curation.roles import CURATORS
from apps.events.models import Event, EventCitation, Statement, StatementCitation
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty

from .test_browser_admin import PASSWORD, _log_in, _shot, page  # noqa: F401 (page is a fixture)
from .test_browser_reader import _drag_select

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCUMENT = (
    "Russia regrets the U.S. exit from the Open Skies Treaty.\n"
    "\n"
    '"This is a blow to European security," Foreign Minister Sergei Lavrov said on 22 November 2020.\n'
    "The U.S. left the treaty on Sunday.\n"
)
LAVROV = "This is a blow to European security"
REGRETS = "Russia regrets the U.S. exit"
# The budget of the whole path from a selection to a saved statement (issue 24): fields set by the curator.
STATEMENT_INPUTS = 7
WIDTHS = (1400, 1000)


class Typist:
    """The curator's hands on a form: every field they set is counted, and where."""

    def __init__(self, tab):
        self.tab = tab
        self.fields: list[str] = []

    def fill(self, selector: str, text: str) -> None:
        self.fields.append(selector)
        self.tab.fill(selector, text)
        # A person leaves the box for the next: its change is seen (the slug is written from it).
        self.tab.press(selector, "Tab")

    def choose(self, selector: str, value: str) -> None:
        self.fields.append(selector)
        self.tab.select_option(selector, value)

    def pick(self, select_id: str, words: str, option: str | None = None) -> None:
        """Type ``words`` in an autocomplete box and pick the option showing ``option`` (the words by default)."""
        self.fields.append(f"#{select_id}")
        _pick(self.tab, select_id, words, option)


def _middle_of(tab, paragraph: int, word: str) -> tuple[float, float]:
    """Where ``word`` stands on the screen in a paragraph of the reader (its middle)."""
    box = tab.evaluate(
        """([number, word]) => {
            const text = document.querySelector(`#para-${number} .para-text`);
            const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(word);
                if (at < 0) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + word.length);
                const box = range.getBoundingClientRect();
                return [(box.left + box.right) / 2, (box.top + box.bottom) / 2];
            }
            return null;
        }""",
        [paragraph, word],
    )
    assert box, f"{word!r} not found in paragraph {paragraph}"
    return box


def _pick(tab, select_id: str, words: str, option: str | None = None) -> None:
    tab.click(f"[aria-labelledby='select2-{select_id}-container']")
    tab.fill(".select2-container--open .select2-search__field", words)
    tab.click(f".select2-container--open .select2-results__option:has-text('{option or words}')")


@pytest.fixture
def desk(transactional_db):
    """A curator, Open Skies, Russia and the United States, and a news report whose text is loaded."""
    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    treaty = Treaty.objects.create(
        slug="open-skies", name="Treaty on Open Skies", short_name="Open Skies Treaty", kind="multilateral"
    )
    russia = State.objects.create(code="RUS", name="Russia")
    usa = State.objects.create(code="USA", name="United States")
    source = Source.objects.create(
        slug="tass-2020-11-22", title="Russia regrets the U.S. exit", language="en", kind="news_report", text=DOCUMENT
    )
    return {"treaty": treaty, "russia": russia, "usa": usa, "source": source}


def _cite(model, record, source, quote, **fields):
    citation = model(**{model.cited_field: record}, source=source, quote=quote, **fields)
    citation.full_clean()
    citation.save()
    return citation


def test_a_statement_from_a_selection_in_at_most_seven_typed_inputs(page, desk):  # noqa: F811
    """The quote, its locator and the statement's words come from the selection; the curator sets the rest."""
    _log_in(page)
    page.goto(f"/admin/sources/source/{desk['source'].pk}/reader/")
    _drag_select(page, 2, LAVROV)
    page.click("#cite-panel a.cite-new:has-text('new statement')")
    page.wait_for_selector("#statement_form")
    assert page.input_value("#id_citations-0-quote") == LAVROV
    assert page.input_value("#id_text") == LAVROV

    hands = Typist(page)
    hands.fill("#id_speaker", "Sergei Lavrov")
    hands.pick("id_on_behalf_of", "Russia")
    hands.choose("#id_kind", "remarks")
    hands.choose("#id_stance", "regrets")
    hands.fill("#id_date", "2020-11-22")
    hands.choose("#id_date_precision", "day")
    hands.pick("id_treaty", "Open Skies")
    assert page.input_value("#id_slug") == "sergei-lavrov-2020-11-22"
    _shot(page, "desk-01-statement-from-a-selection")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")

    statement = Statement.objects.get(slug="sergei-lavrov-2020-11-22")
    assert (statement.speaker, statement.on_behalf_of, statement.treaty) == (
        "Sergei Lavrov",
        desk["russia"],
        desk["treaty"],
    )
    assert (statement.text, statement.date_precision, str(statement.date)) == (LAVROV, "day", "2020-11-22")
    citation = statement.citations.get()
    assert (citation.source, citation.quote, citation.locator, citation.stance) == (
        desk["source"],
        LAVROV,
        "para. 2",
        "supports",
    )
    assert len(hands.fields) <= STATEMENT_INPUTS, hands.fields
    assert not [field for field in hands.fields if "quote" in field or "locator" in field or "text" in field]


def test_a_second_record_on_a_passage_already_highlighted(page, desk):  # noqa: F811
    """A double click on a highlighted word selects it and opens nothing; a drag over highlighted words selects them,
    and they are cited for an existing statement chosen in the autocomplete box."""
    event = Event.objects.create(
        slug="us-exit", type="withdrawal_effective", title="U.S. exit takes effect", treaty=desk["treaty"]
    )
    _cite(EventCitation, event, desk["source"], "Russia regrets the U.S. exit from the Open Skies Treaty.")
    statement = Statement.objects.create(
        slug="moscow-regrets",
        speaker="Russian Foreign Ministry",
        kind="official_statement",
        stance="regrets",
        text="Russia regrets the U.S. exit.",
        on_behalf_of=desk["russia"],
    )
    _cite(StatementCitation, statement, desk["source"], "The U.S. left the treaty on Sunday.")
    _log_in(page)
    reader = f"/admin/sources/source/{desk['source'].pk}/reader/"
    page.goto(reader)
    assert page.locator("#para-1 mark.cite-supports").inner_text().startswith("Russia regrets")

    x, y = _middle_of(page, 1, "regrets")
    page.mouse.dblclick(x, y)
    page.wait_for_selector("#cite-panel:not([hidden])")
    assert page.inner_text("#cite-exact") == "regrets"
    assert page.url.endswith(reader)

    _drag_select(page, 1, REGRETS)
    _shot(page, "desk-02-selection-on-a-highlighted-passage")
    _pick(page, "id_statement", "Foreign Ministry", "Russian Foreign Ministry")
    page.click("#cite-existing button[value='events.statement']")
    page.wait_for_selector("#statement_form")
    assert page.input_value("#id_citations-1-quote") == REGRETS
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    assert "cite_" not in page.url
    assert StatementCitation.objects.get(statement=statement, quote=REGRETS).locator == "para. 1"
    # The form after the save offers the passage no more: saving it again changes nothing and is not refused.
    assert page.locator("#citations-group .inline-related.has_original").count() == 2
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")

    page.goto(reader)
    records = page.locator("#para-1 .para-citations a").all_inner_texts()
    assert sorted(records) == ["event us-exit", "statement moscow-regrets"]
    _shot(page, "desk-03-two-records-on-one-passage")


def test_a_citation_change_on_the_records_history_and_reverted(page, desk):  # noqa: F811
    """A citation turned contradicting, with a note, shows old → new on its event's History; the earlier version
    lists its citations, and Revert puts the citation back as it was."""
    event = Event.objects.create(
        slug="us-exit", type="withdrawal_effective", title="U.S. exit takes effect", treaty=desk["treaty"]
    )
    _cite(EventCitation, event, desk["source"], "The U.S. left the treaty on Sunday.")
    _log_in(page)
    change = f"/admin/events/event/{event.pk}/change/"
    # Saved once from the desk, so that the history has the version to come back to.
    page.goto(change)
    hands = Typist(page)
    page.click("#citations-group .add-row a")
    _pick(page, "id_citations-1-source", "Russia regrets")
    hands.fill("#id_citations-1-quote", "Russia regrets the U.S. exit from the Open Skies Treaty.")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")
    assert event.citations.count() == 2

    prefix = page.evaluate(
        """quote => [...document.querySelectorAll("textarea[name$='-quote']")]
            .find(box => box.value === quote).name.replace(/-quote$/, "")""",
        "Russia regrets the U.S. exit from the Open Skies Treaty.",
    )
    page.select_option(f"#id_{prefix}-stance", "contradicts")
    page.fill(f"#id_{prefix}-note", "Russia's regret, not the exit's date.")
    page.click("input[name=_continue]")
    page.wait_for_selector("ul.messagelist li.success")

    page.click("a.historylink")
    page.wait_for_selector("#change-history")
    # The words as read (the list puts no-break spaces around its arrows).
    latest = " ".join(page.locator("#change-history tbody tr").first.inner_text().split())
    assert "tass-2020-11-22 (para. 1), stance: supports → contradicts" in latest
    assert "note: (none) → Russia's regret, not the exit's date." in latest
    _shot(page, "desk-04-history-with-the-citation-change")

    page.locator("#change-history tbody tr").nth(1).locator("a").first.click()
    page.wait_for_selector("#version-citations")
    listed = page.locator("#version-citations tr.version-citation").all_inner_texts()
    assert len(listed) == 2 and all("supports" in row for row in listed)
    _shot(page, "desk-05-earlier-version-with-its-citations")
    page.click("input[name=_save][value=Revert]")
    page.wait_for_selector("ul.messagelist li.success")
    restored = event.citations.get(quote="Russia regrets the U.S. exit from the Open Skies Treaty.")
    assert (restored.stance, restored.note, restored.locator) == ("supports", "", "para. 1")


OVERFLOW = """() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    for (const element of document.querySelectorAll("body *")) {
        const style = getComputedStyle(element);
        if (style.display === "none" || style.visibility === "hidden") continue;
        const box = element.getBoundingClientRect();
        if (box.width === 0 || box.height === 0) continue;
        const scrolls = ["auto", "scroll"].includes(style.overflowX) && element.scrollWidth > element.clientWidth + 1;
        if (box.right > width + 1 || scrolls) {
            const scrolling = scrolls ? `, scrolls ${element.scrollWidth} in ${element.clientWidth}` : "";
            found.push(`${element.tagName.toLowerCase()}#${element.id}.${element.className} ` +
                `right ${Math.round(box.right)}${scrolling}`);
        }
    }
    return found;
}"""


def test_record_forms_and_sources_fit_the_window(page, transactional_db):  # noqa: F811
    """On the real dataset, at 1,400 and 1,000 px: each record form (add, and the change form of its most cited
    record), the sources list and a source page have no element wider than the window and no box scrolling."""
    call_command("load_dataset", no_migrate=True, verbosity=0)
    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    _log_in(page)
    pages = ["/admin/sources/source/", f"/admin/sources/source/{Source.objects.order_by('pk').first().pk}/change/"]
    for model in (Event, Statement, Membership, Treaty):
        opts = model._meta
        record = max(model.objects.all(), key=lambda record: record.citations.count())
        pages += [
            f"/admin/{opts.app_label}/{opts.model_name}/add/",
            f"/admin/{opts.app_label}/{opts.model_name}/{record.pk}/change/",
        ]
    wide = {}
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for url in pages:
            page.goto(url)
            page.wait_for_selector("#content")
            found = page.evaluate(OVERFLOW)
            if found:
                wide[f"{width} {url}"] = found[:5]
                _shot(page, f"desk-too-wide-{width}-{url.strip('/').replace('/', '-')}")
    assert not wide, wide
    _shot(page, "desk-06-last-page-at-1000-px")
