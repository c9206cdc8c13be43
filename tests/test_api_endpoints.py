"""The read API's endpoints: lookup by natural key, representations, pagination, errors, timeline and CSV."""

import csv
import datetime
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.core.api.renderers import columns
from apps.events.api.serializers import EventSerializer
from apps.events.api.views import TimelinePosition
from apps.events.models import Event, EventCitation
from tests.conftest import shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")

ENDPOINTS = {
    "treaties": ("open-skies", "slug"),
    "states": ("RUS", "code"),
    "memberships": ("open-skies-usa", "slug"),
    "events": ("us-withdrawal-notice", "slug"),
    "statements": ("peskov-regrets", "slug"),
    "sources": ("tass-2021-russia-withdrawal", "slug"),
}


def test_api_root_lists_every_endpoint(api, db):
    """The API root links the six collections, then the other entry points (tests/test_api_links.py)."""
    root = api("/api/")
    assert list(root)[:6] == ["treaties", "states", "memberships", "events", "statements", "sources"]
    assert root["events"] == "http://testserver/api/events/"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_list_and_detail_by_natural_key(api, open_skies, endpoint):
    """Each list item carries its key and url; the url is the detail endpoint, which answers the same item."""
    key, key_field = ENDPOINTS[endpoint]
    page = api(f"/api/{endpoint}/")
    assert set(page) == {"count", "next", "previous", "results"}
    item = next(item for item in page["results"] if item[key_field] == key)
    assert item["url"] == f"http://testserver/api/{endpoint}/{key}/"
    assert api(f"/api/{endpoint}/{key}/") == item


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_unknown_key_is_404_naming_the_key(api, open_skies, endpoint):
    """An unknown key answers 404 in the error shape, naming the path parameter."""
    key_field = ENDPOINTS[endpoint][1]
    body = api(f"/api/{endpoint}/zzz/", expect=404)
    assert body["status"] == 404
    assert body["code"] == "not_found"
    assert body["detail"].endswith(f"with {key_field} '{'ZZZ' if key_field == 'code' else 'zzz'}'.")
    assert body["errors"] == [{"parameter": key_field, "message": body["errors"][0]["message"], "code": "not_found"}]


@pytest.mark.parametrize("code", ["rus", "RUS", "Rus"])
def test_state_codes_in_any_case(api, open_skies, code):
    """/api/states/rus/ and /api/states/RUS/ are the same state."""
    assert api(f"/api/states/{code}/")["code"] == "RUS"


def test_unrouted_api_path_answers_json_404(client, db):
    """A path no route matches answers in the error shape, pointing at the API root."""
    response = client.get("/api/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "code": "not_found",
        "detail": "No endpoint at /api/no-such-thing/; the API root /api/ lists them.",
        "errors": [],
    }


@pytest.mark.parametrize("path", ["/api/no-such-thing/", "/api/no-such-thing", "/api/events/open-skies/x/"])
def test_unrouted_api_path_answers_json_404_in_development_too(client, db, settings, path):
    """With DEBUG on, as the README's server runs, Django answered its HTML debug page, which generated clients
    cannot parse; reads that only miss the trailing slash are still redirected."""
    settings.DEBUG = True
    response = client.get(path)
    assert response.status_code == 404
    assert response.json()["detail"] == f"No endpoint at {path}; the API root /api/ lists them."
    assert client.get("/api/events")["Location"] == "/api/events/"
    assert client.get("/no-such-page/")["Content-Type"].startswith("text/html")


def test_server_error_under_api_answers_json(rf):
    """A crash under /api/ answers in the error shape, with no detail leaked to the client."""
    from apps.core.api.exceptions import server_error_view

    response = server_error_view(rf.get("/api/events/"))
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "status": 500,
        "code": "server_error",
        "detail": "The server failed to answer; the error is logged.",
        "errors": [],
    }


def test_event_embeds_treaty_states_and_citations(api, open_skies):
    """One call answers the question: the treaty, the states with their roles, and the cited passages."""
    event = api("/api/events/us-withdrawal-notice/")
    assert event["type"] == "withdrawal_notice"
    assert event["treaty"] == {
        "slug": "open-skies",
        "url": "http://testserver/api/treaties/open-skies/",
        "name": "Treaty on Open Skies",
        "short_name": "Open Skies Treaty",
    }
    assert [(p["code"], p["name"], p["role"]) for p in event["participants"]] == [
        ("USA", "United States", "actor"),
        ("RUS", "Russia", "target"),
    ]
    assert event["participants"][0]["url"] == "http://testserver/api/states/USA/"
    assert event["citations"] == [
        {
            "source": {
                "slug": "reuters-2020-us-notice",
                "url": "http://testserver/api/sources/reuters-2020-us-notice/",
                "title": "=U.S. gives notice",
            },
            "quote": "The U.S. formally notified.",
            "locator": "para. 2",
            "stance": "supports",
            "note": "",
            # The source's text is not loaded: no position, and not verified.
            "prefix": "",
            "suffix": "",
            "start": None,
            "end": None,
            "verified": False,
        }
    ]


