"""The reader of the curation desk: a source's text by paragraph, cited passages marked, cited from a selection.

A selection in the reader opens a record's add (or change) form with the first citation filled in from the stored
text, so the quote, its prefix/suffix and the locator are never typed; paragraphs are decided from the reader too.
"""

import html
import re
from urllib.parse import urlencode

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from apps.events.models import EventCitation, StatementCitation
from apps.sources import documents
from apps.sources.models import ParagraphDecision

TEXT = (
    "Moscow regrets the U.S. exit.\n"
    "\n"
    "The U.S. left on Sunday. Moscow regrets the U.S. exit.\n"
    "Photo: a plane & a <cloud>.\n"
)
# Session, user, the user's and the group's permissions, the source, one query per citation model, the decisions,
# and the states and treaties the suggestions are read with.
READER_QUERIES = 12
PARAGRAPHS = [line for line in TEXT.split("\n") if line.strip()]
REPEATED = "Moscow regrets the U.S. exit."
SECOND = TEXT.index(REPEATED, 1)  # the repetition in paragraph 2


@pytest.fixture
def document(make_source):
    return make_source(slug="wire-2020", title="U.S. exit", text=TEXT)


def _cite(model, record, source, quote, **fields):
    citation = model(**{model.cited_field: record}, source=source, quote=quote, **fields)
    citation.full_clean()
    citation.save()
    return citation


@pytest.fixture
def cited(document, make_event, make_statement):
    """Paragraph 2 cited twice: an event (supporting) and a statement (contradicting, on the same words)."""
    event = make_event(slug="usa-exit", cite=False)
    _cite(EventCitation, event, document, "The U.S. left on Sunday.")
    statement = make_statement(slug="moscow-regrets", cite=False)
    _cite(
        StatementCitation,
        statement,
        document,
        "left on Sunday. Moscow regrets",
        stance="contradicts",
        note="Says Sunday.",
    )
    return {"event": event, "statement": statement}


def _reader(source) -> str:
    return reverse("admin:sources_source_reader", args=[source.pk])


def _paragraph_html(page: str, number: int) -> str:
    match = re.search(rf'<section class="para [^"]*" id="para-{number}".*?</section>', page, re.S)
    assert match, f"paragraph {number} missing"
    return match.group(0)


