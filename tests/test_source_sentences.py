"""Coverage by sentence: the splitter, decisions about one sentence or a whole paragraph, and their migration.

A sentence is decided when a citation overlaps it, a decision covers it (its own, or its paragraph's) or it is
recorded as holding no fact in scope. The texts here are written for the tests, in the shapes the seed documents
take (abbreviations, a quoted passage of two sentences, a stray full stop).
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from apps.events.models import EventCitation
from apps.releases import package as packages
from apps.releases.package import repository_release_dir
from apps.releases.services import package_rows, write_rows
from apps.sources import sentences
from apps.sources.coverage import coverage
from apps.sources.models import ParagraphDecision

TEXT = (
    "Treaty news\n"
    "The U.S. government left the treaty on Sunday. Moscow regretted it.\n"
    "\n"
    '"The treaty will suffer. So will Europe," the ministry said. Talks went on .\n'
)


def _texts(text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentences.sentence_spans(text)]


def test_sentences_are_split_within_paragraphs_and_keep_abbreviations_and_exact_offsets():
    assert _texts(TEXT) == [
        "Treaty news",
        "The U.S. government left the treaty on Sunday.",
        "Moscow regretted it.",
        '"The treaty will suffer.',
        'So will Europe," the ministry said.',
        "Talks went on .",
    ]
    assert [(s.paragraph, s.number) for s in sentences.sentence_spans(TEXT)] == [(1, 1), (2, 1), (2, 2)] + [
        (3, 1),
        (3, 2),
        (3, 3),
    ]


def test_a_stray_full_stop_belongs_to_the_sentence_before_it():
    """pysbd (and sentencex) make a sentence of a lone '.' closing a paragraph; it is part of the last one."""
    text = "Putin urged talks on new relations. .\n"
    assert _texts(text) == ["Putin urged talks on new relations. ."]


def test_a_line_without_words_is_one_sentence_so_no_paragraph_is_left_without():
    assert _texts("* * *\nText.\n") == ["* * *", "Text."]


@pytest.fixture
def source(make_source):
    return make_source(slug="wire", title="Wire", text=TEXT)


def _sentence(paragraph: int, number: int) -> sentences.Sentence:
    return next(s for s in sentences.sentence_spans(TEXT) if (s.paragraph, s.number) == (paragraph, number))


def _decide(source, paragraph, sentence=None, **fields) -> ParagraphDecision:
    span = {} if sentence is None else {"start": sentence.start, "end": sentence.end}
    decision = ParagraphDecision(source=source, paragraph=paragraph, **span, **fields)
    decision.full_clean()
    decision.save()
    return decision


def test_a_paragraph_decision_covers_every_sentence_of_its_paragraph(source):
    _decide(source, 3, reason="Commentary quoted at length.")
    result = coverage(source)
    assert [(i.sentence.paragraph, i.state) for i in result.sentences] == [
        (1, "undecided"),
        (2, "undecided"),
        (2, "undecided"),
        (3, "decided"),
        (3, "decided"),
        (3, "decided"),
    ]
    assert (result.decided, result.uncited) == ([3], [1, 2])


def test_a_sentence_decision_covers_its_sentence_only_and_no_fact_needs_no_reason(source):
    _decide(source, 2, _sentence(2, 2), kind="no_fact")
    result = coverage(source)
    assert [i.state for i in result.sentences if i.sentence.paragraph == 2] == ["undecided", "no_fact"]
    assert result.sentence_counts == {"cited": 0, "decided": 0, "no_fact": 1, "undecided": 5}


def test_left_uncited_needs_a_reason(source):
    with pytest.raises(ValidationError) as error:
        _decide(source, 2, _sentence(2, 2), kind="left_uncited", reason="")
    (message,) = error.value.message_dict["reason"]
    assert message == "Say why this is left uncited (or record it as 'no fact in scope')."


def test_a_sentence_decision_must_frame_one_sentence_of_its_paragraph(source):
    sentence = _sentence(2, 1)
    with pytest.raises(ValidationError) as error:
        _decide(source, 2, kind="no_fact", start=sentence.start, end=sentence.end - 1)
    (message,) = error.value.message_dict["start"]
    assert message.startswith(f"{sentence.start}-{sentence.end - 1} is not a sentence of para. 2 of 'Wire'")
    assert f"{sentence.start}-{sentence.end}" in message
    with pytest.raises(ValidationError, match="is not a sentence of para. 3"):
        _decide(source, 3, sentence, kind="no_fact")


def test_a_cited_sentence_or_paragraph_cannot_be_decided(source, make_event):
    citation = EventCitation(event=make_event(cite=False), source=source, quote="Moscow regretted it.")
    citation.full_clean()
    citation.save()
    with pytest.raises(ValidationError) as error:
        _decide(source, 2, _sentence(2, 2), kind="no_fact")
    assert error.value.message_dict["start"][0].startswith("This sentence is cited already")
    with pytest.raises(ValidationError) as error:
        _decide(source, 2, reason="Caption.")
    assert error.value.message_dict["paragraph"][0].startswith("This paragraph is cited already")
    _decide(source, 2, _sentence(2, 1), kind="no_fact")  # its other sentence can be


def test_one_decision_per_sentence_and_a_paragraph_decided_whole_or_sentence_by_sentence(source):
    _decide(source, 3, reason="Caption.")
    with pytest.raises(ValidationError, match="This paragraph of this source is already decided."):
        _decide(source, 3, reason="Again.")
    with pytest.raises(ValidationError, match="Para. 3 is decided as a whole already"):
        _decide(source, 3, _sentence(3, 1), kind="no_fact")
    _decide(source, 2, _sentence(2, 1), kind="no_fact")
    with pytest.raises(ValidationError, match="This sentence of this source is already decided."):
        _decide(source, 2, _sentence(2, 1), kind="no_fact")
    with pytest.raises(ValidationError, match="Sentences of para. 2 are decided one by one already"):
        _decide(source, 2, reason="Caption.")
    sentence = _sentence(2, 2)
    with pytest.raises(IntegrityError), transaction.atomic():
        ParagraphDecision.objects.create(source=source, paragraph=2, start=sentence.start, end=None, reason="x")


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_paragraph_decision_covering_its_paragraph():
    """Decisions made per paragraph before sentences existed migrate unchanged and still cover every sentence of
    their paragraph."""
    executor = MigrationExecutor(connection)
    before, after = [("sources", "0004_document_is_a_file_name")], [("sources", "0005_sentence_decisions")]
    executor.migrate(before)
    try:
        old_apps = executor.loader.project_state(before).apps
        OldSource = old_apps.get_model("sources", "Source")
        OldDecision = old_apps.get_model("sources", "ParagraphDecision")
        old = OldSource.objects.create(slug="old", title="T", language="en", kind="news_report", text=TEXT)
        OldDecision.objects.create(source=old, paragraph=2, reason="Repeats the headline.")
        OldDecision.objects.create(source=old, paragraph=3, reason="Commentary.")
        executor = MigrationExecutor(connection)
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
    try:
        decisions = ParagraphDecision.objects.filter(source__slug="old").order_by("paragraph")
        assert [(d.paragraph, d.start, d.end, d.kind, d.reason) for d in decisions] == [
            (2, None, None, "left_uncited", "Repeats the headline."),
            (3, None, None, "left_uncited", "Commentary."),
        ]
        result = coverage(decisions[0].source)
        assert [i.state for i in result.sentences] == ["undecided"] + ["decided"] * 5
    finally:
        ParagraphDecision.objects.filter(source__slug="old").delete()
        decisions[0].source.delete()


def test_a_release_written_before_sentence_decisions_loads_its_decisions_as_whole_paragraphs(db):
    """A package whose paragraph decisions have no start, end or kind (release 1.0.0) loads: each decision covers
    its whole paragraph, left uncited for its reason, as before the sentences."""
    rows = package_rows(packages.read(repository_release_dir()))
    # Its decisions: the whole-paragraph ones, in the columns they had then.
    rows["paragraph-decisions"] = [
        {name: value for name, value in row.items() if name not in ("start", "end", "kind")}
        for row in rows["paragraph-decisions"]
        if row["start"] is None
    ]
    write_rows(rows, "A release from before sentence decisions")
    decisions = ParagraphDecision.objects.all()
    assert decisions.count() == len(rows["paragraph-decisions"]) > 0
    assert set(decisions.values_list("start", "end", "kind")) == {(None, None, "left_uncited")}
