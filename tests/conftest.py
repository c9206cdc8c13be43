"""Small builders for records, shared by every test module.

Each builder makes a valid record with sensible defaults; pass keyword arguments to change what a test is about.
Below them: a small dataset touching every model, admin users in each role, and admin form helpers.
"""

import datetime
import itertools

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from apps.curation.roles import CURATORS, REVIEWERS
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


# --- The curation desk (admin) ---------------------------------------------------------------------------------


@pytest.fixture
def sample_dataset(make_source, make_state, make_treaty, make_event, make_statement, make_membership):
    """A small dataset touching every model and relation, with several rows per changelist."""
    source = make_source(slug="reuters-2020", title="U.S. to exit Open Skies")
    sun = make_state(code="SUN", name="Soviet Union", kind="former_state")
    rus = make_state(code="RUS", name="Russia", aliases=["Russian Federation"], successor_of=sun)
    usa = make_state(code="USA", name="United States", aliases=["U.S."])
    treaty = make_treaty(slug="open-skies", name="Treaty on Open Skies", short_name="Open Skies Treaty")
    treaty.depositaries.set([usa])
    TreatyCitation.objects.create(treaty=treaty, source=source, quote="The Treaty on Open Skies.")
    for state, precision in [(usa, "day"), (rus, "year")]:
        membership = make_membership(
            slug=f"open-skies-{state.code.lower()}",
            treaty=treaty,
            state=state,
            joined_on=datetime.date(2002, 1, 1),
            joined_on_precision=precision,
            cite=False,
        )
        MembershipCitation.objects.create(membership=membership, source=source, quote="Joined in 2002.")
    events = []
    for day in range(1, 6):
        event = make_event(
            treaty=treaty,
            type="withdrawal_notice",
            date=datetime.date(2020, 5, day),
            participants=[(usa, "actor"), (rus, "target")],
            cite=False,
        )
        EventCitation.objects.create(event=event, source=source, quote=f"Notice {day}.")
        events.append(event)
    statements = []
    for _ in range(4):
        statement = make_statement(
            treaty=treaty,
            on_behalf_of=rus,
            responds_to=events[0],
            stance="regrets",
            date=datetime.date(2020, 5, 1),
            date_precision="month",
            cite=False,
        )
        StatementCitation.objects.create(statement=statement, source=source, quote="We regret it.")
        statements.append(statement)
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
