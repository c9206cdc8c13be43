"""Every filter of the read API, what it matches, and the 400 it answers for values it does not accept."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.core.api import filters
from apps.events.models import Event, EventParticipant, Statement
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty
from tests.conftest import shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")


def slugs(api, path, key="slug", **params) -> list[str]:
    return [item[key] for item in api(path, page_size=500, **params)["results"]]


# --- events -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"treaty": "open-skies"}, ["open-skies-signature", "us-withdrawal-notice", "russia-withdrawal-effective"]),
        ({"treaty": "inf"}, ["inf-termination"]),
        ({"state": "RUS"}, ["open-skies-signature", "us-withdrawal-notice", "russia-withdrawal-effective"]),
        ({"state": "rus"}, ["open-skies-signature", "us-withdrawal-notice", "russia-withdrawal-effective"]),
        ({"actor": "rus"}, ["open-skies-signature", "russia-withdrawal-effective"]),
        ({"target": "RUS"}, ["us-withdrawal-notice"]),
        ({"state": "BLR"}, ["undated-exercise"]),
        ({"type": "signature"}, ["open-skies-signature"]),
        ({"type": ["signature", "termination"]}, ["open-skies-signature", "inf-termination"]),
        ({"source": "reuters-2020-us-notice"}, ["us-withdrawal-notice"]),
        ({"q": "HELSINKI"}, ["open-skies-signature"]),
        # In date order: which of two titles is more relevant is the search's tests' business.
        ({"q": "withdrawal", "ordering": "date"}, ["us-withdrawal-notice", "russia-withdrawal-effective"]),
        ({"treaty": "open-skies", "actor": "USA", "type": "withdrawal_notice"}, ["us-withdrawal-notice"]),
        (
            {"ordering": "-date"},
            [
                "russia-withdrawal-effective",
                "us-withdrawal-notice",
                "inf-termination",
                "open-skies-signature",
                "undated-exercise",
            ],
        ),
        (
            {"ordering": "slug", "treaty": "open-skies"},
            ["open-skies-signature", "russia-withdrawal-effective", "us-withdrawal-notice"],
        ),
    ],
)
def test_event_filters(api, open_skies, params, expected):
    assert slugs(api, "/api/events/", **params) == expected


@pytest.mark.parametrize("inline_keys", [1, 2, filters.INLINE_KEYS])
@pytest.mark.parametrize(
    ("params", "rows", "count", "expected"),
    [
        ({"state": "RUS"}, 3, 3, ["open-skies-signature", "us-withdrawal-notice", "russia-withdrawal-effective"]),
        ({"actor": "RUS"}, 2, 2, ["open-skies-signature", "russia-withdrawal-effective"]),
        (
            {"state": "RUS", "ordering": "-date", "page_size": 2},
            3,
            3,
            ["russia-withdrawal-effective", "us-withdrawal-notice"],
        ),
        ({"state": "RUS", "treaty": "open-skies", "type": "signature"}, 3, 1, ["open-skies-signature"]),
        (
            {"state": "RUS", "q": "withdrawal", "ordering": "date"},
            3,
            2,
            ["us-withdrawal-notice", "russia-withdrawal-effective"],
        ),
        # Germany acts on itself: two participations, one event, listed once.
        ({"state": "DEU"}, 2, 1, ["german-exercise"]),
        ({"target": "DEU"}, 1, 1, ["german-exercise"]),
        ({"state": "FRA"}, 0, 0, []),
        # Two states' filters together: the events in both (rows: the most any one of them reads).
        ({"actor": "USA", "target": "RUS"}, 2, 1, ["us-withdrawal-notice"]),
        ({"state": "RUS", "actor": "USA"}, 3, 2, ["open-skies-signature", "us-withdrawal-notice"]),
        ({"state": "RUS", "target": "USA"}, 3, 0, []),
        ({"actor": "DEU", "target": "DEU", "state": "DEU"}, 2, 1, ["german-exercise"]),
    ],
)
def test_a_states_events_are_the_same_however_its_keys_are_given(
    api, open_skies, make_event, monkeypatch, inline_keys, params, rows, count, expected
):
    """On PostgreSQL a state's event keys (from its participations in the role asked) are one array when they come
    from at most ``INLINE_KEYS`` participations, else the subquery SQLite always uses: the same events, count and order
    either way."""
    germany = State.objects.create(code="DEU", name="Germany")
    State.objects.create(code="FRA", name="France")
    make_event(slug="german-exercise", participants=[(germany, "actor"), (germany, "target")])
    monkeypatch.setattr(filters, "INLINE_KEYS", inline_keys)
    with CaptureQueriesContext(connection) as captured:
        body = api("/api/events/", **params)
    assert [event["slug"] for event in body["results"]] == expected
    assert body["count"] == count
    as_array = connection.vendor == "postgresql" and rows <= inline_keys
    # The count's condition is the page's: one array of the keys in every state's when each state's keys fit, else
    # a subquery for those that do not (an empty list has no page query).
    sql = [  # the count and the page's keys, not the page's JSON read by key
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith(("SELECT COUNT(", 'SELECT "events_event"."id"')) and "CAST(" not in query["sql"]
    ]
    assert sql or not expected
    for statement in sql:
        if as_array:
            assert statement.count("= ANY(") == 1 and "IN (SELECT" not in statement
        else:
            assert "IN (SELECT" in statement
    # With only states' keys, there are as many events as distinct keys: not counted again.
    only_states = set(params) <= {"state", "actor", "target", "ordering", "page_size"}
    assert any("COUNT(" in statement for statement in sql) == (not (as_array and only_states))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # A day-precision date matches its day, inclusive at both ends.
        ({"date_after": "2020-05-22", "date_before": "2020-05-22"}, ["us-withdrawal-notice"]),
        ({"date_after": "2020-05-23", "date_before": "2020-06-30"}, []),
        # "December 2021" overlaps any range reaching into December 2021.
        ({"date_after": "2021-12-31"}, ["russia-withdrawal-effective"]),
        ({"date_before": "2021-12-01", "date_after": "2021-11-01"}, ["russia-withdrawal-effective"]),
        ({"date_after": "2022-01-01"}, []),
        # "1992" overlaps any range reaching into 1992.
        ({"date_after": "1992-12-31", "date_before": "1992-12-31"}, ["open-skies-signature"]),
        ({"date_before": "1991-12-31"}, []),
        # An unknown date never matches a range.
        ({"date_before": "2100-01-01", "type": "military_exercise"}, []),
    ],
)
def test_event_date_range_overlaps_partial_dates(api, open_skies, params, expected):
    assert slugs(api, "/api/events/", **params) == expected


UPDATED = {
    "events": (Event, "slug", "inf-termination"),
    "statements": (Statement, "slug", "joint-statement"),
    "memberships": (Membership, "slug", "inf-usa"),
    "treaties": (Treaty, "slug", "inf"),
    "states": (State, "code", "SUN"),
    "sources": (Source, "slug", "tass-2021-russia-withdrawal"),
}


@pytest.mark.parametrize("endpoint", UPDATED)
def test_updated_after_on_every_endpoint(api, open_skies, endpoint):
    """updated_after gives what changed since a moment, for mirrors that sync incrementally."""
    model, key, changed = UPDATED[endpoint]
    later = timezone.now() + datetime.timedelta(hours=1)
    model.objects.filter(**{key: changed}).update(updated_at=later + datetime.timedelta(minutes=1))
    assert slugs(api, f"/api/{endpoint}/", key=key, updated_after=later.isoformat()) == [changed]


# --- statements -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"treaty": "open-skies"}, ["joint-statement", "peskov-regrets"]),
        ({"treaty": "inf"}, []),
        ({"state": "rus"}, ["peskov-regrets"]),
        ({"state": "USA"}, ["joint-statement"]),
        ({"speaker": "peskov"}, ["peskov-regrets"]),
        ({"kind": "joint_statement"}, ["joint-statement"]),
        ({"stance": "regrets"}, ["peskov-regrets"]),
        ({"responds_to": "us-withdrawal-notice"}, ["peskov-regrets"]),
        ({"date_after": "2020-05-31", "date_before": "2020-05-31"}, ["joint-statement"]),
        ({"date_after": "2020-05-22"}, ["joint-statement", "peskov-regrets"]),
        ({"date_before": "2020-04-30"}, []),
        ({"source": "tass-2021-russia-withdrawal"}, ["peskov-regrets"]),
        ({"q": "REGRET"}, ["peskov-regrets"]),
        ({"q": "press secretary"}, ["peskov-regrets"]),
    ],
)
def test_statement_filters(api, open_skies, params, expected):
    assert slugs(api, "/api/statements/", **params) == expected


# --- memberships ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"treaty": "open-skies"}, ["open-skies-blr", "open-skies-rus", "open-skies-usa"]),
        ({"state": "usa"}, ["inf-usa", "open-skies-usa"]),
        ({"role": "signatory"}, ["inf-usa"]),
        ({"status": "withdrawn"}, ["open-skies-rus", "open-skies-usa"]),
        # Belarus has no known joining date, and stays in the answer on any day.
        ({"treaty": "open-skies", "as_of": "1995-06-01"}, ["open-skies-blr", "open-skies-usa"]),
        ({"treaty": "open-skies", "as_of": "2001-06-01"}, ["open-skies-blr", "open-skies-rus", "open-skies-usa"]),
        # The United States left on 22 November 2020: a party on the 21st, not on the 22nd.
        ({"treaty": "open-skies", "as_of": "2020-11-21"}, ["open-skies-blr", "open-skies-rus", "open-skies-usa"]),
        ({"treaty": "open-skies", "as_of": "2020-11-22"}, ["open-skies-blr", "open-skies-rus"]),
        # Russia left "in December 2021": the sources cannot rule out any day of that month.
        ({"treaty": "open-skies", "as_of": "2021-12-15"}, ["open-skies-blr", "open-skies-rus"]),
        ({"treaty": "open-skies", "as_of": "2022-01-01"}, ["open-skies-blr"]),
        ({"treaty": "open-skies", "as_of": "1992-03-23"}, ["open-skies-blr"]),
    ],
)
def test_membership_filters(api, open_skies, params, expected):
    assert sorted(slugs(api, "/api/memberships/", **params)) == expected


# --- treaties, states, sources ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "rus"}, ["open-skies"]),
        # The United States is only a signatory of this INF record: not a party.
        ({"state": "USA"}, ["open-skies"]),
        ({"state": "SUN"}, []),
        ({"status": "terminated"}, ["inf"]),
        ({"kind": "bilateral"}, ["inf"]),
        ({"q": "open skies"}, ["open-skies"]),
        ({"q": "NUCLEAR"}, ["inf"]),
    ],
)
def test_treaty_filters(api, open_skies, params, expected):
    assert slugs(api, "/api/treaties/", **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"treaty": "open-skies"}, ["BLR", "RUS", "USA"]),
        ({"treaty": "inf"}, ["USA"]),
        ({"q": "russian"}, ["RUS"]),
        ({"q": "sun"}, ["SUN"]),
        ({"q": "u.s."}, ["USA"]),
    ],
)
def test_state_filters(api, open_skies, params, expected):
    assert slugs(api, "/api/states/", key="code", **params) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"publisher": "reuters"}, ["reuters-2020-us-notice"]),
        ({"language": "RU"}, ["tass-2021-russia-withdrawal"]),
        ({"date_after": "2020-05-31", "date_before": "2020-05-31", "q": "notice"}, ["reuters-2020-us-notice"]),
        ({"date_after": "2020-06-01", "q": "notice"}, []),
        ({"q": "quits"}, ["tass-2021-russia-withdrawal"]),
    ],
)
def test_source_filters(api, open_skies, params, expected):
    assert slugs(api, "/api/sources/", **params) == expected


# --- what is refused --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter", "message"),
    [
        (
            "/api/events/",
            {"treaty": "no-such-treaty"},
            "treaty",
            "No treaty has the slug 'no-such-treaty'; see /api/treaties/.",
        ),
        ("/api/events/", {"state": "XXX"}, "state", "No state has the code 'XXX'; see /api/states/."),
        ("/api/events/", {"actor": "xxx"}, "actor", "No state has the code 'XXX'; see /api/states/."),
        ("/api/events/", {"source": "nope"}, "source", "No source has the slug 'nope'; see /api/sources/."),
        (
            "/api/events/",
            {"date_after": "2020-13-45"},
            "date_after",
            "Give a date in ISO 8601, YYYY-MM-DD, e.g. 2020-11-22.",
        ),
        (
            "/api/events/",
            {"date_before": "May 2020"},
            "date_before",
            "Give a date in ISO 8601, YYYY-MM-DD, e.g. 2020-11-22.",
        ),
        (
            "/api/events/",
            {"updated_after": "yesterday"},
            "updated_after",
            "Give a date and time in ISO 8601, e.g. 2024-05-01T00:00:00Z.",
        ),
        ("/api/events/", {"type": "banana"}, "type", None),
        ("/api/events/", {"type": ["signature", "banana"]}, "type", None),
        ("/api/events/", {"ordering": "title"}, "ordering", None),
        ("/api/events/", {"page": "0"}, "page", "'0' is not accepted; give a whole number from 1 up."),
        ("/api/events/", {"page": "two"}, "page", "'two' is not accepted; give a whole number from 1 up."),
        (
            "/api/events/",
            {"page_size": "100000"},
            "page_size",
            "'100000' is not accepted; give a whole number from 1 to 500.",
        ),
        ("/api/events/", {"page_size": "0"}, "page_size", "'0' is not accepted; give a whole number from 1 to 500."),
        (
            "/api/statements/",
            {"responds_to": "nope"},
            "responds_to",
            "No event has the slug 'nope'; see /api/events/.",
        ),
        ("/api/statements/", {"stance": "angry"}, "stance", None),
        ("/api/statements/", {"kind": "tweet"}, "kind", None),
        ("/api/statements/", {"date_after": "2020-02-30"}, "date_after", None),
        ("/api/statements/", {"state": "nope"}, "state", "No state has the code 'NOPE'; see /api/states/."),
        ("/api/memberships/", {"as_of": "yesterday"}, "as_of", None),
        ("/api/memberships/", {"role": "observer"}, "role", None),
        ("/api/memberships/", {"status": "gone"}, "status", None),
        ("/api/memberships/", {"treaty": "nope"}, "treaty", None),
        ("/api/treaties/", {"state": "ZZZ"}, "state", None),
        ("/api/treaties/", {"status": "alive"}, "status", None),
        ("/api/treaties/", {"kind": "trilateral"}, "kind", None),
        ("/api/states/", {"treaty": "nope"}, "treaty", None),
        ("/api/sources/", {"date_before": "2020-1-1x"}, "date_before", None),
    ],
)
def test_malformed_and_unknown_values_are_400_naming_the_parameter(api, open_skies, path, params, parameter, message):
    body = api(path, expect=400, **params)
    assert body["status"] == 400
    assert body["code"] == "invalid"
    assert body["detail"] == f"Invalid query parameter: {parameter}."
    assert [error["parameter"] for error in body["errors"]] == [parameter]
    if message:
        assert body["errors"][0]["message"] == message


@pytest.mark.parametrize("path", ["/api/events/", "/api/statements/", "/api/sources/"])
def test_inverted_date_range_is_400(api, open_skies, path):
    """A range whose start is after its end would silently match nothing."""
    body = api(path, expect=400, date_after="2021-01-01", date_before="2020-01-01")
    assert body["errors"] == [
        {
            "parameter": "date_after",
            "message": "date_after (2021-01-01) is later than date_before (2020-01-01); "
            "give date_after <= date_before.",
            "code": "invalid_range",
        }
    ]


def test_invalid_choice_lists_what_is_accepted(api, open_skies):
    body = api("/api/events/", expect=400, type="banana")
    assert body["errors"][0]["message"].startswith("'banana' is not accepted for type; give one of: signature, ")
    assert body["errors"][0]["code"] == "invalid_choice"


def test_unknown_parameter_is_400_listing_accepted_ones(api, open_skies):
    """A typo'd filter name must not silently return everything."""
    body = api("/api/events/", expect=400, tretay="inf")
    assert body["errors"] == [
        {
            "parameter": "tretay",
            "message": "Unknown query parameter 'tretay'; this endpoint accepts: treaty, state, actor, target, type, "
            "date_after, date_before, source, q, updated_after, ordering, page, page_size, format.",
            "code": "unknown",
        }
    ]