@pytest.mark.parametrize(
    ("path", "field", "expected"),
    [
        (
            "/api/events/us-withdrawal-notice/",
            "date",
            {"start": "2020-05-22", "end": "2020-05-22", "precision": "day", "display": "22 May 2020"},
        ),
        (
            "/api/events/russia-withdrawal-effective/",
            "date",
            {"start": "2021-12-01", "end": "2021-12-31", "precision": "month", "display": "December 2021"},
        ),
        (
            "/api/events/open-skies-signature/",
            "date",
            {"start": "1992-01-01", "end": "1992-12-31", "precision": "year", "display": "1992"},
        ),
        ("/api/events/undated-exercise/", "date", None),
        ("/api/memberships/open-skies-blr/", "joined_on", None),
        (
            "/api/sources/reuters-2020-us-notice/",
            "published_on",
            {"start": "2020-05-01", "end": "2020-05-31", "precision": "month", "display": "May 2020"},
        ),
    ],
)
def test_partial_dates_carry_period_precision_and_display(api, open_skies, path, field, expected):
    """A partial date gives its period, its precision and a display form; an unknown date is null."""
    assert api(path)[field] == expected


def test_statement_embeds_speaker_states_treaty_and_event(api, open_skies):
    statement = api("/api/statements/joint-statement/")
    assert [state["code"] for state in statement["joint_with"]] == ["BLR", "USA"]
    assert statement["on_behalf_of"] is None
    peskov = api("/api/statements/peskov-regrets/")
    assert peskov["on_behalf_of"]["code"] == "RUS"
    assert peskov["responds_to"] == {
        "slug": "us-withdrawal-notice",
        "url": "http://testserver/api/events/us-withdrawal-notice/",
        "title": "United States gives notice of withdrawal",
    }
    assert peskov["citations"][0]["source"]["slug"] == "tass-2021-russia-withdrawal"


def test_membership_state_and_treaty_representations(api, open_skies):
    membership = api("/api/memberships/open-skies-usa/")
    assert membership["state"]["code"] == "USA"
    assert membership["treaty"]["slug"] == "open-skies"
    assert membership["left_on"]["display"] == "22 November 2020"
    russia = api("/api/states/RUS/")
    assert russia["successor_of"] == {
        "code": "SUN",
        "url": "http://testserver/api/states/SUN/",
        "name": "Soviet Union",
    }
    assert russia["aliases"] == ["Russian Federation"]
    treaty = api("/api/treaties/open-skies/")
    assert [state["code"] for state in treaty["depositaries"]] == ["USA"]
    assert treaty["citations"][0]["quote"].startswith("The Treaty on Open Skies entered into force")
    source = api("/api/sources/reuters-2020-us-notice/")
    assert source["publisher"] == "Thomson Reuters"
    assert "web_url" in source


def test_events_sort_by_date_with_unknown_dates_last(api, open_skies):
    """Default order: date, then slug; an undated event comes last on every database."""
    slugs = [event["slug"] for event in api("/api/events/")["results"]]
    assert slugs == [
        "open-skies-signature",
        "inf-termination",
        "us-withdrawal-notice",
        "russia-withdrawal-effective",
        "undated-exercise",
    ]


def test_pagination_envelope_default_and_page_size(api, open_skies):
    page = api("/api/events/", page_size=2)
    assert page["count"] == 5
    assert len(page["results"]) == 2
    assert page["previous"] is None
    assert page["next"] == "http://testserver/api/events/?page=2&page_size=2"
    last = api("/api/events/", page_size=2, page=3)
    assert [event["slug"] for event in last["results"]] == ["undated-exercise"]
    assert last["next"] is None


def test_page_past_the_last_is_404_naming_page(api, open_skies):
    body = api("/api/events/", expect=404, page=9, page_size=2)
    assert body["errors"] == [
        {"parameter": "page", "message": "There is no page 9; the last page is 3 at page_size 2.", "code": "not_found"}
    ]


