"""Every model rule refuses a bad record: in full_clean() with a message on the right field, and in the database."""

import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.core.models import validate_aliases
from apps.events.models import Event, EventCitation, Statement
from apps.sources.models import Source
from apps.treaties.models import Membership, State

D = datetime.date


@pytest.fixture
def build(make_source, make_state, make_treaty, make_membership, make_event, make_statement):
    return SimpleNamespace(
        source=make_source,
        state=make_state,
        treaty=make_treaty,
        membership=make_membership,
        event=make_event,
        statement=make_statement,
    )


def _source(b, **fields):
    base = {"slug": "s", "title": "T", "language": "en", "kind": "news_report"}
    return Source(**{**base, **fields})


def _membership(b, **fields):
    base = {"slug": "m", "treaty": b.treaty(), "state": b.state()}
    return Membership(**{**base, **fields})


def _event(b, **fields):
    base = {"slug": "e", "type": "meeting", "title": "T", "date": D(2020, 5, 22), "date_precision": "day"}
    return Event(**{**base, **fields})


def _statement(b, **fields):
    base = {"slug": "st", "speaker": "Lavrov", "kind": "remarks", "stance": "neutral", "text": "Words."}
    return Statement(**{**base, **fields})


def _citation(b, **fields):
    base = {"event": b.event(), "source": b.source(), "quote": "A sentence."}
    return EventCitation(**{**base, **fields})


def _own_successor(b):
    state = b.state()
    state.successor_of = state
    return state


