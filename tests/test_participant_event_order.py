"""Participants carry a copy of their event's list order (date, slug), kept by the database on every write path,
and the state filters that read it give the same events, in the same order, as testing each event would."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.urls import reverse

from apps.core import pagination
from apps.events.models import Event, EventParticipant

pytestmark = pytest.mark.django_db


def assert_copies_follow_events() -> None:
    """Every participant's copy is its event's date and slug, read back from the database."""
    stale = EventParticipant.objects.exclude(event_date=F("event__date"), event_slug=F("event__slug"))
    # exclude() keeps a NULL date on both sides as a mismatch: compare those separately.
    stale = stale.exclude(event_date__isnull=True, event__date__isnull=True, event_slug=F("event__slug"))
    assert not stale.exists(), list(stale.values("event__slug", "event__date", "event_date", "event_slug"))
    assert EventParticipant.objects.exists()


def copy_of(participant: EventParticipant) -> tuple:
    return EventParticipant.objects.values_list("event_date", "event_slug").get(pk=participant.pk)


# --- Every write path keeps the copy --------------------------------------------------------------------------------


def test_a_participant_saved_through_the_orm_copies_its_event(make_event, make_state):
    """A participant created, or moved to another event, by a plain save carries that event's date and slug."""
    first = make_event(slug="first", date=datetime.date(2001, 2, 3))
    second = make_event(slug="second", date=None, date_precision="")
    participant = EventParticipant.objects.create(event=first, state=make_state(), role="actor")
    assert copy_of(participant) == (datetime.date(2001, 2, 3), "first")
    # The instance still holds what Python gave it (nothing): a save writes it back, and the database corrects it.
    participant.event = second
    participant.save()
    assert copy_of(participant) == (None, "second")


def test_an_events_new_date_and_slug_reach_its_participants(make_event, make_state):
    """Changing an event's date (to another, or to unknown) or slug rewrites its participants' copies."""
    event = make_event(participants=[(make_state(), "actor"), (make_state(), "target")])
    event.date, event.slug = datetime.date(1999, 1, 1), "renamed"
    event.save()
    assert set(event.participants.values_list("event_date", "event_slug")) == {(datetime.date(1999, 1, 1), "renamed")}
    Event.objects.filter(pk=event.pk).update(date=None, date_precision="")
    assert set(event.participants.values_list("event_date", "event_slug")) == {(None, "renamed")}


def test_a_participant_written_before_its_event_gets_the_copy_when_the_event_arrives(make_state):
    """Foreign keys are checked at commit: a participant may be inserted first; the event's insert fills its copy."""
    participant = EventParticipant.objects.create(event_id=987654, state=make_state(), role="actor")
    assert copy_of(participant) == (None, None)
    Event.objects.create(
        pk=987654, slug="late", type="meeting", title="Late", date=datetime.date(2010, 10, 10), date_precision="day"
    )
    assert copy_of(participant) == (datetime.date(2010, 10, 10), "late")


def test_a_hand_written_copy_is_overwritten(make_event, make_state):
    """The copy cannot be set to anything but the event's, even by an UPDATE naming it."""
    event = make_event(slug="kept", participants=[(make_state(), "actor")])
    EventParticipant.objects.filter(event=event).update(event_date=datetime.date(1900, 1, 1), event_slug="wrong")
    assert copy_of(event.participants.get()) == (event.date, "kept")


def test_admin_inline_and_event_change_keep_the_copy(sample_dataset, curator_client, admin_form_data):
    """A participant added in the event's admin inline, and the event's date changed there, reach the copy."""
    event = sample_dataset["events"][0]
    sun = sample_dataset["states"][0]
    url = reverse("admin:events_event_change", args=[event.pk])
    data = admin_form_data(curator_client.get(url))
    added = int(data["participants-TOTAL_FORMS"])
    data |= {
        "date": "1995-03-04",
        "participants-TOTAL_FORMS": str(added + 1),
        f"participants-{added}-state": str(sun.pk),
        f"participants-{added}-role": "participant",
    }
    response = curator_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    copies = set(event.participants.values_list("state__code", "event_date", "event_slug"))
    assert copies == {(code, datetime.date(1995, 3, 4), event.slug) for code in ("USA", "RUS", "SUN")}


def test_api_writes_keep_the_copy(open_skies, curator_api, write):
    """Participants given to the API on create, and a later change of the event's date, reach the copy."""
    body = {
        "slug": "api-meeting",
        "type": "meeting",
        "title": "A meeting",
        "date": "2021-06-01",
        "date_precision": "month",
        "participants": [{"state": "rus", "role": "actor"}, {"state": "usa", "role": "target"}],
        "citations": [{"source": "tass-2021-russia-withdrawal", "quote": "They met in June."}],
    }
    created = write(curator_api, "post", "/api/events/", body, expect=201)
    event = Event.objects.get(slug="api-meeting")
    assert set(event.participants.values_list("event_date", "event_slug")) == {
        (datetime.date(2021, 6, 1), "api-meeting")
    }
    change = {"date": "2022-01-01", "date_precision": "year", "participants": [{"state": "blr", "role": "actor"}]}
    write(curator_api, "patch", "/api/events/api-meeting/", change, expect=200, etag=created["ETag"])
    assert list(event.participants.values_list("state__code", "event_date", "event_slug")) == [
        ("BLR", datetime.date(2022, 1, 1), "api-meeting")
    ]


