"""Curators write through the API: every resource, by natural key, through the models' rules; others only read."""

import pytest
from rest_framework.test import APIClient

from apps.events.models import Event
from apps.treaties.models import Membership, Treaty

# (endpoint, key of an existing record, body of a new record) on the open_skies fixture.
NEW = {
    "sources": (
        "tass-2021-russia-withdrawal",
        {
            "slug": "new-source",
            "title": "A new report",
            "language": "en",
            "kind": "news_report",
            "web_url": "https://example.org/report",
            "published_on": "2020-05-01",
            "published_on_precision": "month",
        },
    ),
    "states": ("RUS", {"code": "UKR", "name": "Ukraine", "aliases": ["Ukraina"], "successor_of": "sun"}),
    "treaties": (
        "inf",
        {
            "slug": "cfe",
            "name": "Treaty on Conventional Armed Forces in Europe",
            "kind": "multilateral",
            "domain": "arms_control",
            "depositaries": ["usa"],
            "citations": [{"source": "tass-2021-russia-withdrawal", "quote": "The CFE Treaty."}],
        },
    ),
    "memberships": (
        "inf-usa",
        {
            "slug": "inf-rus",
            "treaty": "inf",
            "state": "RUS",
            "role": "party",
            "status": "ended",
            "joined_on": "1988-06-01",
            "joined_on_precision": "day",
            "left_on": "2019-08-02",
            "left_on_precision": "day",
            "citations": [{"source": "reuters-2020-us-notice", "quote": "Russia was a party.", "locator": "para. 1"}],
        },
    ),
    "events": (
        "inf-termination",
        {"slug": "new-meeting", "type": "meeting", "title": "A meeting", "date": "2021", "date_precision": "year"},
    ),
    "statements": (
        "joint-statement",
        {
            "slug": "new-statement",
            "speaker": "A spokesperson",
            "kind": "remarks",
            "stance": "neutral",
            "text": "We take note.",
            "on_behalf_of": "USA",
            "joint_with": ["blr"],
            "mentions": ["rus"],
            "treaty": "open-skies",
            "responds_to": "us-withdrawal-notice",
            "date": None,
            "date_precision": "",
        },
    ),
}
NEW["events"][1].update(date="2021-01-01", participants=[{"state": "rus", "role": "actor"}])
# Every cited record is created with a supporting citation (apps/sources/citations.py).
NEW["events"][1]["citations"] = [{"source": "tass-2021-russia-withdrawal", "quote": "They met in 2021."}]
NEW["statements"][1]["citations"] = [{"source": "tass-2021-russia-withdrawal", "quote": "We take note, he said."}]
ENDPOINTS = list(NEW)


def detail(endpoint: str, key: str) -> str:
    return f"/api/{endpoint}/{key}/"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_reads_need_no_credentials(open_skies, endpoint):
    """Regression: a GET with no credentials at all works on every list and detail endpoint."""
    client = APIClient()
    key = NEW[endpoint][0]
    assert client.get(f"/api/{endpoint}/").json()["count"] > 0
    assert client.get(detail(endpoint, key)).status_code == 200
    assert client.get("/api/treaties/open-skies/timeline/").status_code == 200


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_anonymous_writes_are_401_with_the_error_body(open_skies, write, endpoint):
    client = APIClient()
    key, body = NEW[endpoint]
    for method, path in [
        ("post", f"/api/{endpoint}/"),
        ("put", detail(endpoint, key)),
        ("patch", detail(endpoint, key)),
        ("delete", detail(endpoint, key)),
    ]:
        response = write(client, method, path, body, expect=401, etag='"x"')
        assert response.json() == {
            "status": 401,
            "code": "not_authenticated",
            "detail": "Authentication credentials were not provided.",
            "errors": [],
        }
        assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_users_without_the_model_permission_are_403(open_skies, reviewer_api, write, endpoint):
    key, body = NEW[endpoint]
    assert reviewer_api.get(detail(endpoint, key)).status_code == 200
    for method, path in [
        ("post", f"/api/{endpoint}/"),
        ("patch", detail(endpoint, key)),
        ("delete", detail(endpoint, key)),
    ]:
        response = write(reviewer_api, method, path, body, expect=403, etag='"x"')
        assert response.json()["code"] == "permission_denied"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_curators_create_update_and_delete(open_skies, curator_api, write, endpoint):
    """A create answers the record as a GET shows it, with Location and ETag; updates and deletes follow."""
    _, body = NEW[endpoint]
    created = write(curator_api, "post", f"/api/{endpoint}/", body, expect=201)
    url = created["Location"]
    assert created.json()["url"] == url
    # PEP 3333: header values are exactly str. A str subclass (DRF's Hyperlink) passes gunicorn but makes
    # runserver, the README's server, answer the committed create with a 500.
    assert all(type(value) is str for value in created.headers.values())
    shown = curator_api.get(url)
    assert shown.json() == created.json()
    assert shown["ETag"] == created["ETag"]

    changed = write(
        curator_api, "patch", url, {"notes": "Checked against the treaty text."}, expect=200, etag=created["ETag"]
    )
    assert changed.json()["notes"] == "Checked against the treaty text."
    assert changed["ETag"] != created["ETag"]

    write(curator_api, "delete", url, expect=204, etag=changed["ETag"])
    assert curator_api.get(url).status_code == 404


