"""Small builders for records, shared by every test module.

Each builder makes a valid record with sensible defaults; pass keyword arguments to change what a test is about.
"""

import datetime
import itertools

import pytest
from django.core.cache import caches

from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.models import Source
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


@pytest.fixture
def make_source(db):
    def build(**fields) -> Source:
        n = _next()
        defaults = {
            "slug": f"source-{n}",
            "title": f"Report {n}",
            "language": "en",
            "kind": "news_report",
            "published_on": datetime.date(2020, 5, 21),
            "published_on_precision": "day",
        }
        return Source.objects.create(**{**defaults, **fields})

    return build


@pytest.fixture
def make_state(db):
    def build(**fields) -> State:
        n = _next()
        code = "".join(chr(ord("A") + (n // 26**i) % 26) for i in (2, 1, 0))
        return State.objects.create(**{"code": code, "name": f"State {code}", **fields})

    return build


@pytest.fixture
def make_treaty(db):
    def build(**fields) -> Treaty:
        n = _next()
        defaults = {"slug": f"treaty-{n}", "name": f"Treaty {n}", "kind": "multilateral", "domain": "arms_control"}
        return Treaty.objects.create(**{**defaults, **fields})

    return build


@pytest.fixture
def make_membership(db, make_treaty, make_state, make_source):
    def build(*, cite: bool = True, **fields) -> Membership:
        n = _next()
        if "treaty" not in fields:
            fields["treaty"] = make_treaty()
        if "state" not in fields:
            fields["state"] = make_state()
        membership = Membership.objects.create(**{"slug": f"membership-{n}", **fields})
        if cite:
            MembershipCitation.objects.create(membership=membership, source=make_source(), quote=f"Quote {n}.")
        return membership

    return build


@pytest.fixture
def make_event(db, make_treaty, make_source):
    def build(*, cite: bool = True, participants=(), **fields) -> Event:
        n = _next()
        defaults = {
            "slug": f"event-{n}",
            "type": "meeting",
            "title": f"Event {n}",
            "date": datetime.date(2020, 5, 22),
            "date_precision": "day",
        }
        event = Event.objects.create(**{**defaults, **fields})
        for state, role in participants:
            EventParticipant.objects.create(event=event, state=state, role=role)
        if cite:
            EventCitation.objects.create(event=event, source=make_source(), quote=f"Quote {n}.")
        return event

    return build


@pytest.fixture
def make_statement(db, make_source):
    def build(*, cite: bool = True, joint_with=(), **fields) -> Statement:
        n = _next()
        defaults = {
            "slug": f"statement-{n}",
            "speaker": f"Speaker {n}",
            "kind": "official_statement",
            "stance": "neutral",
            "text": f"Words {n}.",
            "date": datetime.date(2020, 5, 22),
            "date_precision": "day",
        }
        statement = Statement.objects.create(**{**defaults, **fields})
        statement.joint_with.set(joint_with)
        if cite:
            StatementCitation.objects.create(statement=statement, source=make_source(), quote=f"Quote {n}.")
        return statement

    return build


@pytest.fixture
def make_treaty_citation(db, make_source):
    def build(treaty: Treaty, **fields) -> TreatyCitation:
        n = _next()
        return TreatyCitation.objects.create(
            **{"treaty": treaty, "source": make_source(), "quote": f"Q {n}.", **fields}
        )

    return build


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test starts with an empty in-process cache.

    API responses are cached until a write changes the data version; a test's writes are rolled back without a new
    version, so a cache kept across tests (or across runs, as the default directory cache is) would serve pages of
    data that no longer exists.
    """
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    caches["default"].clear()
