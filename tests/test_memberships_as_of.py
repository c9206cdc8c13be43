"""Memberships as of a day: with ``as_of``, every time-dependent field (status, withdrawal notice, end) describes
that day, in JSON and CSV, and the ``status`` filter agrees with what the list shows."""

import csv
import datetime
import io

import pytest

from apps.core.partial_dates import PartialDate
from apps.treaties.models import membership_as_of
from tests.conftest import VERSION_QUERIES, shared_open_skies

# These tests only read the Open Skies record: it is built once for the module.
open_skies = pytest.fixture(shared_open_skies, name="open_skies")

pytestmark = pytest.mark.django_db


def usa(api, **params) -> dict:
    page = api("/api/memberships/", treaty="open-skies", state="usa", **params)
    assert page["count"] == 1, page
    return page["results"][0]


def test_the_united_states_is_active_before_its_notice(api, open_skies):
    """On 1 May 2020 the United States had not yet given notice (22 May 2020)."""
    item = usa(api, as_of="2020-05-01")
    assert item["status"] == "active"
    assert item["withdrawal_notified_on"] is None
    assert item["left_on"] is None
    assert item["joined_on"]["start"] == "1992-03-24"


def test_the_united_states_is_withdrawing_between_notice_and_departure(api, open_skies):
    """On 1 June 2020 notice had been given; the withdrawal took effect on 22 November 2020, not yet known."""
    item = usa(api, as_of="2020-06-01")
    assert item["status"] == "withdrawing"
    assert item["withdrawal_notified_on"]["display"] == "22 May 2020"
    assert item["left_on"] is None
    # On the day of the notice itself, and on the last day before leaving.
    assert usa(api, as_of="2020-05-22")["status"] == "withdrawing"
    assert usa(api, as_of="2020-11-21")["status"] == "withdrawing"


def test_the_united_states_is_not_listed_once_it_left(api, open_skies):
    assert api("/api/memberships/", treaty="open-skies", state="usa", as_of="2020-11-22")["count"] == 0


def test_without_as_of_the_current_status_and_dates_are_shown(api, open_skies):
    item = usa(api)
    assert item["status"] == "withdrawn"
    assert item["left_on"]["display"] == "22 November 2020"


def test_as_of_describes_the_day_in_csv_too(client, open_skies):
    response = client.get("/api/memberships/", {"treaty": "open-skies", "as_of": "2020-06-01", "format": "csv"})
    assert response.status_code == 200
    rows = {row["slug"]: row for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["open-skies-usa"]["status"] == "withdrawing"
    assert rows["open-skies-usa"]["left_on.start"] == ""
    assert rows["open-skies-usa"]["withdrawal_notified_on.start"] == "2020-05-22"


@pytest.mark.parametrize("day", ["1995-06-01", "2020-05-01", "2020-06-01", "2020-11-21", "2021-12-15", "2030-01-01"])
def test_the_status_filter_with_as_of_selects_the_status_shown_on_that_day(api, open_skies, day):
    shown = {item["slug"]: item["status"] for item in api("/api/memberships/", as_of=day, page_size=500)["results"]}
    for status in ("active", "withdrawing", "withdrawn", "ended"):
        selected = {item["slug"] for item in api("/api/memberships/", as_of=day, status=status)["results"]}
        assert selected == {slug for slug, shown_status in shown.items() if shown_status == status}, status


def test_the_status_filter_without_as_of_is_the_current_status(api, open_skies):
    selected = {item["slug"] for item in api("/api/memberships/", status="withdrawing")["results"]}
    assert selected == set()
    assert "open-skies-usa" in {item["slug"] for item in api("/api/memberships/", status="withdrawn")["results"]}


DAY, MONTH = "day", "month"


@pytest.mark.parametrize(
    ("notified", "left", "day", "expected"),
    [
        # A notice "in February 2019" is placed on or before D only once February is over.
        (PartialDate(datetime.date(2019, 2, 1), MONTH), None, datetime.date(2019, 2, 28), "active"),
        (PartialDate(datetime.date(2019, 2, 1), MONTH), None, datetime.date(2019, 3, 1), "withdrawing"),
        # An end that counts keeps the stored status (the as_of filter does not list such a membership).
        (None, PartialDate(datetime.date(2019, 8, 1), MONTH), datetime.date(2019, 9, 1), "withdrawn"),
        (None, PartialDate(datetime.date(2019, 8, 1), MONTH), datetime.date(2019, 8, 15), "active"),
        # Undated: the stored status cannot be placed in time and is kept.
        (None, None, datetime.date(1990, 1, 1), "withdrawn"),
    ],
)
def test_membership_as_of_places_coarse_and_missing_dates(notified, left, day, expected):
    status, _, _ = membership_as_of("withdrawn", notified, left, day)
    assert status == expected


def test_as_of_costs_no_extra_query(client, open_skies, django_assert_num_queries):
    client.get("/api/memberships/")  # warms the row plan and the content types
    with django_assert_num_queries(VERSION_QUERIES + 3):
        assert client.get("/api/memberships/", {"as_of": "2020-06-01", "page": 1}).status_code == 200