def _text_of(fragment: str) -> str:
    inner = re.search(r'<span class="para-text" data-start="\d+">(.*?)</span>', fragment, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", "", inner))


def test_reader_numbers_paragraphs_and_keeps_their_text_exact(document, cited, curator_client):
    """Each paragraph is numbered, starts at its offset, and holds exactly its text (what the selection counts)."""
    page = curator_client.get(_reader(document)).content.decode()
    spans = documents.paragraph_spans(TEXT)
    for number, (paragraph, (start, _)) in enumerate(zip(PARAGRAPHS, spans, strict=True), start=1):
        fragment = _paragraph_html(page, number)
        assert f'data-start="{start}"' in fragment
        assert f'<span class="para-number" title="para. {number}">{number}</span>' in fragment
        assert _text_of(fragment) == paragraph
    assert "&lt;cloud&gt;" in page  # the document's text is escaped, never markup


def test_reader_marks_passages_by_stance_and_links_the_records(document, cited, curator_client):
    """Supporting and contradicting passages are styled apart (overlap apart again), each naming the records citing
    it; the records are linked below the paragraph, not from the passage, whose text must stay selectable (a link's
    text is dragged as a link, and a double click on it opens the record)."""
    page = curator_client.get(_reader(document)).content.decode()
    second = _paragraph_html(page, 2)
    event_url = reverse("admin:events_event_change", args=[cited["event"].pk])
    statement_url = reverse("admin:events_statement_change", args=[cited["statement"].pk])
    runs = re.findall(r'<mark class="cite (cite-\w+)" title="([^"]*)">([^<]*)</mark>', second)
    assert runs == [
        ("cite-supports", "supports: event usa-exit", "The U.S. "),
        ("cite-mixed", "supports: event usa-exit; contradicts: statement moscow-regrets", "left on Sunday."),
        ("cite-contradicts", "contradicts: statement moscow-regrets", " Moscow regrets"),
    ]
    text = re.search(r'<span class="para-text".*?</span>(?=</p>)', second, re.S).group(0)
    assert "<a " not in text
    assert 'class="para para-cited"' in second
    assert f'href="{event_url}">event usa-exit</a>' in second
    assert f'href="{statement_url}">statement moscow-regrets</a>' in second


def test_reader_marks_uncited_paragraphs_with_a_decide_form(document, cited, curator_client):
    page = curator_client.get(_reader(document)).content.decode()
    for number in (1, 3):
        fragment = _paragraph_html(page, number)
        assert 'class="para para-uncited"' in fragment
        assert "Not cited yet." in fragment
        assert 'name="reason"' in fragment
    assert "Not cited yet." not in _paragraph_html(page, 2)


def test_reader_offers_citing_for_every_cited_model(document, curator_client):
    """The cite panel links to the add form of every model that has citations, from the registry."""
    page = curator_client.get(_reader(document)).content.decode()
    for model in ("events/event", "events/statement", "treaties/membership", "treaties/treaty"):
        assert f'data-add-url="/admin/{model}/add/"' in page
    assert 'id="cite-existing"' in page


def test_reviewer_reads_but_is_offered_no_citing_and_no_deciding(document, cited, reviewer_client):
    page = reviewer_client.get(_reader(document)).content.decode()
    assert 'id="para-2"' in page
    assert 'id="cite-panel"' not in page
    assert 'name="reason"' not in page


def test_reader_runs_a_fixed_number_of_queries(document, cited, curator_client, django_assert_num_queries):
    """The reader's queries do not grow with the citations or decisions it shows."""
    url = _reader(document)
    with django_assert_num_queries(READER_QUERIES):
        assert curator_client.get(url).status_code == 200
    _cite(EventCitation, cited["event"], document, "Photo:")
    ParagraphDecision.objects.create(source=document, paragraph=1, reason="Repeated in para. 2.")
    with django_assert_num_queries(READER_QUERIES):
        assert curator_client.get(url).status_code == 200


def test_source_without_text_says_how_to_load_it(make_source, curator_client):
    source = make_source(slug="no-text")
    page = curator_client.get(_reader(source)).content.decode()
    assert "This source has no text loaded" in page
    assert "import_documents" in page


def test_source_page_links_to_the_reader(document, curator_client):
    page = curator_client.get(reverse("admin:sources_source_change", args=[document.pk])).content.decode()
    assert f'href="{_reader(document)}" class="readerlink"' in page


# --- Deciding a paragraph from the reader ------------------------------------------------------------------------


def _decide(client, source, **data):
    return client.post(reverse("admin:sources_source_decide", args=[source.pk]), data)


def test_curator_marks_a_paragraph_as_deliberately_uncited(document, cited, curator_client, curator):
    response = _decide(curator_client, document, paragraph="3", reason="Photo caption.")
    assert response.status_code == 302
    assert response["Location"] == f"{_reader(document)}#para-3"
    decision = ParagraphDecision.objects.get(source=document, paragraph=3)
    assert decision.reason == "Photo caption."
    assert decision.history.get().history_user == curator
    page = curator_client.get(_reader(document)).content.decode()
    fragment = _paragraph_html(page, 3)
    assert 'class="para para-decided"' in fragment
    assert "Deliberately uncited: Photo caption." in fragment


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paragraph": "3", "reason": "  "}, "reason"),
        ({"paragraph": "4", "reason": "Past the end."}, "has 3 paragraphs"),
        ({"paragraph": "x", "reason": "Not a number."}, "paragraph"),
    ],
)
def test_a_bad_decision_is_refused_with_a_message_and_nothing_saved(document, curator_client, data, message):
    response = _decide(curator_client, document, **data)
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1
    assert texts[0].startswith("Paragraph not marked:")
    assert message in texts[0]
    assert not ParagraphDecision.objects.exists()


