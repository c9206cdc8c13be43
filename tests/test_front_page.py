"""The front page at / tells people what the dataset is, what it holds, when it changed and how to cite it, and
links to the API, its docs, the changes feed and the desk; the admin's "View site" leads there."""

import re

import pytest

from apps.changes.models import Change
from apps.sources.models import Source


@pytest.fixture
def front(client, open_skies):
    response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    return response.content.decode()


def row(html: str, slug: str) -> list[str]:
    match = re.search(rf'<tr data-slug="{slug}">(.*?)</tr>', html, re.DOTALL)
    assert match, slug
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S)]


def test_it_lists_each_treaty_with_its_counts(front):
    assert row(front, "open-skies") == ["Open Skies Treaty", "In force", "3", "3", "2"]
    assert row(front, "inf") == ["Intermediate-Range Nuclear Forces Treaty", "Terminated", "1", "1", "0"]
    assert f"2 treaties, 4 states, {Source.objects.count()} sources" in front


def test_it_links_to_the_api_the_docs_the_changes_feed_and_the_desk(front):
    for href in ["/api/", "/api/docs/", "/api/redoc/", "/api/schema/", "/api/changes/", "/admin/"]:
        assert f'href="{href}"' in front, href
    assert 'href="/api/treaties/open-skies/"' in front
    assert 'href="/api/memberships/?treaty=open-skies"' in front


def test_it_says_when_the_data_last_changed_and_how_to_cite_it(front):
    last = Change.objects.latest("id").at
    assert f'datetime="{last.isoformat()}"' in front
    assert f"(data as of {last.day} {last:%B %Y})" in front
    assert "Treaty API: a curated, source-cited dataset of arms-control treaty facts. http://testserver/" in front


def test_it_loads_nothing_from_elsewhere(front):
    assert "<script" not in front
    assert "<link" not in front
    assert not re.search(r'(src|href)="(https?:)?//', front)


def test_it_is_computed_once_per_data_version(client, open_skies, make_state, django_assert_num_queries):
    with django_assert_num_queries(8):
        client.get("/")
    with django_assert_num_queries(0):
        client.get("/")
    make_state(code="UKR", name="Ukraine")
    assert "2 treaties, 5 states" in client.get("/").content.decode()


def test_the_admins_view_site_link_leads_to_it(admin_client, open_skies):
    index = admin_client.get("/admin/").content.decode()
    assert re.search(r'<a href="/">View site</a>', index)
    assert admin_client.get("/").status_code == 200
