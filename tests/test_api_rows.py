"""Lists built from rows (apps/core/api/rows.py) are byte for byte what the read serializers render.

Each list URL is requested three times: its records' JSON written by the database, rendered from rows in Python,
and through the serializers, on the real dataset with synthetic data beside it (every endpoint, several filters,
page sizes, orderings and deep pages), and the bodies compared. The same runs on PostgreSQL in CI.
"""

import json

import pytest
from django.core.management import call_command
from django.db.models import Count
from rest_framework import serializers

from apps.core.api.rows import RowListMixin, RowPlan
from apps.core.partial_dates import DatePrecision
from apps.events.api.views import TreatyTimelineView
from apps.events.models import Event, EventParticipant, Statement
from apps.treaties.models import Treaty
from tests.conftest import for_the_module

RENDERERS = (RowListMixin, TreatyTimelineView)


@pytest.fixture(scope="module")
def _corpus_once(django_db_setup, django_db_blocker):
    """The curated dataset and, beside it, a small synthetic one with enough events for deep pages."""
    with for_the_module(django_db_blocker):
        call_command("load_dataset", "--no-migrate", verbosity=0)
        call_command(
            "generate_synthetic",
            events=2500,
            statements=400,
            states=30,
            treaties=8,
            sources=60,
            append=True,
            verbosity=0,
        )
        yield


@pytest.fixture
def corpus(_corpus_once, db, settings):
    # Every request renders: a cached body would make both renderings the same response. Every alias is a dummy, and
    # the in-process copy of recent pages keeps nothing (the data version does not change between the two).
    from treatyapi.settings import caches_from_url

    settings.CACHES = caches_from_url("dummy://")
    settings.API_CACHE_RECENT_BYTES = 0


def renderings(client, monkeypatch, url: str) -> dict[str, bytes]:
    """The body of ``url`` written by the database, built from rows in Python, then rendered through the
    serializers; each must be a 200."""
    bodies = {}
    for name, render_rows, write_json in (
        ("database", True, True),
        ("rows", True, False),
        ("serializers", False, False),
    ):
        for renderer in RENDERERS:
            monkeypatch.setattr(renderer, "render_rows", render_rows)
            monkeypatch.setattr(renderer, "write_json", write_json)
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:500])
        bodies[name] = response.content
    return bodies


def both_renderings(client, monkeypatch, url: str) -> tuple[bytes, bytes]:
    """The body of ``url`` from the database's JSON and from rows in Python, which must be the same bytes, then
    rendered through the serializers."""
    bodies = renderings(client, monkeypatch, url)
    assert bodies["database"] == bodies["rows"], url
    return bodies["rows"], bodies["serializers"]


def busiest(relation: str, treaties=Treaty.objects) -> str:
    """The slug of the treaty with the most events or statements."""
    return treaties.annotate(n=Count(relation)).order_by("-n", "slug").values_list("slug", flat=True)[0]


def list_urls() -> list[str]:
    """Questions to every list endpoint, over the curated and the synthetic records."""
    curated_treaty = busiest("events", Treaty.objects.exclude(slug__startswith="syn-"))
    synthetic_treaty = busiest("events")
    state = EventParticipant.objects.values_list("state__code", flat=True).order_by("state__code").first()
    event = Statement.objects.exclude(responds_to=None).values_list("responds_to__slug", flat=True).first()
    events = Event.objects.count()
    return [
        "/api/events/?page_size=100",
        "/api/events/?page_size=1",
        f"/api/events/?treaty={curated_treaty}&page_size=500",
        f"/api/events/?treaty={synthetic_treaty}&page_size=100&page=2",
        f"/api/events/?state={state.lower()}&ordering=-date",
        "/api/events/?type=signature&type=withdrawal_notice&date_after=1990-01-01&date_before=2021-06-30",
        "/api/events/?ordering=-updated_at&page_size=50",
        "/api/events/?ordering=slug&q=withdraw",
        # Deep pages: read from the end of the list, and by key past the first thousand rows.
        f"/api/events/?page_size=7&page={events // 7 - 1}",
        f"/api/events/?page_size=3&page={events // 6}",
        "/api/events/?format=csv&page_size=20",
        f"/api/events/?format=csv&treaty={curated_treaty}",
        "/api/statements/?page_size=500",
        "/api/statements/?page_size=100&page=3",
        f"/api/statements/?treaty={curated_treaty}",
        f"/api/statements/?state={state}&stance=regrets",
        f"/api/statements/?responds_to={event}",
        "/api/memberships/?page_size=500",
        "/api/memberships/?format=csv",
        f"/api/memberships/?as_of=2010-06-30&treaty={synthetic_treaty}",
        "/api/memberships/?role=party&page_size=13&page=2",
        "/api/treaties/?page_size=100",
        f"/api/treaties/?state={state}",
        "/api/states/?page_size=500",
        "/api/sources/?page_size=500",
        "/api/sources/?date_after=2020-01-01&page_size=20",
        f"/api/treaties/{curated_treaty}/timeline/?page_size=500",
        f"/api/treaties/{synthetic_treaty}/timeline/?page_size=100&page=2",
        f"/api/treaties/{synthetic_treaty}/timeline/?page_size=1",
    ]


