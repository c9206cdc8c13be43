"""What one anonymous client sends cannot change what another is served, nor grow the cache without bound, nor evict
the throttle's counts (the data version is in the database)."""

import pytest
from django.core.cache import caches
from django.test import Client

from apps.core.api.throttling import counted

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(make_event):
    for n in range(3):
        make_event(slug=f"poison-{n}")


def links(response) -> list[str]:
    body = response.json()
    return [body["next"], *(item["url"] for item in body["results"])]


def test_a_forged_host_port_does_not_reach_other_clients(events, settings):
    """A page requested with ``Host: testserver:6666`` keeps its links to itself; others get theirs."""
    settings.ALLOWED_HOSTS = ["testserver"]
    forged = Client().get("/api/events/", {"page_size": 1}, headers={"Host": "testserver:6666"})
    assert all(link.startswith("http://testserver:6666/api/") for link in links(forged))
    honest = Client().get("/api/events/", {"page_size": 1})
    assert honest["X-Cache"] == "miss"
    assert all(link.startswith("http://testserver/api/") for link in links(honest))
    assert Client().get("/api/events/", {"page_size": 1})["X-Cache"] == "hit"


def test_a_forged_forwarded_proto_does_not_reach_other_clients(events, settings):
    """``X-Forwarded-Proto: https`` from a client (no proxy) changes the links' scheme: the page is its own."""
    Client().get("/api/events/", {"page_size": 1}, headers={"X-Forwarded-Proto": "https"})
    honest = Client().get("/api/events/", {"page_size": 1})
    assert honest["X-Cache"] == "miss"
    assert all(link.startswith("http://testserver/") for link in links(honest))


def test_with_public_url_links_come_from_it_whatever_the_host(events, settings):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    settings.PUBLIC_URL = "https://treaties.example.org"
    for host in ("testserver:6666", "other.example", "testserver"):
        response = Client().get("/api/events/", {"page_size": 1}, headers={"Host": host})
        assert all(link.startswith("https://treaties.example.org/api/events/") for link in links(response))
    # One entry serves every host, since no link depends on it.
    assert response["X-Cache"] == "hit"


def test_a_host_outside_allowed_hosts_is_refused_before_the_cache(events, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    response = Client().get("/api/events/", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "X-Cache" not in response


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "*/*",
        "application/json, text/plain, */*",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/x-made-up-1, */*",
        "application/x-made-up-2, */*",
    ],
)
def test_accept_headers_that_negotiate_json_share_one_entry(events, accept):
    first = Client().get("/api/events/", headers={"Accept": "application/json"})
    assert first["X-Cache"] == "miss"
    again = Client().get("/api/events/", headers={"Accept": accept})
    assert again["X-Cache"] == "hit"
    assert again.content == first.content


def test_a_media_type_with_parameters_is_answered_but_not_stored(events):
    for indent in ("2", "3"):
        response = Client().get("/api/events/", headers={"Accept": f"application/json; indent={indent}"})
        assert response.status_code == 200
        assert "X-Cache" not in response
        assert response.content.startswith(b"{\n" + b" " * int(indent))
    assert Client().get("/api/events/")["X-Cache"] == "miss"


def test_an_unacceptable_media_type_is_not_stored(events):
    response = Client().get("/api/events/", headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "X-Cache" not in response


@pytest.mark.parametrize("path", ["/api/schema/?anything=1", "/api/schema/?lang=de", "/api/?x=1"])
def test_query_strings_an_endpoint_refuses_are_not_stored(path):
    """The schema and the root refuse unknown parameters as the lists do: no variant becomes an entry."""
    for _ in range(2):
        response = Client().get(path)
        assert response.status_code == 400
        assert "X-Cache" not in response
    assert Client().get(path.partition("?")[0])["X-Cache"] == "miss"


def test_the_roots_checked_query_string_is_stored(db):
    assert Client().get("/api/", {"format": "json"})["X-Cache"] == "miss"
    assert Client().get("/api/", {"format": "json"})["X-Cache"] == "hit"


def test_query_strings_an_endpoint_checked_are_stored(events):
    assert Client().get("/api/events/", {"page_size": 2})["X-Cache"] == "miss"
    assert Client().get("/api/events/", {"page_size": 2})["X-Cache"] == "hit"
    assert Client().get("/api/events/", {"bogus": 2}).status_code == 400


def test_pages_live_apart_from_the_throttle_counts(events, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "50/min", "user": None}}
    Client().get("/api/events/", {"page_size": 2})
    caches["default"].clear()  # whatever happens to the pages
    assert counted(caches["throttle"], "throttle_anon_127.0.0.1", 60) == 1


def test_filling_the_file_cache_with_pages_evicts_no_throttle_count(events, settings, tmp_path):
    """The review's attack: many unique anonymous requests made the shared file cache cull a third of its entries,
    throttle counts and the data version among them. Now the pages cull among themselves only (and the version is
    in the database)."""
    from treatyapi.settings import caches_from_url

    settings.CACHES = caches_from_url(f"file://{tmp_path}")
    settings.CACHES["default"]["OPTIONS"]["MAX_ENTRIES"] = 10
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "500/min", "user": None}}
    for other in range(2, 12):  # ten other clients, one uncached request each (a cached one is not counted)
        Client(REMOTE_ADDR=f"10.0.0.{other}").get("/api/events/", {"page_size": 100 + other})
    for size in range(2, 60):  # one client, many unique (accepted) pages
        assert Client().get("/api/events/", {"page_size": size})["X-Cache"] == "miss"
    assert len(list((tmp_path / "pages").iterdir())) <= 10
    counts = [counted(caches["throttle"], f"throttle_anon_10.0.0.{other}", 60) for other in range(2, 12)]
    assert counts == [1] * 10
    assert counted(caches["throttle"], "throttle_anon_127.0.0.1", 60) == 58