def test_treaty_timeline_is_chronological(api, open_skies):
    """Events and statements of one treaty in date order; same date: the event first."""
    timeline = api("/api/treaties/open-skies/timeline/")["results"]
    entries = [(entry["kind"], (entry["event"] or entry["statement"])["slug"]) for entry in timeline]
    assert entries == [
        ("event", "open-skies-signature"),
        ("statement", "joint-statement"),
        ("event", "us-withdrawal-notice"),
        ("statement", "peskov-regrets"),
        ("event", "russia-withdrawal-effective"),
    ]
    assert timeline[0]["date"]["display"] == "1992"
    assert timeline[0]["statement"] is None
    assert timeline[1]["event"] is None


def test_treaty_timeline_is_paginated_as_the_lists_are(api, open_skies):
    """The DRF envelope, page and page_size; the pages together are the whole timeline, in order."""
    whole = api("/api/treaties/open-skies/timeline/")
    pages = [api("/api/treaties/open-skies/timeline/", page_size=2, page=page) for page in (1, 2, 3)]
    assert whole["count"] == pages[0]["count"] == 5
    assert pages[0]["previous"] is None and pages[2]["next"] is None
    assert [entry for page in pages for entry in page["results"]] == whole["results"]
    # Its links are cursors, leading to the same pages.
    assert pages[0]["next"].startswith("http://testserver/api/treaties/open-skies/timeline/?")
    assert set(parse_qs(urlsplit(pages[0]["next"]).query)) == {"after", "page_size"}
    assert api(pages[0]["next"])["results"] == pages[1]["results"]
    assert api(pages[2]["previous"])["results"] == pages[1]["results"]
    assert api(pages[1]["previous"])["results"] == pages[0]["results"]


def entries(body: dict) -> list[tuple[str, str]]:
    return [(entry["kind"], (entry["event"] or entry["statement"])["slug"]) for entry in body["results"]]


def followed(api, body: dict, link: str) -> list[dict]:
    """The pages reached from ``body`` by following ``link`` ("next" or "previous") to its end."""
    pages = [body]
    while pages[-1][link]:
        pages.append(api(pages[-1][link]))
    return pages


@pytest.fixture
def crowded_timeline(api, open_skies, make_event, make_statement):
    """Open Skies' timeline with events and statements sharing a day, and undated ones of both kinds. Returns its
    entries, in order."""
    treaty = open_skies["treaty"]
    day = datetime.date(2020, 5, 22)
    for n in (1, 2):
        make_event(slug=f"same-day-event-{n}", treaty=treaty, date=day)
        make_statement(slug=f"same-day-statement-{n}", treaty=treaty, date=day)
        make_event(slug=f"undated-event-{n}", treaty=treaty, date=None, date_precision="")
        make_statement(slug=f"undated-statement-{n}", treaty=treaty, date=None, date_precision="")
    return entries(api("/api/treaties/open-skies/timeline/", page_size=500))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_a_timeline_read_by_its_links_is_the_whole_timeline_in_order(api, crowded_timeline, size):
    """From the first page by ``next``, and back from the last by ``previous``: every entry once, in order, however
    the pages fall on a day shared by both kinds and on undated entries."""
    assert len(crowded_timeline) == 13
    assert crowded_timeline[-4:] == [
        ("event", "undated-event-1"),
        ("event", "undated-event-2"),
        ("statement", "undated-statement-1"),
        ("statement", "undated-statement-2"),
    ]
    forward = followed(api, api("/api/treaties/open-skies/timeline/", page_size=size), "next")
    assert [entry for page in forward for entry in entries(page)] == crowded_timeline
    assert all(len(entries(page)) == size for page in forward[:-1])
    backward = followed(api, forward[-1], "previous")
    assert [entry for page in reversed(backward) for entry in entries(page)] == crowded_timeline
    assert {page["count"] for page in forward + backward} == {13}
    # A page reached by cursor is the page of that number.
    for number, page in enumerate(forward, start=1):
        assert entries(api("/api/treaties/open-skies/timeline/", page_size=size, page=number)) == entries(page)


def test_a_timeline_cursor_is_a_place_not_a_count(api, crowded_timeline, make_event, open_skies):
    """Entries added before the cursor, and the cursor's own entry deleted: the next page is still what follows that
    place (a page number would shift by the entries added before it)."""
    first = api("/api/treaties/open-skies/timeline/", page_size=4)
    second = api(first["next"])
    make_event(slug="aaa-early", treaty=open_skies["treaty"], date=datetime.date(1990, 1, 1))
    Event.objects.filter(slug=entries(first)[-1][1]).delete()
    assert entries(api(first["next"])) == entries(second)
    assert api(first["next"])["count"] == 13