def test_a_created_record_embeds_its_references(open_skies, curator_api, write):
    body = write(curator_api, "post", "/api/memberships/", NEW["memberships"][1], expect=201).json()
    assert body["treaty"]["slug"] == "inf" and body["state"]["code"] == "RUS"
    assert body["joined_on"] == {
        "start": "1988-06-01",
        "end": "1988-06-01",
        "precision": "day",
        "display": "1 June 1988",
    }
    assert [(c["source"]["slug"], c["quote"], c["locator"]) for c in body["citations"]] == [
        ("reuters-2020-us-notice", "Russia was a party.", "para. 1")
    ]
    event = write(curator_api, "post", "/api/events/", NEW["events"][1], expect=201).json()
    assert [(p["code"], p["role"]) for p in event["participants"]] == [("RUS", "actor")]


def test_citations_given_replace_the_old_ones_and_omitted_leave_them(open_skies, curator_api, write):
    url = detail("memberships", "open-skies-usa")
    before = curator_api.get(url)
    kept = write(curator_api, "patch", url, {"notes": "n"}, expect=200, etag=before["ETag"])
    assert kept.json()["citations"] == before.json()["citations"]
    replaced = write(
        curator_api,
        "patch",
        url,
        {
            "citations": [
                {
                    "source": "tass-2021-russia-withdrawal",
                    "quote": "One.",
                    "stance": "contradicts",
                    "note": "Gives another date.",
                },
                {"source": "reuters-2020-us-notice", "quote": "Two."},
            ]
        },
        expect=200,
        etag=kept["ETag"],
    ).json()
    assert [(c["source"]["slug"], c["quote"], c["stance"]) for c in replaced["citations"]] == [
        ("reuters-2020-us-notice", "Two.", "supports"),
        ("tass-2021-russia-withdrawal", "One.", "contradicts"),
    ]


@pytest.mark.parametrize(
    ("endpoint", "key", "change", "field", "message"),
    [
        (
            "memberships",
            "open-skies-usa",
            {"left_on": "1990-01-01"},
            "left_on",
            "A state cannot leave a treaty before it joined.",
        ),
        (
            "memberships",
            "open-skies-blr",
            {"joined_on": "2020-05-02", "joined_on_precision": "month"},
            "joined_on",
            "A month-precision joined_on must be the 1st of its month.",
        ),
        (
            "events",
            "inf-termination",
            {"treaty": None},
            "treaty",
            "This type of event is an act under a treaty: choose the treaty.",
        ),
        (
            "statements",
            "peskov-regrets",
            {"treaty": "inf"},
            "responds_to",
            "The event 'us-withdrawal-notice' is about Open Skies Treaty, but this statement is about "
            "Intermediate-Range Nuclear Forces Treaty; choose an event about the same treaty, or correct the treaty.",
        ),
        ("states", "USA", {"aliases": ["U.S.", "U.S."]}, "aliases", "Each alias is listed once."),
        ("states", "RUS", {"name": "Belarus"}, "name", "State with this Name already exists."),
        (
            "sources",
            "tass-2021-russia-withdrawal",
            {"language": "Russian"},
            "language",
            "Use a BCP 47 language tag such as 'en' or 'en-GB'.",
        ),
        ("sources", "tass-2021-russia-withdrawal", {"web_url": "not a url"}, "web_url", "Enter a valid URL."),
        (
            "treaties",
            "inf",
            {"citations": [{"source": "tass-2021-russia-withdrawal", "quote": "x" * 601}]},
            "citations[0].quote",
            "Quote one or two sentences: at most 600 characters.",
        ),
        (
            "treaties",
            "inf",
            {
                "citations": [
                    {"source": "tass-2021-russia-withdrawal", "quote": "Same."},
                    {"source": "tass-2021-russia-withdrawal", "quote": "Same."},
                ]
            },
            "citations[1]",
            "This passage of this source is already cited for this record.",
        ),
        (
            "events",
            "inf-termination",
            {"treaty": "no-such-treaty"},
            "treaty",
            "No treaty has the slug 'no-such-treaty'; see /api/treaties/.",
        ),
    ],
)
def test_model_rules_are_400s_naming_the_field(open_skies, curator_api, write, endpoint, key, change, field, message):
    """The API enforces the models' own rules (full_clean), with the models' messages, on the field at fault."""
    url = detail(endpoint, key)
    response = write(curator_api, "patch", url, change, expect=400, etag=curator_api.get(url)["ETag"])
    body = response.json()
    assert body["status"] == 400 and body["code"] == "invalid"
    assert {"parameter": field, "message": message} in [
        {"parameter": error["parameter"], "message": error["message"]} for error in body["errors"]
    ], body
    assert body["detail"].startswith("Invalid field")