def test_lists_from_rows_are_the_serializers_output_byte_for_byte(client, monkeypatch, corpus):
    for url in list_urls():
        from_rows, serialized = both_renderings(client, monkeypatch, url)
        assert from_rows == serialized, url


def detail_urls() -> list[str]:
    """A record of every endpoint, and the records whose lists or nested records are empty or full."""
    from apps.sources.models import Source
    from apps.treaties.models import Membership, State

    events = Event.objects.annotate(n=Count("participants") + Count("citations"))
    statements = Statement.objects.annotate(n=Count("joint_with") + Count("mentions"))
    records = {
        "events": [*events.order_by("-n", "slug")[:1], *events.order_by("n", "slug")[:1]],
        "statements": [*statements.order_by("-n", "slug")[:1], Statement.objects.exclude(responds_to=None).first()],
        "memberships": [Membership.objects.order_by("slug").first()],
        "treaties": [Treaty.objects.get(slug="open-skies")],
        "states": [State.objects.get(code="RUS")],
        "sources": [Source.objects.order_by("slug").first()],
    }
    urls = [
        f"/api/{endpoint}/{record.slug if endpoint != 'states' else record.code}/"
        for endpoint, found in records.items()
        for record in found
    ]
    return [*urls, f"/api/events/{Event.objects.filter(treaty=None).values_list('slug', flat=True)[0]}/"]


def test_details_from_rows_are_the_serializers_output_byte_for_byte(client, monkeypatch, corpus):
    for url in detail_urls():
        from_rows, serialized = both_renderings(client, monkeypatch, url)
        assert from_rows == serialized, url


