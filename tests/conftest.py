"""Builders shared by the test modules: small records of each model, and admin users in each role."""

import datetime
import itertools

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from apps.curation.roles import CURATORS, REVIEWERS
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.models import Source
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

_serial = itertools.count(1)


@pytest.fixture
def make_source(db):
    def make(**fields) -> Source:
        n = next(_serial)
        defaults = {"slug": f"source-{n}", "title": f"Report {n}", "language": "en", "kind": "news_report"}
        return Source.objects.create(**(defaults | fields))

    return make


@pytest.fixture
def make_state(db):
    def make(code: str, name: str | None = None, **fields) -> State:
        return State.objects.create(code=code, name=name or f"State {code}", **fields)

    return make


@pytest.fixture
def make_treaty(db):
    def make(slug: str = "open-skies", **fields) -> Treaty:
        defaults = {"name": f"Treaty {slug}", "kind": "multilateral", "domain": "confidence_building"}
        return Treaty.objects.create(slug=slug, **(defaults | fields))

    return make


@pytest.fixture
def make_event(db, make_source):
    def make(*, source: Source | None = None, quote: str = "It happened.", **fields) -> Event:
        n = next(_serial)
        defaults = {"slug": f"event-{n}", "type": "meeting", "title": f"Event {n}"}
        event = Event.objects.create(**(defaults | fields))
        EventCitation.objects.create(event=event, source=source or make_source(), quote=quote)
        return event

    return make


@pytest.fixture
def make_statement(db, make_source):
    def make(*, source: Source | None = None, quote: str = "It was said.", **fields) -> Statement:
        n = next(_serial)
        defaults = {"slug": f"statement-{n}", "speaker": "Spokesperson", "kind": "remarks", "stance": "neutral"}
        statement = Statement.objects.create(**(defaults | {"text": f"Words {n}"} | fields))
        StatementCitation.objects.create(statement=statement, source=source or make_source(), quote=quote)
        return statement

    return make


@pytest.fixture
def make_membership(db, make_source):
    def make(*, treaty: Treaty, state: State, source: Source | None = None, **fields) -> Membership:
        membership = Membership.objects.create(
            slug=f"{treaty.slug}-{state.code.lower()}-{next(_serial)}", treaty=treaty, state=state, **fields
        )
        MembershipCitation.objects.create(membership=membership, source=source or make_source(), quote="Joined.")
        return membership

    return make


@pytest.fixture
def dataset(make_source, make_state, make_treaty, make_event, make_statement, make_membership):
    """A small dataset touching every model and relation, with several rows per changelist."""
    source = make_source(
        slug="reuters-2020",
        title="U.S. to exit Open Skies",
        published_on=datetime.date(2020, 5, 21),
        published_on_precision="day",
    )
    sun = make_state("SUN", "Soviet Union", kind="former_state")
    rus = make_state("RUS", "Russia", aliases=["Russian Federation"], successor_of=sun)
    usa = make_state("USA", "United States", aliases=["U.S."])
    treaty = make_treaty("open-skies", short_name="Open Skies Treaty", aliases=["Open Sky Treaty"])
    treaty.depositaries.set([usa])
    TreatyCitation.objects.create(treaty=treaty, source=source, quote="The Treaty on Open Skies.")
    make_membership(
        treaty=treaty, state=usa, source=source, joined_on=datetime.date(2002, 1, 1), joined_on_precision="day"
    )
    make_membership(
        treaty=treaty, state=rus, source=source, joined_on=datetime.date(2002, 1, 1), joined_on_precision="year"
    )
    events = []
    for day in range(1, 6):
        event = make_event(
            source=source,
            treaty=treaty,
            type="withdrawal_notice",
            date=datetime.date(2020, 5, day),
            date_precision="day",
            quote=f"Notice {day}.",
        )
        EventParticipant.objects.create(event=event, state=usa, role="actor")
        EventParticipant.objects.create(event=event, state=rus, role="target")
        events.append(event)
    statements = [
        make_statement(
            source=source,
            treaty=treaty,
            on_behalf_of=rus,
            responds_to=events[0],
            stance="regrets",
            date=datetime.date(2020, 5, 1),
            date_precision="month",
        )
        for _ in range(4)
    ]
    statements[0].joint_with.set([rus, usa])
    return {"source": source, "treaty": treaty, "states": [sun, rus, usa], "events": events, "statements": statements}


def _staff_in(group_name: str, username: str) -> User:
    user = User.objects.create_user(username, password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def curator(db) -> User:
    return _staff_in(CURATORS, "curator")


@pytest.fixture
def reviewer(db) -> User:
    return _staff_in(REVIEWERS, "reviewer")


@pytest.fixture
def curator_client(curator) -> Client:
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture
def reviewer_client(reviewer) -> Client:
    client = Client()
    client.force_login(reviewer)
    return client


def _form_values(form) -> dict:
    values = {}
    for name in form.fields:
        bound = form[name]
        value = bound.value()
        if value is None or value is False:
            continue
        if value is True:
            values[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            values[bound.html_name] = [str(item) for item in value]
        else:
            values[bound.html_name] = str(value)
    return values


@pytest.fixture
def admin_form_data():
    """The POST data a browser would send back for an admin add/change page as rendered (form and inlines)."""

    def collect(response) -> dict:
        data = _form_values(response.context["adminform"].form)
        # The history page of a past version has the record's form and no inlines.
        for inline in response.context.get("inline_admin_formsets", []):
            data |= _form_values(inline.formset.management_form)
            for form in inline.formset.forms:
                data |= _form_values(form)
        return data

    return collect