def test_a_failed_write_changes_nothing(open_skies, curator_api, write):
    """Citations are replaced in the same transaction as the record: a bad citation leaves both as they were."""
    url = detail("treaties", "inf")
    before = curator_api.get(url).json()
    write(
        curator_api,
        "patch",
        url,
        {
            "summary": "Changed",
            "citations": [
                {"source": "tass-2021-russia-withdrawal", "quote": "A."},
                {"source": "tass-2021-russia-withdrawal", "quote": ""},
            ],
        },
        expect=400,
        etag=curator_api.get(url)["ETag"],
    )
    assert curator_api.get(url).json() == before


def test_required_fields_are_named(open_skies, curator_api, write):
    body = write(curator_api, "post", "/api/events/", {"slug": "x"}, expect=400).json()
    assert {error["parameter"] for error in body["errors"]} == {"type", "title"}


def test_a_taken_key_is_400_naming_it(open_skies, curator_api, write):
    body = write(curator_api, "post", "/api/treaties/", {**NEW["treaties"][1], "slug": "inf"}, expect=400).json()
    assert body["errors"][0]["parameter"] == "slug"


@pytest.mark.parametrize(
    ("path", "dependents"),
    [
        ("treaties/open-skies", {"memberships", "events", "statements"}),
        ("states/SUN", {"states"}),
        ("sources/tass-2021-russia-withdrawal", {"membership citations", "event citations", "statement citations"}),
        ("events/us-withdrawal-notice", {"statements"}),
    ],
)
def test_deleting_a_record_others_depend_on_is_409_naming_them(open_skies, curator_api, write, path, dependents):
    url = f"/api/{path}/"
    response = write(curator_api, "delete", url, expect=409, etag=curator_api.get(url)["ETag"])
    body = response.json()
    assert body["code"] == "conflict"
    assert {error["parameter"] for error in body["errors"]} <= dependents | {
        "treaty citations",
        "event participants",
        "memberships",
        "events",
        "statements",
    }
    assert {error["parameter"] for error in body["errors"]} & dependents
    assert all(error["code"] == "protected" for error in body["errors"])
    assert curator_api.get(url).status_code == 200


def test_protected_delete_names_the_dependents(open_skies, curator_api, write):
    url = detail("events", "us-withdrawal-notice")
    body = write(curator_api, "delete", url, expect=409, etag=curator_api.get(url)["ETag"]).json()
    assert body["errors"] == [
        {"parameter": "statements", "message": "1 statement refer to it: peskov-regrets.", "code": "protected"}
    ]


