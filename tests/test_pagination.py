"""Deep pages: read from the nearer end and by key, they hold exactly the rows plain offset pagination gives."""

import pytest
from django.core.management import call_command
from django.core.paginator import Paginator

from apps.core.api import pagination
from apps.core.api.pagination import DeepPagePaginator
from apps.events.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(monkeypatch):
    call_command("generate_synthetic", events=300, statements=0, states=10, treaties=5, sources=10, verbosity=0)
    # Small enough that the key-first path runs on this small list too.
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_AFTER", 40)
    return Event.objects.select_related("treaty").order_by("date", "slug")


@pytest.mark.parametrize("per_page", [7, 50, 100, 299, 300, 301])
def test_every_page_matches_plain_offset_pagination(events, per_page):
    assert events.filter(date__isnull=True).exists(), "unknown dates sort at one end; they must be covered"
    plain, deep = Paginator(events, per_page), DeepPagePaginator(events, per_page)
    assert deep.num_pages == plain.num_pages
    for number in plain.page_range:
        expected = [event.slug for event in plain.page(number)]
        assert [event.slug for event in deep.page(number)] == expected, number


def test_a_filtered_list_pages_the_same(events):
    treaty_events = events.filter(treaty__slug="syn-treaty-001")
    plain, deep = Paginator(treaty_events, 10), DeepPagePaginator(treaty_events, 10)
    for number in plain.page_range:
        assert list(deep.page(number)) == list(plain.page(number))


def test_the_last_page_is_read_from_the_end_without_an_offset(events, django_assert_max_num_queries):
    deep = DeepPagePaginator(events, 100)
    deep.count  # noqa: B018 - the count is its own query
    with django_assert_max_num_queries(1) as captured:
        page = deep.page(deep.num_pages)
    assert "OFFSET" not in captured.captured_queries[0]["sql"]
    assert [event.slug for event in page] == [event.slug for event in events[200:]]


def test_a_searched_list_pages_in_one_order_from_either_end(events, client):
    """A search's order (relevance, then list order) is total: pages read from the end in the reversed order, and by
    key past the first rows, hold what one page of everything holds, in the same order."""
    matching = set(events.filter(title__endswith="under treaty 1").values_list("slug", flat=True))
    assert len(matching) > 40
    whole = client.get("/api/events/", {"q": "treaty 1", "page_size": 500}).json()["results"]
    assert {event["slug"] for event in whole} == matching
    slugs = []
    for page in range(1, len(matching) // 9 + 2):
        body = client.get("/api/events/", {"q": "treaty 1", "page_size": 9, "page": page}).json()
        slugs += [item["slug"] for item in body["results"]]
    assert body["count"] == len(matching)
    assert slugs == [event["slug"] for event in whole]
