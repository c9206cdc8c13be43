"""The benchmark's floor returns the API's JSON, so that its ratios compare equal work.

The floor (``bench/views.py``) builds a page of a treaty's events by hand. When the API's events gained fields
(issue 12's citation selectors, ``verified``, ``statements_url``) the floor did not, and for a while every
ratio to it measured the API's extra fields as slowness. This test fails the day the two differ again.
"""

import datetime

import pytest
from django.test import override_settings

from apps.events.models import Event, EventCitation

pytestmark = pytest.mark.django_db


@override_settings(ROOT_URLCONF="bench.urls", SECURE_SSL_REDIRECT=False)
def test_the_floor_returns_the_same_json_as_the_events_list(client, sample_dataset, make_event, make_state):
    treaty = sample_dataset["treaty"]
    # An undated event (sorted last), one with a partial date, and a citation with its selectors filled.
    france = make_state(code="FRA", name="France")
    make_event(treaty=treaty, date=None, date_precision="", participants=[(france, "actor")])
    make_event(treaty=treaty, date=datetime.date(2021, 1, 1), date_precision="year")
    citation = EventCitation.objects.filter(event=sample_dataset["events"][0]).get()
    EventCitation.objects.filter(pk=citation.pk).update(prefix="Before ", suffix=" after", start=10, end=19)
    # Whole seconds, as in the benchmark's synthetic data: JsonResponse writes milliseconds, DRF microseconds.
    Event.objects.update(updated_at=datetime.datetime(2025, 6, 1, 22, 2, 13, tzinfo=datetime.UTC))

    floor = client.get(f"/bench/values/?treaty={treaty.slug}&page_size=100")
    api = client.get(f"/api/events/?treaty={treaty.slug}&page_size=100")

    assert floor.status_code == api.status_code == 200
    assert api.json()["count"] == 7
    assert floor.json() == api.json()
    # Not only equal after parsing: the same fields in the same order.
    assert [list(row) for row in floor.json()["results"]] == [list(row) for row in api.json()["results"]]
