"""The database's JSON (apps/core/api/json_sql.py, rows.py) in the cases a page of the corpus does not show: a record
deleted between two queries, hosts, and the columns and settings it must refuse."""

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from rest_framework import serializers

from apps.core.api.rows import RowPlan, url_safe
from apps.core.models import validate_aliases
from apps.events.models import Event, Statement
from apps.treaties.models import State, Treaty


def deleting_first(monkeypatch, model, slug: str) -> None:
    """The record is deleted just before the database is asked for its JSON (as by a curator, between the two)."""
    json_by_key = RowPlan.json_by_key

    def deleted_then_read(plan, keys, *args, **kwargs):
        model.objects.filter(slug=slug).delete()
        return json_by_key(plan, keys, *args, **kwargs)

    monkeypatch.setattr(RowPlan, "json_by_key", deleted_then_read)


def test_a_record_deleted_after_its_lookup_is_a_404_not_a_500(client, make_event, monkeypatch):
    make_event(slug="going")
    deleting_first(monkeypatch, Event, "going")
    response = client.get("/api/events/going/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_a_record_deleted_after_the_timelines_keys_is_left_out(client, make_event, monkeypatch):
    treaty = Treaty.objects.create(slug="t", name="T", kind="bilateral", domain="other", status="in_force")
    make_event(slug="staying", treaty=treaty)
    make_event(slug="going", treaty=treaty)
    deleting_first(monkeypatch, Event, "going")
    response = client.get("/api/treaties/t/timeline/")
    assert response.status_code == 200
    assert [entry["event"]["slug"] for entry in response.json()["results"]] == ["staying"]


@override_settings(ALLOWED_HOSTS=["api.example", "localhost"])
def test_each_host_gets_its_own_links_from_one_compiled_statement(client, make_event):
    """The origin is a parameter of the statement, not part of it: a client naming hosts or ports cannot make the
    process compile and keep a statement each."""
    make_event(slug="linked")
    RowPlan._json_select.cache_clear()
    urls = []
    for host in ("api.example", "api.example:8001", "localhost:8002"):
        body = client.get("/api/events/linked/", HTTP_HOST=host).json()
        urls.append(body["url"])
    assert urls == [
        "http://api.example/api/events/linked/",
        "http://api.example:8001/api/events/linked/",
        "http://localhost:8002/api/events/linked/",
    ]
    assert RowPlan._json_select.cache_info().currsize == 1


def test_an_alias_with_a_nul_character_is_refused():
    """SQLite's JSON functions end a string at NUL: no write path stores one."""
    with pytest.raises(ValidationError, match="NUL"):
        validate_aliases(["Rus\x00sia"])


def test_a_charfield_over_a_column_that_is_not_text_leaves_the_plan_to_the_readers():
    """DRF shows an integer through a CharField as a string; the database would write the number."""

    class WithStart(serializers.ModelSerializer):
        start_text = serializers.CharField(source="id")

        class Meta:
            model = Event
            fields = ["slug", "start_text"]

    assert RowPlan(WithStart(), Event).json_refusal() == "start_text: the database cannot write a CharField."


@pytest.mark.parametrize(
    ("pattern", "safe"),
    [
        (r"^[A-Z]{3}$", True),
        (r"^[-a-z0-9_]+\Z", True),
        (r"[A-Z]{3}", False),  # unanchored: RegexValidator searches, 'x"USA' passes
        (r"^[0-z]+$", False),  # a range that takes in ':', '?', '@', '[' ...
        (r"^[A-z]+$", False),
        (r"^.+$", False),
    ],
)
def test_a_link_key_is_written_as_it_is_only_when_its_validator_allows_nothing_that_needs_quoting(
    monkeypatch, pattern, safe
):
    from django.core.validators import RegexValidator

    field = State._meta.get_field("code")
    monkeypatch.setattr(field, "validators", [RegexValidator(pattern)])
    assert url_safe(State, "code") is safe


def test_a_timeline_whose_entries_share_one_date_or_none_pages_in_order(client, make_event, make_statement):
    """Many entries on one date and many undated, in both kinds: every page from either end (the database merges the
    kinds on the date, then orders each date's entries: events first, then by slug)."""
    import datetime

    treaty = Treaty.objects.create(slug="t", name="T", kind="bilateral", domain="other", status="in_force")
    same_day = {"date": datetime.date(2001, 1, 1), "date_precision": "year"}
    undated = {"date": None, "date_precision": ""}
    for n in range(7):
        make_event(slug=f"e-{n:02}", treaty=treaty, **(same_day if n % 2 else undated))
        make_statement(slug=f"s-{n:02}", treaty=treaty, **(same_day if n % 3 else undated))
    expected = sorted(
        [("undated" if not e.date else "dated", "event", e.slug) for e in Event.objects.filter(treaty=treaty)]
        + [
            ("undated" if not s.date else "dated", "statement", s.slug)
            for s in Statement.objects.filter(treaty=treaty)
        ]
    )
    for page_size in (1, 3, 4, 14):
        entries, page = [], 1
        while page:
            body = client.get("/api/treaties/t/timeline/", {"page_size": page_size, "page": page}).json()
            entries += [
                (
                    "undated" if not entry["date"] else "dated",
                    entry["kind"],
                    (entry["event"] or entry["statement"])["slug"],
                )
                for entry in body["results"]
            ]
            page = page + 1 if body["next"] else None
        assert entries == expected, page_size