def test_reviewer_cannot_decide(document, reviewer_client):
    assert _decide(reviewer_client, document, paragraph="3", reason="Caption.").status_code == 403
    assert not ParagraphDecision.objects.exists()


# --- Citing a selection: the record's form opens with the citation filled in -----------------------------------


def _cite_params(source, start, end) -> str:
    return urlencode({"cite_source": source.pk, "cite_start": start, "cite_end": end})


def _citation_forms(response):
    (inline,) = [i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "citations"]
    return inline.formset.forms


def test_add_form_opens_with_the_selection_as_its_citation(document, curator_client):
    """The quote is cut from the stored text; the repeated sentence gets the prefix that singles it out."""
    url = f"{reverse('admin:events_event_add')}?{_cite_params(document, SECOND, SECOND + len(REPEATED))}"
    (form,) = _citation_forms(curator_client.get(url))
    assert form.initial["source"] == document.pk
    assert form.initial["quote"] == REPEATED
    prefix, suffix = form.initial["prefix"], form.initial["suffix"]
    assert (prefix, suffix) != ("", "")
    assert documents.locate(TEXT, REPEATED, prefix, suffix).start == SECOND


def test_curator_saves_a_record_cited_from_a_selection_without_typing_the_quote(
    document, make_treaty, curator_client, admin_form_data
):
    """Only the record's own fields are filled in; the citation is saved placed, with its locator derived."""
    url = f"{reverse('admin:events_event_add')}?{_cite_params(document, SECOND, SECOND + len(REPEATED))}"
    data = admin_form_data(curator_client.get(url))
    data |= {"slug": "moscow-regrets", "type": "meeting", "title": "Moscow regrets", "treaty": make_treaty().pk}
    response = curator_client.post(url, data | {"_continue": "Save and continue editing"})
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    # On to the new record's own page, without the selection (see the test below).
    assert "cite_" not in response["Location"]
    citation = EventCitation.objects.get(event__slug="moscow-regrets")
    assert (citation.source, citation.quote) == (document, REPEATED)
    assert (citation.start, citation.end, citation.locator) == (SECOND, SECOND + len(REPEATED), "para. 2")


def test_change_form_opens_with_the_selection_as_an_extra_citation(document, cited, curator_client, admin_form_data):
    event = cited["event"]
    start = TEXT.index("Photo")
    url = f"{reverse('admin:events_event_change', args=[event.pk])}?{_cite_params(document, start, start + 6)}"
    response = curator_client.get(url)
    existing, extra = _citation_forms(response)
    assert existing.instance.quote == "The U.S. left on Sunday."
    assert extra.initial["quote"] == "Photo:"
    response = curator_client.post(url, admin_form_data(response))
    assert response.status_code == 302
    assert sorted(event.citations.values_list("quote", "locator")) == [
        ("Photo:", "para. 3"),
        ("The U.S. left on Sunday.", "para. 2"),
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"cite_source": "1", "cite_start": "x", "cite_end": "3"}, "whole numbers"),
        ({"cite_start": 5, "cite_end": 2}, "is not a passage of"),
        ({"cite_start": 0, "cite_end": len(TEXT) + 1}, "is not a passage of"),
        ({"cite_start": 29, "cite_end": 31}, "only whitespace"),
    ],
)
def test_a_bad_selection_leaves_the_form_blank_and_says_why(document, curator_client, params, message):
    query = urlencode({"cite_source": document.pk, **params})
    response = curator_client.get(f"{reverse('admin:events_event_add')}?{query}")
    (form,) = _citation_forms(response)
    assert "quote" not in form.initial
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(message in text for text in texts), texts


def test_a_selection_longer_than_a_quote_is_refused(make_source, curator_client):
    source = make_source(text="A" * 700)
    response = curator_client.get(f"{reverse('admin:events_event_add')}?{_cite_params(source, 0, 650)}")
    assert "quote" not in _citation_forms(response)[0].initial
    assert any("at most 600" in str(m) for m in get_messages(response.wsgi_request))


