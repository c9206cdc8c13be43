"""Bad input is refused with a 400 (or a 413/415) naming what is wrong, or handled; never a 500, on either database."""

import pytest
from rest_framework.test import APIClient

from apps.treaties.models import Treaty

URL = "/api/treaties/inf/"


def raw_patch(client, body: bytes, content_type: str = "application/json", **headers):
    etag = client.get(URL)["ETag"]
    return client.generic("PATCH", URL, body, content_type=content_type, HTTP_IF_MATCH=etag, **headers)


def test_bodies_over_the_size_limit_are_413(open_skies, curator_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = raw_patch(curator_api, b'{"summary": "' + b"x" * 2000 + b'"}')
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "limit of 1000 bytes" in response.json()["detail"] or "the limit is 1000 bytes" in response.json()["detail"]


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]
)
def test_bodies_other_than_json_are_415(open_skies, curator_api, content_type):
    response = raw_patch(curator_api, b"summary=x", content_type)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"summary": "x"', "not valid JSON"),
        (b'{"summary": "\xff\xfe"}', "not valid UTF-8"),
        (b'["a list"]', "must be a JSON object"),
        (b'{"summary": NaN}', "not valid JSON"),
    ],
)
def test_malformed_bodies_are_400(open_skies, curator_api, body, message):
    response = raw_patch(curator_api, body)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"summary": "a\u0000b"}, "summary"),
        ({"aliases": ["ok", "nul\u0000"]}, "aliases[1]"),
        ({"summary": "lone \ud800 surrogate"}, "summary"),
        ({"citations": [{"source": "tass-2021-russia-withdrawal", "quote": "q\u0000"}]}, "citations[0].quote"),
    ],
)
def test_text_no_database_stores_is_400_naming_the_field(open_skies, curator_api, body, field):
    """NUL (refused by PostgreSQL) and unpaired surrogates (not UTF-8) are refused before any query, on both DBs."""
    import json

    response = raw_patch(curator_api, json.dumps(body).encode())
    assert response.status_code == 400, response.content
    assert [error["parameter"] for error in response.json()["errors"]] == [field]


def test_ten_thousand_characters_in_a_bounded_field_is_400(open_skies, curator_api, write):
    response = write(curator_api, "patch", URL, {"name": "x" * 10_000}, expect=400, etag=curator_api.get(URL)["ETag"])
    assert response.json()["errors"][0]["parameter"] == "name"
    assert "300 characters" in response.json()["errors"][0]["message"]


def test_ten_thousand_characters_in_free_text_is_stored(open_skies, curator_api, write):
    write(curator_api, "patch", URL, {"summary": "y" * 10_000}, expect=200, etag=curator_api.get(URL)["ETag"])
    assert len(Treaty.objects.get(slug="inf").summary) == 10_000


@pytest.mark.parametrize(
    "text",
    ["Türkiye", "Беларусь", "دولة", "👩🏽‍🚀 flags 🇺🇦", "e\u0301 combining", "\u200bzero\u200dwidth", "\U0010fffd"],
)
def test_unusual_unicode_round_trips(open_skies, curator_api, write, text):
    response = write(curator_api, "patch", URL, {"summary": text}, expect=200, etag=curator_api.get(URL)["ETag"])
    assert response.json()["summary"] == text
    assert APIClient().get(URL).json()["summary"] == text


@pytest.mark.parametrize("q", ["%", "_", "100%_", "\\", "'; DROP TABLE treaties_treaty; --", "' OR '1'='1"])
def test_sql_and_like_wildcards_in_search_match_literally(open_skies, q):
    body = APIClient().get("/api/treaties/", {"q": q}).json()
    assert body["count"] == 0
    assert Treaty.objects.count() == 2


def test_like_wildcards_in_stored_text_are_found_literally(open_skies, curator_api, write):
    write(curator_api, "patch", URL, {"summary": "Cut by 100% in_full"}, expect=200, etag=curator_api.get(URL)["ETag"])
    assert [t["slug"] for t in APIClient().get("/api/treaties/", {"q": "100% in_"}).json()["results"]] == ["inf"]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"q": "x" * 10_000}, "too_long"),
        ({"q": "a\x00b"}, "null_character"),
        ({"treaty": "open-skies\x00"}, "null_character"),
    ],
)
def test_query_parameters_are_bounded_and_nul_free(open_skies, params, code):
    response = APIClient().get("/api/events/", params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code


@pytest.mark.parametrize("path", ["/api/events/a%00b/", "/api/events/%E2%80%8B/", "/api/states/R%00S/"])
def test_odd_keys_in_the_path_are_404s(open_skies, path):
    response = APIClient().get(path)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_page_size_has_an_enforced_maximum(open_skies):
    response = APIClient().get("/api/events/", {"page_size": 501})
    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "page_size"


def test_anonymous_clients_are_throttled_with_retry_after(open_skies, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/min", "user": None}}
    client = APIClient()
    statuses = [client.get("/api/events/", {"page_size": size}).status_code for size in range(1, 5)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/events/", {"page_size": 9})
    assert int(response["Retry-After"]) > 0
    body = response.json()
    assert (body["status"], body["code"], body["errors"]) == (429, "throttled", [])


def test_tokens_are_throttled_per_user(open_skies, curator_api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": None, "user": "2/min"}}
    assert [curator_api.get(URL).status_code for _ in range(3)] == [200, 200, 429]
    assert int(curator_api.get(URL)["Retry-After"]) > 0


def test_throttle_counts_live_in_the_shared_cache(open_skies, settings):
    """The counters are in the throttle cache (from CACHE_URL), which every process shares, apart from the pages."""
    from django.core.cache import caches

    from apps.core.api.throttling import counted

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "5/min", "user": None}}
    APIClient().get("/api/events/", {"page_size": 2})
    assert counted(caches["throttle"], "throttle_anon_127.0.0.1", 60) == 1
    assert counted(caches["default"], "throttle_anon_127.0.0.1", 60) == 0