def test_the_compared_lists_hold_every_kind_of_date_and_a_null_treaty(client, monkeypatch, corpus):
    """The comparison covers what could differ: every precision, unknown dates, events without a treaty."""
    results = []
    for page in range(1, Event.objects.count() // 500 + 2):
        from_rows, _ = both_renderings(client, monkeypatch, f"/api/events/?page_size=500&page={page}")
        results += json.loads(from_rows)["results"]
    precisions = {event["date"]["precision"] if event["date"] else None for event in results}
    assert precisions == {*DatePrecision.values, None}
    assert any(event["treaty"] is None for event in results)


@pytest.mark.parametrize("url", ["/api/events/?page_size=50", "/api/memberships/?page_size=50"])
def test_timestamps_from_rows_are_in_the_time_zone_drf_would_use(client, monkeypatch, corpus, settings, url):
    """Rows fix the current time zone once per response (DRF looks it up for each value): both show it."""
    settings.TIME_ZONE = "Asia/Kolkata"
    from_rows, serialized = both_renderings(client, monkeypatch, url)
    assert from_rows == serialized
    assert b'+05:30"' in from_rows


@pytest.mark.parametrize(
    "url", ["/api/events/?page_size=5", "/api/treaties/?page_size=5", "/api/treaties/inf/timeline/"]
)
def test_the_comparison_sees_a_changed_key_order(client, monkeypatch, corpus, url):
    """The test above can fail: rows rendered with their keys in another order are not the serializers' bytes."""
    row = RowPlan.row
    monkeypatch.setattr(RowPlan, "row", lambda plan, *args: dict(reversed(row(plan, *args).items())))
    bodies = renderings(client, monkeypatch, url)
    assert bodies["rows"] != bodies["serializers"]
    assert json.loads(bodies["rows"]) == json.loads(bodies["serializers"])


@pytest.mark.parametrize(
    "url", ["/api/events/?page_size=5", "/api/treaties/?page_size=5", "/api/events/inf-signature-1987-12/"]
)
def test_the_comparison_sees_the_database_write_keys_in_another_order(client, monkeypatch, corpus, url):
    """The database's JSON with its keys in another order is not the serializers' bytes either."""
    json_text = RowPlan.json_text

    def reversed_keys(plan, page):
        writers = plan.json_writers
        plan.json_writers = writers[::-1]
        try:
            return json_text(plan, page)
        finally:
            plan.json_writers = writers

    monkeypatch.setattr(RowPlan, "json_text", reversed_keys)
    RowPlan._json_select.cache_clear()
    try:
        bodies = renderings(client, monkeypatch, url)
    finally:
        RowPlan._json_select.cache_clear()
    assert bodies["database"] != bodies["serializers"]
    assert json.loads(bodies["database"]) == json.loads(bodies["serializers"])


def test_a_format_suffix_is_rendered_by_the_serializers(client, corpus):
    """``/api/events.json`` puts the suffix into every link, as only DRF's fields do."""
    body = client.get("/api/events.json", {"page_size": 2}).json()
    assert body["results"][0]["url"].endswith(".json")


@pytest.mark.parametrize(
    "field",
    [
        serializers.SerializerMethodField(),
        serializers.PrimaryKeyRelatedField(source="states", many=True, read_only=True),
        serializers.SlugRelatedField(source="treaty", slug_field="slug", read_only=True),
    ],
)
def test_a_field_that_cannot_be_read_from_a_row_is_refused_when_the_plan_is_built(field):
    class EventSerializer(serializers.ModelSerializer):
        extra = field

        class Meta:
            model = Event
            fields = ["slug", "extra"]

    with pytest.raises(TypeError, match="extra"):
        RowPlan(EventSerializer(), Event)


def api_plans() -> dict[str, RowPlan]:
    """The plan of every viewset whose GETs are built by a plan, by the viewset's name."""
    from django.urls import get_resolver

    from apps.core.api.rows import row_plan

    def views(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from views(pattern.url_patterns)
            elif issubclass(getattr(pattern.callback, "cls", object), RowListMixin):
                yield pattern.callback.cls

    return {viewset.__name__: row_plan(viewset) for viewset in views(get_resolver().url_patterns)}


def test_the_database_writes_the_json_of_every_endpoint():
    """No endpoint's JSON is left to the Python readers: each plan's every field has its SQL."""
    plans = api_plans()
    assert {"EventViewSet", "StatementViewSet", "MembershipViewSet", "TreatyViewSet", "StateViewSet"} <= set(plans)
    assert {name: plan.json_refusal() for name, plan in plans.items()} == dict.fromkeys(plans)


def test_a_field_the_database_cannot_write_leaves_the_plan_to_the_readers(client, monkeypatch, corpus):
    """A field read from a row that has no SQL (a date shown by DRF's DateField) is named, and the list is built
    from rows, the same bytes as through the serializers."""
    from apps.events.api.serializers import EventSerializer
    from apps.events.api.views import EventViewSet

    class WithDay(EventSerializer):
        day = serializers.DateField(source="date")

        class Meta(EventSerializer.Meta):
            fields = [*EventSerializer.Meta.fields, "day"]

    plan = RowPlan(WithDay(), Event)
    assert plan.json_refusal() == "day: the database cannot write a DateField."
    monkeypatch.setattr(EventViewSet, "serializer_class", WithDay)
    from apps.core.api import rows

    rows.row_plan.cache_clear()
    try:
        bodies = renderings(client, monkeypatch, "/api/events/?page_size=20")
    finally:
        rows.row_plan.cache_clear()
    assert bodies["database"] == bodies["rows"] == bodies["serializers"]
    assert b'"day":' in bodies["database"]


def whole_timeline(client, slug: str) -> list[tuple]:
    """(unknown date, date, kind, slug) of every entry of a treaty's timeline, page after page."""
    entries, page = [], 1
    while page:
        body = client.get(f"/api/treaties/{slug}/timeline/", {"page_size": 37, "page": page}).json()
        for entry in body["results"]:
            date = entry["date"]["start"] if entry["date"] else ""
            entries.append((not date, date, entry["kind"], (entry["event"] or entry["statement"])["slug"]))
        page = page + 1 if body["next"] else None
    return entries


def test_timeline_pages_are_in_date_order_with_events_first_and_unknown_dates_last(client, corpus):
    """Over all its pages, a timeline is every record of the treaty, in the order it had before it was paginated."""
    for slug in {
        busiest("events"),
        busiest("statements"),
        busiest("events", Treaty.objects.exclude(slug__startswith="syn-")),
    }:
        entries = whole_timeline(client, slug)
        assert entries == sorted(entries)
        records = Event.objects.filter(treaty__slug=slug).count() + Statement.objects.filter(treaty__slug=slug).count()
        assert len(entries) == records > 37
