"""The read API over the real, curated dataset (fixtures/): every record serializes, filters answer real questions."""

import csv
import datetime
import io

import pytest

from apps.events.models import Event, Statement
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty

KEYS = {
    "treaties": (Treaty, "slug"),
    "states": (State, "code"),
    "memberships": (Membership, "slug"),
    "events": (Event, "slug"),
    "statements": (Statement, "slug"),
    "sources": (Source, "slug"),
}


def all_results(api, path, **params) -> list[dict]:
    return api(path, page_size=500, **params)["results"]


@pytest.mark.parametrize("endpoint", KEYS)
def test_every_record_is_listed_and_answers_by_key(api, dataset, endpoint):
    model, key = KEYS[endpoint]
    results = all_results(api, f"/api/{endpoint}/")
    assert [item[key] for item in results] and len(results) == model.objects.count()
    for item in results:
        assert api(item["url"].removeprefix("http://testserver")) == item


@pytest.mark.parametrize("endpoint", KEYS)
def test_every_list_exports_csv(client, dataset, endpoint):
    response = client.get(f"/api/{endpoint}/", {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == KEYS[endpoint][0].objects.count() + 1
    assert all(len(row) == len(rows[0]) for row in rows)


def test_open_skies_events_answer_in_one_call(api, dataset):
    events = all_results(api, "/api/events/", treaty="open-skies")
    assert events
    assert {event["treaty"]["slug"] for event in events} == {"open-skies"}
    dated = [event["date"]["start"] for event in events if event["date"]]
    assert dated == sorted(dated)
    assert all(event["citations"] for event in events), "every event is cited"
    treaty = api("/api/treaties/open-skies/")
    assert treaty["name"] == Treaty.objects.get(slug="open-skies").name


def test_state_and_type_filters_agree_with_the_database(api, dataset):
    for state in State.objects.all():
        expected = sorted(Event.objects.filter(participants__state=state).values_list("slug", flat=True).distinct())
        got = sorted(event["slug"] for event in all_results(api, "/api/events/", state=state.code.lower()))
        assert got == expected, state.code
    for event_type in Event.objects.values_list("type", flat=True).distinct():
        got = all_results(api, "/api/events/", type=event_type)
        assert got and {event["type"] for event in got} == {event_type}


def test_memberships_as_of_keeps_parties_with_unknown_joining_dates(api, dataset):
    undated = Membership.objects.filter(joined_on__isnull=True, left_on__isnull=True)
    for membership in Membership.objects.filter(treaty__slug="open-skies"):
        day = (membership.joined_on or membership.left_on or datetime.date(2015, 1, 1)).isoformat()
        slugs = {item["slug"] for item in all_results(api, "/api/memberships/", treaty="open-skies", as_of=day)}
        assert set(undated.filter(treaty__slug="open-skies").values_list("slug", flat=True)) <= slugs


def test_timelines_cover_each_treatys_events_and_statements(api, dataset):
    for treaty in Treaty.objects.all():
        timeline = api(f"/api/treaties/{treaty.slug}/timeline/", page_size=500)
        assert timeline["count"] == len(timeline["results"]) == treaty.events.count() + treaty.statements.count()


@pytest.mark.parametrize("endpoint", KEYS)
def test_query_count_on_the_dataset_is_the_same_at_page_sizes_1_and_100(
    client, dataset, django_assert_num_queries, endpoint
):
    from tests.conftest import VERSION_QUERIES
    from tests.test_api_queries import JSON_LIST_QUERIES

    for page_size in (1, 100):
        with django_assert_num_queries(VERSION_QUERIES + JSON_LIST_QUERIES):
            assert client.get(f"/api/{endpoint}/", {"page_size": page_size}).status_code == 200


def test_statements_naming_a_state_are_found_by_its_code(api, dataset):
    """?state= finds what a state said and what was said about it: China only appears as named by Trump."""
    found = api("/api/statements/", state="chn")
    assert [statement["slug"] for statement in found["results"]] == ["trump-no-new-start-extension-unless-china-joins"]
    assert found["results"][0]["mentions"] == [
        {"code": "CHN", "name": "China", "url": "http://testserver/api/states/CHN/"}
    ]