def test_detail_accepts_only_format(api, open_skies):
    body = api("/api/events/us-withdrawal-notice/", expect=400, treaty="inf")
    assert body["errors"][0]["message"] == "Unknown query parameter 'treaty'; this endpoint accepts: format."
    api("/api/events/us-withdrawal-notice/", format="json")


def test_repeated_single_value_parameter_is_400(api, open_skies):
    body = api("/api/events/", expect=400, treaty=["open-skies", "inf"])
    assert body["errors"] == [
        {"parameter": "treaty", "message": "Give 'treaty' once; it takes a single value.", "code": "repeated"}
    ]


def test_several_bad_parameters_are_all_named(api, open_skies):
    body = api("/api/events/", expect=400, date_after="x", type="banana")
    assert body["detail"] == "Invalid query parameters: type, date_after."
    assert [error["parameter"] for error in body["errors"]] == ["type", "date_after"]


def test_empty_filter_value_means_no_filter(api, open_skies):
    assert len(slugs(api, "/api/events/", treaty="")) == 5


def test_messages_hold_after_the_schema_is_generated(api, open_skies):
    """Generating the schema builds the filters' form fields; the readable messages must survive that."""
    from drf_spectacular.generators import SchemaGenerator

    SchemaGenerator().get_schema(request=None, public=True)
    body = api("/api/events/", expect=400, type="banana", date_after="x")
    assert body["errors"][0]["message"].startswith("'banana' is not accepted for type; give one of: signature, ")
    assert body["errors"][1]["message"] == "Give a date in ISO 8601, YYYY-MM-DD, e.g. 2020-11-22."


