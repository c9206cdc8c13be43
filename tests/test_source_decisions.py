"""Citing a passage replaces the decisions it contradicts, on every write path; sentences decided in the reader.

A decision says a paragraph or a sentence holds nothing to cite; a citation saved over it says otherwise. The
admin's forms, the API and the CSV import all save citations through ``Citation.save()``, where the decision is
replaced: a sentence decision is deleted, a paragraph decision is kept for the paragraph's other sentences.
"""

import csv
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.events.models import Event, EventCitation
from apps.sources import sentences
from apps.sources.coverage import coverage
from apps.sources.models import ParagraphDecision

TEXT = (
    "Photo: ministers at the table.\n"
    "The ministers met in Vienna on Monday. They agreed to keep flying. Journalists waited outside.\n"
)
MET = "The ministers met in Vienna on Monday."


@pytest.fixture
def source(make_source, make_treaty):
    make_treaty(slug="open-skies")
    return make_source(slug="vienna", title="Vienna meeting", text=TEXT)


def _span(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


def _sentence_of(words: str) -> sentences.Sentence:
    start, _ = _span(words)
    return next(s for s in sentences.sentence_spans(TEXT) if s.start <= start < s.end)


@pytest.fixture
def paragraph_decided(source):
    return ParagraphDecision.objects.create(source=source, paragraph=2, reason="Background, cited elsewhere.")


@pytest.fixture
def sentence_decided(source):
    sentence = _sentence_of(MET)
    return ParagraphDecision.objects.create(
        source=source, paragraph=2, start=sentence.start, end=sentence.end, kind="no_fact"
    )


def _remaining(source) -> list[tuple]:
    return list(source.paragraph_decisions.order_by("paragraph", "start").values_list("start", "kind", "reason"))


def test_a_paragraph_decision_is_kept_for_the_sentences_the_citation_leaves(source, paragraph_decided, make_event):
    citation = EventCitation(event=make_event(cite=False), source=source, quote=MET)
    citation.full_clean()
    citation.save()
    others = [s for s in sentences.sentence_spans(TEXT) if s.paragraph == 2][1:]
    reason = "Background, cited elsewhere."
    assert _remaining(source) == [(s.start, "left_uncited", reason) for s in others]
    assert not ParagraphDecision.objects.filter(pk=paragraph_decided.pk).exists()
    # The replaced decision's deletion is in its history, so it can be seen and restored.
    assert paragraph_decided.history.filter(history_type="-").count() == 1
    assert [i.state for i in coverage(source).sentences] == ["undecided", "cited", "decided", "decided"]


def test_the_admin_form_replaces_a_sentence_decision(source, sentence_decided, curator_client, admin_form_data):
    start, end = _span(MET)
    url = f"{reverse('admin:events_event_add')}?cite_source={source.pk}&cite_start={start}&cite_end={end}"
    data = admin_form_data(curator_client.get(url)) | {"slug": "met", "type": "meeting", "title": "Met"}
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    assert EventCitation.objects.get(event__slug="met").start == start
    assert _remaining(source) == []


def test_the_api_replaces_a_paragraph_decision(source, paragraph_decided, curator_api, write):
    body = {
        "slug": "met",
        "type": "meeting",
        "title": "Met",
        "citations": [{"source": "vienna", "quote": "They agreed to keep flying."}],
    }
    write(curator_api, "post", "/api/events/", body, expect=201)
    kept = [_sentence_of(MET).start, _sentence_of("Journalists").start]
    assert [start for start, _, _ in _remaining(source)] == kept


def test_the_csv_import_replaces_a_sentence_decision(source, sentence_decided, curator_client):
    out = io.StringIO()
    columns = ["slug", "type", "date", "date_precision", "title", "treaty", "source", "quote", "locator"]
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerow(
        {"slug": "met", "type": "meeting", "title": "Met", "treaty": "open-skies", "source": "vienna", "quote": MET}
        | {"date": "", "date_precision": "", "locator": ""}
    )
    upload = SimpleUploadedFile("rows.csv", out.getvalue().encode(), content_type="text/csv")
    preview = curator_client.post(reverse("admin:events_event_import"), {"format": "0", "import_file": upload})
    assert not preview.context["result"].has_validation_errors()
    done = curator_client.post(reverse("admin:events_event_process_import"), preview.context["confirm_form"].initial)
    assert done.status_code == 302
    assert Event.objects.get(slug="met").citations.get().start == _span(MET)[0]
    assert _remaining(source) == []


def test_a_citation_elsewhere_leaves_decisions_alone(source, sentence_decided, make_event):
    citation = EventCitation(event=make_event(cite=False), source=source, quote="Photo: ministers")
    citation.full_clean()
    citation.save()
    assert _remaining(source) == [(sentence_decided.start, "no_fact", "")]


# --- Sentences in the reader -------------------------------------------------------------------------------------


def _reader(source) -> str:
    return reverse("admin:sources_source_reader", args=[source.pk])


def _decide(client, source, **data):
    return client.post(reverse("admin:sources_source_decide", args=[source.pk]), data)


def test_reader_marks_the_undecided_sentences_and_offers_each_a_decision(source, make_event, curator_client):
    citation = EventCitation(event=make_event(cite=False), source=source, quote=MET)
    citation.full_clean()
    citation.save()
    page = curator_client.get(_reader(source)).content.decode()
    marked = re.findall(r'<span class="sent-undecided" id="sent-(\d+)-(\d+)"[^>]*>([^<]*)</span>', page)
    assert marked == [
        ("1", "1", "Photo: ministers at the table."),
        ("2", "2", "They agreed to keep flying."),
        ("2", "3", "Journalists waited outside."),
    ]
    # Paragraph 2 is cited in part: its open sentences get a form each, and no form for the whole paragraph.
    second = re.search(r'id="para-2".*?</section>', page, re.S).group(0)
    assert "Cited in part: 2 sentences not decided yet." in second
    assert second.count('class="sentence-decide"') == 2
    assert 'class="para-decide"' not in second
    assert 'id="undecided-count">3<' in page


def test_curator_records_a_sentence_as_holding_no_fact_in_scope(source, curator_client, curator):
    sentence = _sentence_of("Journalists")
    response = _decide(
        curator_client, source, paragraph="2", start=str(sentence.start), end=str(sentence.end), kind="no_fact"
    )
    assert response["Location"] == f"{_reader(source)}#para-2"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Sentence 3 of paragraph 2 recorded as holding no fact in scope."
    ]
    decision = ParagraphDecision.objects.get(source=source, start=sentence.start)
    assert (decision.kind, decision.reason, decision.history.get().history_user) == ("no_fact", "", curator)
    page = curator_client.get(_reader(source)).content.decode()
    assert "Sentence 3: no fact in scope" in page
    assert 'id="sent-2-3"' not in page


def test_a_span_that_is_not_a_sentence_is_refused_with_a_message(source, curator_client):
    start, end = _span("ministers met")
    response = _decide(curator_client, source, paragraph="2", start=str(start), end=str(end), kind="no_fact")
    (text,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert text.startswith("Sentence not marked: start: ") and "is not a sentence of para. 2" in text
    assert not ParagraphDecision.objects.exists()
