"""The pure text functions every write path uses to place a quote in its document (apps/sources/documents.py)."""

import hashlib

import pytest

from apps.sources.documents import (
    QuoteAmbiguous,
    QuoteNotFound,
    locate,
    locator_for,
    nearest_passage,
    normalise_text,
    paragraph_at,
    paragraph_spans,
    sha256,
)

TEXT = "First line, with a “quote”.\n\nSecond line says it again.\nThird line says it again.\n"


def test_normalising_turns_every_line_ending_into_a_newline_and_drops_a_byte_order_mark():
    assert normalise_text("\ufeffa\r\nb\rc\n") == "a\nb\nc\n"


def test_hash_is_of_the_normalised_utf8_text():
    assert sha256("a\r\nb") == hashlib.sha256(b"a\nb").hexdigest()
    assert sha256("a\r\nb") == sha256("a\nb")


def test_paragraphs_are_the_non_empty_lines():
    assert paragraph_spans(TEXT) == [(0, 27), (29, 55), (56, 81)]
    assert paragraph_spans("  \nx\n") == [(3, 4)]


@pytest.mark.parametrize(("offset", "paragraph"), [(0, 1), (26, 1), (28, 1), (29, 2), (55, 2), (56, 3), (80, 3)])
def test_paragraph_at_counts_from_one(offset, paragraph):
    assert paragraph_at(TEXT, offset) == paragraph
    assert paragraph_at(paragraph_spans(TEXT), offset) == paragraph


def test_a_unique_quote_needs_no_prefix_or_suffix():
    match = locate(TEXT, "Second line")
    assert (match.start, match.end, match.prefix, match.suffix) == (29, 40, "", "")
    assert locator_for(TEXT, match.start) == "para. 2"


def test_a_repeated_quote_without_context_is_ambiguous():
    with pytest.raises(QuoteAmbiguous) as error:
        locate(TEXT, "says it again")
    assert error.value.count == 2


def test_a_prefix_picks_the_occurrence_and_the_shortest_distinguishing_context_is_returned():
    match = locate(TEXT, "says it again", prefix="Third line ")
    assert TEXT[match.start : match.end] == "says it again"
    assert match.start == TEXT.index("Third") + len("Third line ")
    # The context returned is no longer than needed and singles this occurrence out.
    others = [i for i in range(len(TEXT)) if TEXT.startswith("says it again", i) and i != match.start]
    for other in others:
        assert not (TEXT[:other].endswith(match.prefix) and TEXT[other + 13 :].startswith(match.suffix))
    assert len(match.prefix) + len(match.suffix) <= len("Third line ")


def test_a_suffix_picks_the_occurrence_too():
    text = "ab X cd\nef X gh\n"
    match = locate(text, "X", suffix=" g")
    assert (match.start, match.prefix, match.suffix) == (11, "", " g")


def test_a_start_picks_the_occurrence():
    match = locate(TEXT, "says it again", start=TEXT.index("says"))
    assert match.start == TEXT.index("says")
    assert match.suffix or match.prefix


def test_a_start_where_the_quote_does_not_stand_is_not_found():
    with pytest.raises(QuoteNotFound):
        locate(TEXT, "Second line", start=3)


def test_a_context_the_text_does_not_have_is_not_found():
    with pytest.raises(QuoteNotFound) as error:
        locate(TEXT, "Second line", prefix="nothing like this")
    assert error.value.nearest == "Second line"


def test_a_quote_not_in_the_text_suggests_the_passage_with_typographic_quotes():
    with pytest.raises(QuoteNotFound) as error:
        locate(TEXT, 'with a "quote".')
    assert error.value.nearest == "with a “quote”."


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("second   line\nsays", "Second line says"),
        ("SECOND LINE", "Second line"),
        ("a 'b' - c", "a ‘b’ – c"),
    ],
)
def test_nearest_passage_forgives_whitespace_case_and_typography(typed, meant):
    text = f"Intro.\n{meant} and more.\nSecond line says it.\n" if "‘" in meant else TEXT
    assert nearest_passage(text, typed) == meant


def test_nearest_passage_finds_a_slightly_misquoted_sentence():
    text = "The treaty was signed in Helsinki in March 1992 by twenty-four states.\nOther things.\n"
    assert nearest_passage(text, "The treaty was signed at Helsinki in March 1992") == (
        "The treaty was signed in Helsinki in March 1992"
    )


def test_nearest_passage_is_empty_when_nothing_is_close():
    assert nearest_passage(TEXT, "zzzzzzzzzzzzzzzzzzzzz qqqqqqqq") == ""
    assert nearest_passage(TEXT, "") == ""