def test_session_writes_need_the_csrf_token(open_skies, make_api_user, writers_group):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(make_api_user("browser", writers_group))
    body = {"notes": "From the browser."}
    url = detail("treaties", "inf")
    etag = client.get(url)["ETag"]
    refused = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    client.get("/admin/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.patch(url, body, format="json", HTTP_IF_MATCH=etag, HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["notes"] == "From the browser."


def test_method_not_allowed_and_unknown_keys_keep_the_error_shape(open_skies, curator_api, write):
    body = write(curator_api, "post", detail("events", "inf-termination"), {}, expect=405).json()
    assert body == {"status": 405, "code": "method_not_allowed", "detail": 'Method "POST" not allowed.', "errors": []}
    body = write(curator_api, "patch", detail("events", "no-such-event"), {}, expect=404, etag='"x"').json()
    assert body["errors"] == [
        {"parameter": "slug", "message": "No event has the slug 'no-such-event'.", "code": "not_found"}
    ]


def test_writes_are_saved_once_with_their_rows(open_skies, curator_api, write):
    write(curator_api, "post", "/api/treaties/", NEW["treaties"][1], expect=201)
    treaty = Treaty.objects.get(slug="cfe")
    assert list(treaty.depositaries.values_list("code", flat=True)) == ["USA"]
    assert treaty.citations.count() == 1
    assert not Membership.objects.filter(slug="inf-rus").exists()
    assert Event.objects.filter(slug="new-meeting").count() == 0


def test_unknown_body_fields_are_400_naming_them(open_skies, curator_api, write):
    url = detail("treaties", "inf")
    body = {"sumary": "typo", "citations": [{"source": "tass-2021-russia-withdrawal", "quote": "Q.", "page": 3}]}
    errors = write(curator_api, "patch", url, body, expect=400, etag=curator_api.get(url)["ETag"]).json()["errors"]
    assert [(error["parameter"], error["code"]) for error in errors] == [("sumary", "unknown")]
    del body["sumary"]
    errors = write(curator_api, "patch", url, body, expect=400, etag=curator_api.get(url)["ETag"]).json()["errors"]
    assert [error["parameter"] for error in errors] == ["citations[0].page"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_methods_an_endpoint_lacks_are_405_even_anonymously(open_skies, write, method):
    """A read-only endpoint answers 405 (with Allow), not 401: there are no credentials that would make it work."""
    response = write(APIClient(), method, "/api/treaties/open-skies/timeline/", {}, expect=405)
    assert response.json()["code"] == "method_not_allowed"
    assert "PUT" not in response["Allow"]


def test_a_statement_names_its_states_by_code(open_skies, curator_api, write):
    body = write(curator_api, "post", "/api/statements/", NEW["statements"][1], expect=201).json()
    assert body["on_behalf_of"]["code"] == "USA"
    assert [state["code"] for state in body["joint_with"]] == ["BLR"]
    assert [state["code"] for state in body["mentions"]] == ["RUS"]
    assert body["responds_to"]["slug"] == "us-withdrawal-notice"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"notes": 0}, "notes", "Give a string."),
        ({"kind": 1}, "kind", "Give a string."),
        ({"successor_of": ""}, "successor_of", "Give a key, or null to leave it empty."),
        ({"aliases": [0]}, "aliases", "Give a list of strings."),
    ],
)
def test_values_of_the_wrong_type_are_not_coerced(open_skies, curator_api, write, change, field, message):
    url = detail("states", "RUS")
    body = write(curator_api, "patch", url, change, expect=400, etag=curator_api.get(url)["ETag"]).json()
    assert [(e["parameter"], e["message"]) for e in body["errors"]] == [(field, message)]


def test_a_boolean_must_be_a_boolean(open_skies, curator_api, write):
    url = detail("statements", "peskov-regrets")
    body = write(curator_api, "patch", url, {"is_verbatim": "true"}, expect=400, etag=curator_api.get(url)["ETag"])
    assert body.json()["errors"][0]["parameter"] == "is_verbatim"


def test_a_malformed_body_is_400_before_the_precondition(open_skies, curator_api, write):
    """Whatever If-Match says, a body that could never be accepted is reported first."""
    body = write(curator_api, "patch", detail("treaties", "inf"), {"kind": "banana"}, expect=400, etag='"stale"')
    assert body.json()["errors"][0]["parameter"] == "kind"


def test_lists_must_be_lists_and_list_items_complete_even_in_a_patch(open_skies, curator_api, write):
    url = detail("treaties", "inf")
    etag = curator_api.get(url)["ETag"]
    errors = write(curator_api, "patch", url, {"depositaries": {}}, expect=400, etag=etag).json()["errors"]
    assert [(e["parameter"], e["code"]) for e in errors] == [("depositaries", "not_a_list")]
    errors = write(curator_api, "patch", url, {"citations": [{"quote": "Q."}]}, expect=400, etag=etag).json()["errors"]
    assert [(e["parameter"], e["code"]) for e in errors] == [("citations[0].source", "required")]


def test_a_locked_database_is_503_with_retry_after_and_nothing_written(open_skies, curator_api, write, monkeypatch):
    """SQLite answers "database is locked" when another writer holds it past the wait: a 503 to retry, not a 500."""
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(Event, "save", locked)
    body = NEW["events"][1] | {"slug": "locked"}
    response = write(curator_api, "post", "/api/events/", body, expect=503)
    assert response["Retry-After"] == "1"
    assert response.json() == {
        "status": 503,
        "code": "unavailable",
        "detail": "The database is busy or unavailable; nothing was changed. Retry in a moment.",
        "errors": [],
    }
    assert not Event.objects.filter(slug="locked").exists()


@pytest.mark.parametrize(
    ("endpoint", "model", "field"), [("events", Event, "date"), ("memberships", Membership, "left_on")]
)
def test_a_year_given_as_a_date_is_400_saying_how_to_write_it(open_skies, curator_api, write, endpoint, model, field):
    """The API answers "2020" in a date with the admin form's words: its first day, with the precision Year."""
    path = detail(endpoint, model.objects.order_by("pk").first().slug)
    body = write(curator_api, "patch", path, {field: "2020"}, expect=400, etag=curator_api.get(path)["ETag"]).json()
    assert [(e["parameter"], e["message"]) for e in body["errors"]] == [
        (field, "“2020” is a year: enter 2020-01-01 (1 January) and choose the precision Year.")
    ]