def test_a_timeline_cursor_beyond_either_end_is_an_empty_page_linking_back(api, crowded_timeline):
    """No entry after the last one (nor before the first): an empty page whose one link leads back to the timeline's
    end by page number."""
    timeline = "/api/treaties/open-skies/timeline/"
    after_the_last = TimelinePosition(None, "statement", "undated-statement-2").encode()
    empty = api(timeline, page_size=5, after=after_the_last)
    assert (empty["results"], empty["next"], empty["count"]) == ([], None, 13)
    assert empty["previous"] == "http://testserver/api/treaties/open-skies/timeline/?page=3&page_size=5"
    assert entries(api(empty["previous"])) == crowded_timeline[10:]
    before_the_first = TimelinePosition(datetime.date(1992, 1, 1), "event", "open-skies-signature").encode()
    empty = api(timeline, page_size=5, before=before_the_first)
    assert (empty["results"], empty["previous"]) == ([], None)
    assert entries(api(empty["next"])) == crowded_timeline[:5]


def test_a_timeline_refuses_a_cursor_it_did_not_give_and_mixed_positions(api, crowded_timeline):
    """A cursor is refused with a 400 naming it when it is not one the timeline gave; page, after and before exclude
    each other."""
    timeline = "/api/treaties/open-skies/timeline/"
    made_up = [
        "nonsense",
        "2020-01-01.treaty.x",  # not a kind of entry
        "2020-02-30.event.x",  # not a day
        "2020-01-01.event",
        "2020-01-01.event.",
        "2020-01-01.event.a b",
        "2020-01-01.event.été",  # not a slug
        "0000-01-01.event.x",
        "dated.event.x",
        "..",
    ]
    for bad in made_up:
        (error,) = api(timeline, expect=400, after=bad)["errors"]
        assert (error["parameter"], error["code"]) == ("after", "invalid"), bad
        assert "follow a page's `next` or `previous` link" in error["message"]
    (error,) = api(timeline, expect=400, before="2020-01-01.event.a\x00b")["errors"]
    assert error["parameter"] == "before"
    cursor = parse_qs(urlsplit(api(timeline, page_size=2)["next"]).query)["after"][0]
    errors = api(timeline, expect=400, page=2, after=cursor)["errors"]
    assert {error["parameter"] for error in errors} == {"page", "after"}
    assert errors[0]["message"] == "Give one of page, after and before, not page and after."
    errors = api(timeline, expect=400, before=cursor, after=cursor)["errors"]
    assert {error["parameter"] for error in errors} == {"after", "before"}


@pytest.mark.parametrize("kind", ["event", "statement"])
def test_a_timeline_walks_past_an_entry_with_the_longest_slug(api, open_skies, make_event, make_statement, kind):
    """A 150-character slug (the most a slug may have) makes the longest cursor; its links are still accepted."""
    make = make_event if kind == "event" else make_statement
    longest = "x" * Event._meta.get_field("slug").max_length
    make(slug=longest, treaty=open_skies["treaty"], date=datetime.date(2020, 5, 22))
    whole = entries(api("/api/treaties/open-skies/timeline/", page_size=500))
    assert (kind, longest) in whole
    forward = followed(api, api("/api/treaties/open-skies/timeline/", page_size=1), "next")
    assert [entry for page in forward for entry in entries(page)] == whole
    backward = followed(api, forward[-1], "previous")
    assert [entry for page in reversed(backward) for entry in entries(page)] == whole


def test_treaty_timeline_refuses_unknown_parameters_and_pages_past_the_last(api, open_skies):
    """Strict parameters, as on the lists: each error names the parameter and what is accepted."""
    timeline = "/api/treaties/open-skies/timeline/"
    (unknown,) = api(timeline, expect=400, type="signature")["errors"]
    assert (unknown["parameter"], unknown["code"]) == ("type", "unknown")
    assert unknown["message"].endswith("this endpoint accepts: page, page_size, after, before, format.")
    (past_the_last,) = api(timeline, expect=404, page=4, page_size=2)["errors"]
    assert past_the_last["message"] == "There is no page 4; the last page is 3 at page_size 2."
    (too_large,) = api(timeline, expect=400, page_size=501)["errors"]
    assert too_large["parameter"] == "page_size"