def test_the_form_class_is_built_once_and_each_request_gets_its_own_form(client, open_skies):
    """A filterset's form class is shared by every request; the fields each form validates with are its own, so one
    request's values and errors never reach the next."""
    from django.http import QueryDict

    from apps.events.filtersets import EventFilterSet

    first, second = EventFilterSet(QueryDict("type=nonsense")), EventFilterSet(QueryDict("type=signature"))
    assert first.get_form_class() is second.get_form_class()
    assert first.form.fields["type"] is not second.form.fields["type"]
    assert (first.is_valid(), second.is_valid()) == (False, True)
    assert "type" in first.errors and not second.errors

    bad = client.get("/api/events/", {"type": "nonsense"})
    good = client.get("/api/events/", {"type": "signature", "treaty": "open-skies"})
    assert bad.status_code == 400
    assert [(error["parameter"], "nonsense" in error["message"]) for error in bad.json()["errors"]] == [("type", True)]
    assert good.status_code == 200 and [event["slug"] for event in good.json()["results"]] == ["open-skies-signature"]


def test_the_count_is_the_number_of_keys_only_when_they_are_records_and_the_only_condition(open_skies):
    """``known_count`` answers only for ``among``'s keys (an array: PostgreSQL) of a constrained foreign key to the
    listed model, alone; elsewhere the database counts."""
    russia_in = EventParticipant.objects.filter(state__code="RUS").values_list("event", flat=True)
    events = filters.among(Event.objects.all(), russia_in)
    known = 3 if connection.vendor == "postgresql" else None
    assert events.count() == 3
    assert filters.known_count(events) == known
    assert filters.known_count(events.order_by("-slug")) == known
    assert filters.known_count(events.filter(type="signature")) is None
    assert filters.known_count(Event.objects.exclude(pk__in=events)) is None
    # Keys that are not an event's foreign key (a statement's id is not an event): counted by the database.
    not_events = filters.among(Event.objects.all(), Statement.objects.values_list("pk", flat=True))
    assert filters.known_count(not_events) is None
    assert filters.known_count(Event.objects.all()) is None