# (builder of an invalid, unsaved-or-changed record; the field the message is on; the message; the constraint name)
CASES = {
    "month precision on a day other than the 1st": (
        lambda b: _source(b, published_on=D(2020, 5, 21), published_on_precision="month"),
        "published_on",
        "A month-precision published_on must be the 1st of its month.",
        "source_published_on_month_is_first_day",
    ),
    "year precision on a day other than 1 January": (
        lambda b: _event(b, date=D(1992, 3, 24), date_precision="year"),
        "date",
        "A year-precision date must be the 1st of January of its year.",
        "event_date_year_is_first_day",
    ),
    "a date without a precision": (
        lambda b: _event(b, date=D(2020, 5, 22), date_precision=""),
        "date",
        "date and date_precision go together: give a date with a precision of day, month or year, "
        "or leave both empty when the date is unknown.",
        "event_date_has_precision",
    ),
    "a precision without a date": (
        lambda b: _statement(b, date=None, date_precision="month"),
        "date",
        "date and date_precision go together: give a date with a precision of day, month or year, "
        "or leave both empty when the date is unknown.",
        "statement_date_has_precision",
    ),
    "a lower-case state code": (
        lambda b: State(code="rus", name="Russia"),
        "code",
        "A state code is three upper-case letters (ISO 3166 alpha-3), e.g. RUS.",
        "state_code_is_alpha3",
    ),
    "a state succeeding itself": (
        _own_successor,
        "successor_of",
        "A state cannot be its own predecessor.",
        "state_not_own_successor",
    ),
    "a withdrawal effective before its notice": (
        lambda b: _membership(
            b,
            status="withdrawn",
            withdrawal_notified_on=D(2020, 11, 22),
            withdrawal_notified_on_precision="day",
            left_on=D(2020, 5, 22),
            left_on_precision="day",
        ),
        "left_on",
        "A withdrawal cannot take effect before it was notified.",
        "membership_withdrawal_not_effective_before_notice",
    ),
    "a withdrawal effective in a year before its notice": (
        lambda b: _membership(
            b,
            status="withdrawn",
            withdrawal_notified_on=D(2021, 1, 1),
            withdrawal_notified_on_precision="month",
            left_on=D(2020, 1, 1),
            left_on_precision="year",
        ),
        "left_on",
        "A withdrawal cannot take effect before it was notified.",
        "membership_withdrawal_not_effective_before_notice",
    ),
    "leaving before joining": (
        lambda b: _membership(
            b,
            status="withdrawn",
            joined_on=D(2002, 1, 1),
            joined_on_precision="year",
            left_on=D(2001, 6, 1),
            left_on_precision="month",
        ),
        "left_on",
        "A state cannot leave a treaty before it joined.",
        "membership_left_not_before_joining",
    ),
    "a notice before joining": (
        lambda b: _membership(
            b,
            status="withdrawing",
            joined_on=D(2002, 1, 1),
            joined_on_precision="day",
            withdrawal_notified_on=D(2001, 1, 1),
            withdrawal_notified_on_precision="year",
        ),
        "withdrawal_notified_on",
        "Withdrawal cannot be notified before the state joined.",
        "membership_notice_not_before_joining",
    ),
    "an end date on an active membership": (
        lambda b: _membership(b, status="active", left_on=D(2020, 11, 22), left_on_precision="day"),
        "status",
        "A membership with an end date has status 'withdrawn' or 'ended'.",
        "membership_left_means_withdrawn_or_ended",
    ),
    "a withdrawal notice on an active membership": (
        lambda b: _membership(
            b, status="active", withdrawal_notified_on=D(2020, 5, 22), withdrawal_notified_on_precision="day"
        ),
        "status",
        "A membership with a withdrawal notice is 'withdrawing' or 'withdrawn'.",
        "membership_notice_means_withdrawing_or_withdrawn",
    ),
    "a treaty act without a treaty": (
        lambda b: _event(b, type="withdrawal_notice", treaty=None),
        "treaty",
        "This type of event is an act under a treaty: choose the treaty.",
        "event_treaty_act_names_treaty",
    ),
    "a statement without words": (
        lambda b: _statement(b, text=""),
        "text",
        "A statement needs its words, quoted or closely paraphrased.",
        "statement_text_not_empty",
    ),
    "a statement of a whole article": (
        lambda b: _statement(b, text="x" * 1001),
        "text",
        "Keep the statement to the words that matter: at most 1000 characters.",
        "statement_text_short",
    ),
    "a citation without a quote": (
        lambda b: _citation(b, quote=""),
        "quote",
        "A citation needs the quoted passage.",
        "eventcitation_quote_not_empty",
    ),
    "a citation quoting a paragraph": (
        lambda b: _citation(b, quote="y" * 601),
        "quote",
        "Quote one or two sentences: at most 600 characters.",
        "eventcitation_quote_short",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_full_clean_reports_the_rule_on_its_field(build, case):
    """full_clean() refuses the record and puts the rule's message on the field a curator must correct."""
    make_record, field, message, _ = case
    record = make_record(build)
    with pytest.raises(ValidationError) as raised:
        record.full_clean()
    assert message in raised.value.message_dict.get(field, []), raised.value.message_dict


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_database_refuses_the_record_even_without_full_clean(build, case):
    """The database itself enforces the rule, so no write path (fixtures, bulk, raw SQL) can slip past it."""
    make_record, _, _, constraint = case
    record = make_record(build)
    with pytest.raises(IntegrityError) as raised, transaction.atomic():
        record.save()
    assert constraint in str(raised.value)


def test_withdrawal_notified_inside_a_coarser_effective_month_is_accepted(build):
    """A notice on 22 November is consistent with an effective date known only as 'November 2020'."""
    membership = _membership(
        build,
        status="withdrawn",
        withdrawal_notified_on=D(2020, 11, 22),
        withdrawal_notified_on_precision="day",
        left_on=D(2020, 11, 1),
        left_on_precision="month",
    )
    membership.full_clean()
    membership.save()
    assert Membership.objects.filter(slug="m").exists()


def test_unknown_dates_are_accepted_empty(build):
    """A membership whose dates the sources don't give is stored with every date empty."""
    membership = _membership(build, status="withdrawn")
    membership.full_clean()
    membership.save()
    assert membership.joined_on is None and membership.left_on_precision == ""


def test_duplicate_citation_is_refused(build):
    """The same passage cannot be cited twice for the same record."""
    event, source = build.event(cite=False), build.source()
    EventCitation.objects.create(event=event, source=source, quote="Once.")
    duplicate = EventCitation(event=event, source=source, quote="Once.")
    with pytest.raises(ValidationError) as raised:
        duplicate.full_clean()
    assert raised.value.message_dict["__all__"] == ["This passage of this source is already cited for this record."]


def test_duplicate_slug_is_refused_on_the_slug_field(build):
    """A second event with an existing slug is refused on the slug field."""
    build.event(slug="usa-withdrawal")
    with pytest.raises(ValidationError) as raised:
        _event(build, slug="usa-withdrawal").full_clean()
    assert raised.value.message_dict["slug"] == ["Event with this Slug already exists."]


def test_overlapping_memberships_of_one_state_are_refused(build):
    """A state has one membership at a time in a treaty; a second open-ended one is refused on the state field."""
    first = build.membership()
    second = _membership(build, slug="m2", treaty=first.treaty, state=first.state)
    with pytest.raises(ValidationError) as raised:
        second.full_clean()
    assert "whose period overlaps this one" in raised.value.message_dict["state"][0]


def test_a_later_membership_after_leaving_is_accepted(build):
    """Rejoining after a withdrawal is a second, non-overlapping period."""
    first = build.membership(
        status="withdrawn",
        joined_on=D(2016, 11, 4),
        joined_on_precision="day",
        left_on=D(2020, 11, 4),
        left_on_precision="day",
    )
    again = _membership(
        build,
        slug="again",
        treaty=first.treaty,
        state=first.state,
        joined_on=D(2021, 2, 19),
        joined_on_precision="day",
    )
    again.full_clean()


def test_statement_answering_an_event_about_another_treaty_is_refused(build):
    """A statement about one treaty cannot respond to an event about another."""
    event = build.event(type="withdrawal_notice", treaty=build.treaty())
    statement = _statement(build, treaty=build.treaty(), responds_to=event)
    with pytest.raises(ValidationError) as raised:
        statement.full_clean()
    assert "choose an event about the same treaty" in raised.value.message_dict["responds_to"][0]


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        ("U.S.", 'Give aliases as a list of strings, e.g. ["U.S.", "United States"].'),
        (["U.S.", ""], "An alias cannot be empty."),
        ([" U.S."], "An alias cannot start or end with spaces."),
        (["U.S.", "U.S."], "Each alias is listed once."),
    ],
)
def test_malformed_aliases_are_refused(aliases, message):
    """Aliases are a list of distinct, non-empty, trimmed strings."""
    with pytest.raises(ValidationError) as raised:
        validate_aliases(aliases)
    assert raised.value.messages == [message]
