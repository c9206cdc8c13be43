"""Citations locate themselves in their source's text on full_clean(); paragraph decisions; the text's hash."""

import pytest
from django.core.exceptions import ValidationError

from apps.events.models import EventCitation
from apps.sources.documents import sha256
from apps.sources.models import ParagraphDecision, citation_models

TEXT = (
    "Planes in sky\n"
    "The United States said on Thursday it would withdraw from the Open Skies Treaty.\n"
    "\n"
    "Moscow said it regretted the decision. Moscow said it regretted the decision.\n"
    "The treaty was signed in 1992.\n"
)


@pytest.fixture
def source(make_source):
    return make_source(text=TEXT, text_sha256=sha256(TEXT))


@pytest.fixture
def event(make_event):
    return make_event(cite=False)


def test_a_citation_of_a_loaded_text_gets_its_selectors_and_derived_locator(source, event):
    citation = EventCitation(event=event, source=source, quote="The treaty was signed in 1992.", locator="para. 9")
    citation.full_clean()
    assert (citation.start, citation.end) == (TEXT.index("The treaty"), len(TEXT) - 1)
    assert (citation.prefix, citation.suffix) == ("", "")
    assert citation.locator == "para. 4"
    assert citation.is_verified


def test_a_quote_not_in_the_text_names_the_source_and_suggests_the_passage(source, event):
    citation = EventCitation(event=event, source=source, quote="the open skies treaty.")
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    message = error.value.message_dict["quote"][0]
    assert f"Not found in '{source.title}' ({source.slug})." in message
    assert 'Did you mean: "the Open Skies Treaty."?' in message


def test_a_repeated_quote_without_context_is_refused_and_a_prefix_resolves_it(source, event):
    quote = "Moscow said it regretted the decision."
    with pytest.raises(ValidationError) as error:
        EventCitation(event=event, source=source, quote=quote).full_clean()
    assert "occurs 2 times" in error.value.message_dict["quote"][0]
    citation = EventCitation(event=event, source=source, quote=quote, prefix="decision. ")
    citation.full_clean()
    assert citation.start == TEXT.rindex(quote)
    assert (citation.prefix, citation.suffix) == ("", "\n")  # the shortest context that singles it out
    assert citation.locator == "para. 3"


def test_a_prefix_the_text_does_not_have_is_a_field_error(source, event):
    citation = EventCitation(event=event, source=source, quote="The treaty was signed", prefix="Nothing like ")
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "but not with this prefix" in error.value.message_dict["prefix"][0]


def test_a_stored_position_is_recomputed_when_the_quote_changes(source, event):
    citation = EventCitation.objects.create(event=event, source=source, quote="Planes in sky")
    citation.full_clean()
    citation.save()
    citation.quote = "The treaty was signed in 1992."
    citation.full_clean()
    assert citation.start == TEXT.index("The treaty")


def test_a_citation_of_a_source_without_text_is_accepted_unverified(make_source, event):
    citation = EventCitation(event=event, source=make_source(), quote="Anything at all.", locator="para. 2")
    citation.full_clean()
    assert not citation.is_verified
    assert (citation.start, citation.locator) == (None, "para. 2")


def test_start_without_end_is_refused_by_the_database_rule(make_source, event):
    citation = EventCitation(event=event, source=make_source(), quote="Q.", start=3)
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert error.value.message_dict["start"] == ["Give start and end together, start not after end."]


@pytest.mark.parametrize(("quote", "message"), [("", "A citation needs"), ("x" * 10_000, "at most 600")])
def test_empty_and_overlong_quotes_are_field_errors(source, event, quote, message):
    with pytest.raises(ValidationError) as error:
        EventCitation(event=event, source=source, quote=quote).full_clean()
    assert message in error.value.message_dict["quote"][0]


def test_a_text_whose_hash_differs_from_the_dataset_is_refused(make_source):
    source = make_source(text_sha256=sha256("the real document"))
    source.text = "another document"
    with pytest.raises(ValidationError) as error:
        source.full_clean()
    assert "not the document the dataset cites" in error.value.message_dict["text"][0]


def test_every_concrete_citation_model_is_found():
    assert {model.__name__ for model in citation_models()} == {
        "EventCitation",
        "StatementCitation",
        "TreatyCitation",
        "MembershipCitation",
    }


def test_a_paragraph_decision_needs_a_reason_and_a_paragraph_of_the_text(source):
    with pytest.raises(ValidationError) as error:
        ParagraphDecision(source=source, paragraph=5, reason="").full_clean()
    assert error.value.message_dict["paragraph"] == [f"'{source.title}' has 4 paragraphs; give a number from 1 to 4."]
    assert "reason" in error.value.message_dict
    ParagraphDecision(source=source, paragraph=1, reason="Photo caption.").full_clean()