def test_a_selection_in_a_source_without_text_is_refused(make_source, curator_client):
    source = make_source()
    response = curator_client.get(f"{reverse('admin:events_event_add')}?{_cite_params(source, 0, 3)}")
    assert "quote" not in _citation_forms(response)[0].initial
    assert any("has no text loaded" in str(m) for m in get_messages(response.wsgi_request))


def test_cite_for_an_existing_record_opens_its_change_form(document, cited, curator_client):
    """The record is the one chosen in the autocomplete box named after its model, sent by its key."""
    event = cited["event"]
    url = reverse("admin:sources_source_cite", args=[document.pk])
    response = curator_client.get(url, {"model": "events.event", "event": event.pk, "cite_start": 0, "cite_end": 6})
    assert response.status_code == 302
    expected = f"{reverse('admin:events_event_change', args=[event.pk])}?{_cite_params(document, 0, 6)}"
    assert response["Location"] == expected


def test_reader_offers_an_autocomplete_box_per_kind_of_existing_record(document, cited, curator_client):
    """No slug is typed: each kind of record is chosen in the admin's autocomplete box (select2), which searches that
    kind's admin; its button sends the kind."""
    content = curator_client.get(_reader(document)).content.decode()
    for model in ("events.event", "events.statement", "treaties.membership", "treaties.treaty"):
        model_name = model.split(".")[1]
        (box,) = re.findall(rf'<select name="{model_name}"[^>]*>', content)
        assert "admin-autocomplete" in box
        assert 'data-ajax--url="/admin/autocomplete/"' in box
        assert f'name="model" value="{model}"' in content
    assert 'name="record"' not in content
    assert "admin/js/autocomplete.js" in content
    # What the event box asks the admin when "exit" is typed: the events matching it.
    (box,) = re.findall(r'<select name="event"[^>]*>', content)
    query = dict(re.findall(r'data-(app-label|model-name|field-name)="([^"]+)"', box))
    search = curator_client.get(
        "/admin/autocomplete/",
        {
            "app_label": query["app-label"],
            "model_name": query["model-name"],
            "field_name": query["field-name"],
            "term": "exit",
        },
    )
    assert [result["id"] for result in search.json()["results"]] == [str(cited["event"].pk)]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"model": "events.event", "event": ""}, "Choose the event to cite this passage for"),
        ({"model": "events.event", "event": "999999"}, "Choose the event to cite this passage for"),
        ({"model": "events.event", "event": "abc"}, "Choose the event to cite this passage for"),
        ({"model": "auth.user", "user": "1"}, "Choose what kind of record to cite for"),
    ],
)
def test_cite_for_no_chosen_record_goes_back_to_the_reader(document, curator_client, params, message):
    url = reverse("admin:sources_source_cite", args=[document.pk])
    response = curator_client.get(url, {**params, "cite_start": 0, "cite_end": 6})
    assert response["Location"] == _reader(document)
    (text,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert text.startswith(message)


# --- Coverage on the source's page and in the sources list ------------------------------------------------------


def test_source_page_shows_coverage_and_the_uncited_paragraphs(document, cited, curator_client):
    ParagraphDecision.objects.create(source=document, paragraph=3, reason="Photo caption.")
    page = curator_client.get(reverse("admin:sources_source_change", args=[document.pk])).content.decode()
    assert "3 of 4 sentences decided (75%), 2 of 3 paragraphs; undecided: 1.1" in page


def test_sources_list_shows_each_sources_coverage_in_a_fixed_number_of_queries(
    document, cited, make_source, curator_client, django_assert_num_queries
):
    """The page's coverage is computed at once: adding sources with text adds no query."""
    url = reverse("admin:sources_source_changelist")
    make_source(slug="no-text-yet")
    with django_assert_num_queries(LIST_QUERIES):
        page = curator_client.get(url).content.decode()
    assert "2 of 4 sentences decided (50%), 1 of 3 paragraphs; undecided: 1.1, 3.1" in page
    assert "No text loaded" in page
    for n in range(3):
        make_source(slug=f"more-{n}", text=f"Para {n}.\nAnother.\n")
    with django_assert_num_queries(LIST_QUERIES):
        page = curator_client.get(url).content.decode()
    assert page.count("0 of 2 sentences decided (0%), 0 of 2 paragraphs; undecided: 1.1, 2.1") == 3


# Session, user, permissions (2), the count, the page of sources, one query per citation model, one for the
# decisions, the date drill-down (2) and the language filter's choices.
LIST_QUERIES = 14


def test_a_passage_repeated_with_the_same_context_is_refused_with_a_message(make_source, curator_client):
    """Selected inside a paragraph that occurs twice, a word has the same 32 characters around it in both: no prefix
    or suffix can say which is meant, so the form opens blank and says to select more (it answered 500)."""
    paragraph = "Both governments said that the treaty would remain in force for as long as its members wished."
    source = make_source(text=f"{paragraph}\n{paragraph}\n")
    start = len(paragraph) + 1 + paragraph.index("remain")
    response = curator_client.get(f"{reverse('admin:events_event_add')}?{_cite_params(source, start, start + 6)}")
    assert response.status_code == 200
    assert "quote" not in _citation_forms(response)[0].initial
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("occurs 2 times" in text and "select more" in text for text in texts), texts


@pytest.mark.parametrize("button", ["_continue", "_addanother", "_save"])
def test_after_saving_a_cited_selection_the_form_offers_it_no_more(
    document, cited, curator_client, admin_form_data, button
):
    """The redirect after a save drops the selection's cite_* parameters (Django keeps the query string), so the form
    that follows is not filled with the same quote again, whose save would be refused as a duplicate."""
    event = cited["event"]
    start = TEXT.index("Photo")
    url = f"{reverse('admin:events_event_change', args=[event.pk])}?{_cite_params(document, start, start + 6)}"
    response = curator_client.post(url, admin_form_data(curator_client.get(url)) | {button: "Save"})
    assert response.status_code == 302
    assert "cite_" not in response["Location"]
    assert event.citations.filter(quote="Photo:").count() == 1
    if button == "_continue":
        quotes = [
            form.initial.get("quote") or form.instance.quote
            for form in _citation_forms(curator_client.get(response["Location"]))
        ]
        assert sorted(quotes) == ["Photo:", "The U.S. left on Sunday."]


def test_a_passage_the_record_already_cites_is_not_offered_again(document, cited, curator_client):
    """Opening a record's form with a passage it already cites (the back button, a reload) adds no row, and says so."""
    event = cited["event"]
    start = TEXT.index("The U.S. left on Sunday.")
    url = reverse("admin:events_event_change", args=[event.pk])
    response = curator_client.get(f"{url}?{_cite_params(document, start, start + len('The U.S. left on Sunday.'))}")
    (only,) = _citation_forms(response)
    assert only.instance.quote == "The U.S. left on Sunday."
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["This event already cites this passage (para. 2): nothing to add."]


def test_a_statement_cited_from_a_selection_opens_with_the_passage_as_its_words(document, curator_client):
    """The statement's text starts as the selected passage, so its words are not typed either; its slug is written
    from its speaker and date as they are typed (the admin's prepopulated field)."""
    start = TEXT.index(REPEATED)
    url = f"{reverse('admin:events_statement_add')}?{_cite_params(document, start, start + len(REPEATED))}"
    response = curator_client.get(url)
    assert response.context["adminform"].form.initial["text"] == REPEATED
    (citation,) = _citation_forms(response)
    assert citation.initial["quote"] == REPEATED
    prepopulated = {
        field["field"].name: [d.name for d in field["dependencies"]]
        for field in response.context["prepopulated_fields"]
    }
    assert prepopulated == {"slug": ["speaker", "date"]}
    # Without a selection the words start empty.
    assert "text" not in curator_client.get(reverse("admin:events_statement_add")).context["adminform"].form.initial