def test_the_loaded_dataset_has_every_copy(db):
    """loaddata saves raw (no model save()): the database still fills every copy of the curated dataset."""
    call_command("load_dataset", verbosity=0)
    assert_copies_follow_events()


def test_synthetic_data_loaded_in_bulk_has_every_copy(db):
    """The generator's bulk inserts (COPY on PostgreSQL) fill every copy."""
    call_command("generate_synthetic", events=200, statements=10, states=20, treaties=5, sources=10, verbosity=0)
    assert_copies_follow_events()


# --- The state filters read the copy and answer as before -----------------------------------------------------------


@pytest.fixture
def crowd(make_event, make_state, make_treaty):
    """Events of one state in every role, some in two roles at once, some with unknown dates, on two treaties,
    among events of other states."""
    state, other = make_state(code="AAA"), make_state(code="BBB")
    treaties = [make_treaty(), make_treaty()]
    roles = [["actor"], ["target"], ["participant"], ["actor", "target"], []]
    for n in range(40):
        date = None if n % 7 == 0 else datetime.date(2000 + n % 5, 1 + n % 12, 1)
        event = make_event(
            slug=f"e{(n * 17) % 40:02d}",
            treaty=treaties[n % 2],
            date=date,
            date_precision="" if date is None else "day",
            participants=[(state, role) for role in roles[n % len(roles)]] + [(other, "participant")],
            cite=False,
        )
        assert event.pk
    return state


def reference(**criteria) -> list[str]:
    """The matching events' slugs in list order (unknown dates last), testing each event."""
    events = Event.objects.filter(**criteria).distinct() if criteria else Event.objects.all()
    return list(events.order_by(F("date").asc(nulls_last=True), "slug").values_list("slug", flat=True))


def listed(api, **params) -> tuple[int, list[str]]:
    """Every page of a list, with the count it reports."""
    slugs, page, count = [], 1, None
    while True:
        body = api("/api/events/", page=page, page_size=7, **params)
        count = body["count"]
        slugs += [item["slug"] for item in body["results"]]
        if body["next"] is None:
            return count, slugs
        page += 1


@pytest.mark.parametrize("deep_from", [1_000, 0], ids=["offset", "keys"])
@pytest.mark.parametrize(
    ("params", "criteria"),
    [
        ({"state": "aaa"}, {"participants__state__code": "AAA"}),
        ({"actor": "AAA"}, {"participants__state__code": "AAA", "participants__role": "actor"}),
        ({"target": "AAA"}, {"participants__state__code": "AAA", "participants__role": "target"}),
    ],
)
def test_state_filters_list_each_event_once_in_list_order(crowd, api, monkeypatch, params, criteria, deep_from):
    """Every page, from either end and by keys past the threshold, lists the state's events once each, in list
    order, and the count agrees."""
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_AFTER", deep_from)
    expected = reference(**criteria)
    assert len(expected) > 14
    assert listed(api, **params) == (len(expected), expected)


@pytest.mark.parametrize(
    "extra",
    [{"treaty": None}, {"ordering": "-date"}, {"ordering": "slug"}, {"type": "meeting"}, {"date_after": "2002-01-01"}],
)
def test_state_filter_combines_with_other_filters(crowd, api, extra):
    """With other filters and orderings, the state filter keeps its meaning."""
    from apps.treaties.models import Treaty

    if "treaty" in extra:
        extra = {"treaty": Treaty.objects.order_by("pk").first().slug}
    everything = api("/api/events/", page_size=500, **extra)["results"]
    with_state = set(Event.objects.filter(participants__state=crowd).values_list("slug", flat=True))
    expected = [item["slug"] for item in everything if item["slug"] in with_state]
    assert 0 < len(expected) < len(everything)
    body = api("/api/events/", page_size=500, state="AAA", **extra)
    assert [item["slug"] for item in body["results"]] == expected
    assert body["count"] == len(expected)


def test_the_triggers_exist(db):
    """Rebuilding a table on SQLite drops its triggers: a migration doing so must create them again."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            names = {row[0] for row in cursor.fetchall()}
        expected = {"participant_event_order_insert", "participant_event_order_update"}
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            names = {row[0] for row in cursor.fetchall()}
        expected = {"participant_event_order"}
    assert expected | {"event_order_insert", "event_order_update"} <= names