def test_timeline_of_unknown_treaty_is_404(api, open_skies):
    body = api("/api/treaties/no-such-treaty/timeline/", expect=404)
    assert body["detail"] == "No treaty with slug 'no-such-treaty'."


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_csv_export_is_flat_with_stable_columns(client, open_skies):
    """format=csv gives every matching row, columns in serializer order, nested objects as dotted columns."""
    response = client.get("/api/events/", {"format": "csv", "treaty": "open-skies"})
    assert response["Content-Disposition"] == 'attachment; filename="events.csv"'
    rows = _csv(response)
    # The serializer's fields in order, a nested object's fields as dotted columns (spelled out here only where the
    # flattening shows, so that a field added to events needs no change to this test).
    header = rows[0]
    assert header == columns(EventSerializer())
    assert header[:7] == ["slug", "url", "type", "date.start", "date.end", "date.precision", "date.display"]
    treaty_columns = ["treaty.slug", "treaty.url", "treaty.name", "treaty.short_name"]
    assert header[header.index("treaty.slug") : header.index("treaty.slug") + 4] == treaty_columns
    assert {"participants", "citations"} <= set(header) and "treaty" not in header and "date" not in header
    assert len(rows) == 4
    notice = dict(zip(rows[0], rows[2], strict=True))
    # Links point at the records themselves, not at a CSV of them.
    assert notice["url"] == "http://testserver/api/events/us-withdrawal-notice/"
    assert notice["treaty.url"] == "http://testserver/api/treaties/open-skies/"
    assert notice["date.display"] == "22 May 2020"
    assert notice["participants"] == "USA (actor); RUS (target)"
    # Each citation as its source and where in it: a researcher can find the passage without the JSON.
    assert notice["citations"] == "reuters-2020-us-notice (para. 2)"


def test_csv_header_is_the_same_for_an_empty_list(client, open_skies):
    full = _csv(client.get("/api/events/", {"format": "csv"}))
    empty = _csv(client.get("/api/events/", {"format": "csv", "q": "nothing matches this"}))
    assert empty == [full[0]]


def test_csv_escapes_spreadsheet_formulas(client, open_skies):
    """Cells starting with = + - @ tab or CR get a leading apostrophe, so a spreadsheet shows them as text."""
    sources = _csv(client.get("/api/sources/", {"format": "csv"}))
    titles = [dict(zip(sources[0], row, strict=True))["title"] for row in sources[1:]]
    assert "'=U.S. gives notice" in titles
    statements = _csv(client.get("/api/statements/", {"format": "csv"}))
    texts = [dict(zip(statements[0], row, strict=True))["text"] for row in statements[1:]]
    assert "'-1 reasons to stay" in texts


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_list_endpoint_exports_csv(client, open_skies, endpoint):
    rows = _csv(client.get(f"/api/{endpoint}/", {"format": "csv"}))
    assert rows[0][:2] == [ENDPOINTS[endpoint][1], "url"]
    assert len(rows) > 1


def test_json_links_carry_no_format_parameter(api, open_skies):
    event = api("/api/events/us-withdrawal-notice/", format="json")
    assert event["url"] == "http://testserver/api/events/us-withdrawal-notice/"
    assert event["participants"][0]["url"] == "http://testserver/api/states/USA/"


def test_csv_with_page_size_is_paginated(client, open_skies):
    rows = _csv(client.get("/api/events/", {"format": "csv", "page_size": 2}))
    assert len(rows) == 3


def test_csv_errors_stay_json(client, open_skies):
    response = client.get("/api/events/", {"format": "csv", "type": "banana"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["parameter"] == "type"


def test_unknown_format_is_400_naming_the_formats(api, open_skies):
    body = api("/api/events/", expect=400, format="xml")
    assert body["errors"] == [
        {
            "parameter": "format",
            "message": "'xml' is not a format of this endpoint; give one of: json, csv.",
            "code": "invalid",
        }
    ]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_browsable_api_is_off_without_debug(client, open_skies, endpoint):
    """The HTML view is for development (DEBUG=1, checked in test_deploy_settings); production answers JSON."""
    response = client.get(f"/api/{endpoint}/", {"format": "api"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "format"
    assert b"<html" not in client.get(f"/api/{endpoint}/", HTTP_ACCEPT="text/html").content


def test_csv_citations_name_each_passage_by_source_and_paragraph(client, open_skies, make_source):
    """Two passages of one source read apart; a citation without a locator (its source's text is not loaded) is its
    source alone."""
    event = Event.objects.get(slug="us-withdrawal-notice")
    reuters = event.citations.get().source
    EventCitation.objects.create(event=event, source=reuters, quote="Another passage.", locator="para. 5")
    EventCitation.objects.create(event=event, source=make_source(slug="tass-2020"), quote="Unplaced.")
    rows = _csv(client.get("/api/events/", {"format": "csv", "treaty": "open-skies"}))
    notice = next(dict(zip(rows[0], row, strict=True)) for row in rows[1:] if row[0] == "us-withdrawal-notice")
    assert notice["citations"] == "reuters-2020-us-notice (para. 2); reuters-2020-us-notice (para. 5); tass-2020"
