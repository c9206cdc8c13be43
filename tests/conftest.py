"""Small builders for records, shared by every test module.

Each builder makes a valid record with sensible defaults; pass keyword arguments to change what a test is about.
Below them: a small dataset touching every model, admin users in each role, and admin form helpers.
"""

import datetime
import itertools
import os
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from apps.curation.roles import CURATORS, REVIEWERS
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.models import ParagraphDecision, Source
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation


@contextmanager
def for_the_module(django_db_blocker):
    """Records made once for a whole module (a module-scoped fixture): in a transaction rolled back at the module's
    end, so no other module sees them. Each test's own transaction is a savepoint inside it, so a test's writes are
    rolled back as usual; objects the fixture returns are shared by the module's tests, in memory too."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


_counter = itertools.count(1)


def _next() -> int:
    return next(_counter)


def new_source(**fields) -> Source:
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


@pytest.fixture
def make_source(db):
    return new_source


def new_state(**fields) -> State:
    n = _next()
    code = "".join(chr(ord("A") + (n // 26**i) % 26) for i in (2, 1, 0))
    return State.objects.create(**{"code": code, "name": f"State {code}", **fields})


@pytest.fixture
def make_state(db):
    return new_state


def new_treaty(**fields) -> Treaty:
    n = _next()
    defaults = {"slug": f"treaty-{n}", "name": f"Treaty {n}", "kind": "multilateral", "domain": "arms_control"}
    return Treaty.objects.create(**{**defaults, **fields})


@pytest.fixture
def make_treaty(db):
    return new_treaty


def new_membership(*, cite: bool = True, **fields) -> Membership:
    n = _next()
    if "treaty" not in fields:
        fields["treaty"] = new_treaty()
    if "state" not in fields:
        fields["state"] = new_state()
    membership = Membership.objects.create(**{"slug": f"membership-{n}", **fields})
    if cite:
        MembershipCitation.objects.create(membership=membership, source=new_source(), quote=f"Quote {n}.")
    return membership


@pytest.fixture
def make_membership(db):
    return new_membership


def new_event(*, cite: bool = True, participants=(), **fields) -> Event:
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
        EventCitation.objects.create(event=event, source=new_source(), quote=f"Quote {n}.")
    return event


@pytest.fixture
def make_event(db):
    return new_event


def new_statement(*, cite: bool = True, joint_with=(), **fields) -> Statement:
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
        StatementCitation.objects.create(statement=statement, source=new_source(), quote=f"Quote {n}.")
    return statement


@pytest.fixture
def make_statement(db):
    return new_statement


def new_treaty_citation(treaty: Treaty, **fields) -> TreatyCitation:
    n = _next()
    return TreatyCitation.objects.create(**{"treaty": treaty, "source": new_source(), "quote": f"Q {n}.", **fields})


@pytest.fixture
def make_treaty_citation(db):
    return new_treaty_citation


# --- The curation desk (admin) ---------------------------------------------------------------------------------


@pytest.fixture
def sample_dataset(db):
    """A small dataset touching every model and relation, built for the test (``build_sample_dataset``)."""
    return build_sample_dataset()


@pytest.fixture(scope="module")
def sample_dataset_once(django_db_setup, django_db_blocker):
    with for_the_module(django_db_blocker):
        yield build_sample_dataset()


def shared_sample_dataset(sample_dataset_once, db):
    """For a module whose tests leave the records as they are in memory: ``sample_dataset =
    pytest.fixture(shared_sample_dataset, name="sample_dataset")`` (see ``shared_open_skies``)."""
    return sample_dataset_once


def build_sample_dataset() -> dict:
    """A small dataset touching every model and relation, with several rows per changelist."""
    source = new_source(slug="reuters-2020", title="U.S. to exit Open Skies")
    sun = new_state(code="SUN", name="Soviet Union", kind="former_state")
    rus = new_state(code="RUS", name="Russia", aliases=["Russian Federation"], successor_of=sun)
    usa = new_state(code="USA", name="United States", aliases=["U.S."])
    treaty = new_treaty(slug="open-skies", name="Treaty on Open Skies", short_name="Open Skies Treaty")
    treaty.depositaries.set([usa])
    TreatyCitation.objects.create(treaty=treaty, source=source, quote="The Treaty on Open Skies.")
    for state, precision in [(usa, "day"), (rus, "year")]:
        membership = new_membership(
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
        event = new_event(
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
        statement = new_statement(
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
    ParagraphDecision.objects.create(source=source, paragraph=1, reason="Photo caption.")
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


# --- The read API -----------------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    """Django's test client, answering parsed JSON for the API's GET requests: ``api("/api/events/", type="x")``."""

    def get(path: str, expect: int = 200, **params):
        response = client.get(path, params)
        assert response.status_code == expect, (response.status_code, response.content[:2000])
        return response.json() if response["Content-Type"].startswith("application/json") else response

    return get


@pytest.fixture
def open_skies(db):
    """A small Open Skies record, built for the test (``build_open_skies``)."""
    return build_open_skies()


@pytest.fixture(scope="module")
def open_skies_once(django_db_setup, django_db_blocker):
    """The Open Skies record built once for a module. Building it costs 0.1-0.3 s: once per test where it is built
    per test."""
    with for_the_module(django_db_blocker):
        yield build_open_skies()


def shared_open_skies(open_skies_once, db):
    """For a module whose tests only read the records: ``open_skies = pytest.fixture(shared_open_skies,
    name="open_skies")``. A test's writes are rolled back as usual, but the returned objects are shared: a test
    must not change them in memory."""
    return open_skies_once


def build_open_skies() -> dict:
    """A small Open Skies record: three states, two treaties, memberships with day/month/year/unknown dates,
    events and statements with participants and citations. Returns the records by name."""
    day, month, year = "day", "month", "year"
    soviet_union = new_state(code="SUN", name="Soviet Union", kind="former_state")
    russia = new_state(code="RUS", name="Russia", aliases=["Russian Federation"], successor_of=soviet_union)
    usa = new_state(code="USA", name="United States", aliases=["U.S.", "United States of America"])
    belarus = new_state(code="BLR", name="Belarus")
    treaty = new_treaty(
        slug="open-skies", name="Treaty on Open Skies", short_name="Open Skies Treaty", status="in_force"
    )
    treaty.depositaries.set([usa])
    new_treaty_citation(treaty, quote="The Treaty on Open Skies entered into force on 1 January 2002.")
    inf = new_treaty(
        slug="inf", name="Intermediate-Range Nuclear Forces Treaty", kind="bilateral", status="terminated"
    )
    # Every treaty is cited; writes refuse one that is not (apps/sources/citations.py).
    new_treaty_citation(inf, quote="The INF Treaty was signed in 1987.")
    tass = new_source(
        slug="tass-2021-russia-withdrawal", title="Russia quits Open Skies", publisher="TASS", language="ru"
    )
    reuters = new_source(
        slug="reuters-2020-us-notice",
        title="=U.S. gives notice",
        publisher="Thomson Reuters",
        published_on=datetime.date(2020, 5, 1),
        published_on_precision=month,
    )
    memberships = {
        "usa": new_membership(
            slug="open-skies-usa",
            treaty=treaty,
            state=usa,
            status="withdrawn",
            joined_on=datetime.date(1992, 3, 24),
            joined_on_precision=day,
            withdrawal_notified_on=datetime.date(2020, 5, 22),
            withdrawal_notified_on_precision=day,
            left_on=datetime.date(2020, 11, 22),
            left_on_precision=day,
        ),
        "rus": new_membership(
            slug="open-skies-rus",
            treaty=treaty,
            state=russia,
            status="withdrawn",
            joined_on=datetime.date(2001, 1, 1),
            joined_on_precision=year,
            left_on=datetime.date(2021, 12, 1),
            left_on_precision=month,
        ),
        # The documents show Belarus as a party without saying when it joined.
        "blr": new_membership(slug="open-skies-blr", treaty=treaty, state=belarus),
        "inf-usa": new_membership(slug="inf-usa", treaty=inf, state=usa, role="signatory"),
    }
    events = {
        "signature": new_event(
            slug="open-skies-signature",
            type="signature",
            treaty=treaty,
            title="Open Skies signed in Helsinki",
            date=datetime.date(1992, 1, 1),
            date_precision=year,
            location="Helsinki",
            participants=[(usa, "actor"), (russia, "actor")],
        ),
        "us-notice": new_event(
            slug="us-withdrawal-notice",
            type="withdrawal_notice",
            treaty=treaty,
            title="United States gives notice of withdrawal",
            date=datetime.date(2020, 5, 22),
            participants=[(usa, "actor"), (russia, "target")],
            cite=False,
        ),
        "ru-withdrawal": new_event(
            slug="russia-withdrawal-effective",
            type="withdrawal_effective",
            treaty=treaty,
            title="Russia's withdrawal takes effect",
            date=datetime.date(2021, 12, 1),
            date_precision=month,
            participants=[(russia, "actor")],
            cite=False,
        ),
        "exercise": new_event(
            slug="undated-exercise",
            type="military_exercise",
            title="An exercise the sources do not date",
            date=None,
            date_precision="",
            participants=[(belarus, "participant")],
        ),
        "inf-end": new_event(
            slug="inf-termination",
            type="termination",
            treaty=inf,
            title="INF Treaty terminated",
            date=datetime.date(2019, 8, 2),
        ),
    }
    EventCitation.objects.create(
        event=events["us-notice"], source=reuters, quote="The U.S. formally notified.", locator="para. 2"
    )
    EventCitation.objects.create(
        event=events["ru-withdrawal"], source=tass, quote="Russia withdrew in December.", stance="supports"
    )
    statements = {
        "peskov": new_statement(
            slug="peskov-regrets",
            speaker="Dmitry Peskov",
            speaker_title="Presidential Press Secretary",
            on_behalf_of=russia,
            stance="regrets",
            kind="remarks",
            treaty=treaty,
            responds_to=events["us-notice"],
            date=datetime.date(2020, 5, 22),
            text="We regret this decision.",
            cite=False,
        ),
        "joint": new_statement(
            slug="joint-statement",
            speaker="Foreign ministers",
            kind="joint_statement",
            stance="supports",
            treaty=treaty,
            joint_with=[usa, belarus],
            date=datetime.date(2020, 5, 1),
            date_precision=month,
            text="-1 reasons to stay",
        ),
    }
    StatementCitation.objects.create(statement=statements["peskov"], source=tass, quote="Peskov said he regrets it.")
    return {
        "treaty": treaty,
        "inf": inf,
        "states": {"usa": usa, "rus": russia, "sun": soviet_union, "blr": belarus},
        "sources": {"tass": tass, "reuters": reuters},
        "memberships": memberships,
        "events": events,
        "statements": statements,
    }


@pytest.fixture(scope="module")
def _dataset_once(django_db_setup, django_db_blocker):
    """Load the dataset once for the module."""
    with for_the_module(django_db_blocker):
        call_command("load_dataset", "--no-migrate", verbosity=0)
        yield


@pytest.fixture
def dataset(_dataset_once, db):
    """The real, curated dataset (fixtures/), loaded once per test module."""


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Each test starts with an empty in-process cache.

    API responses are cached until a write changes the data version; a test's writes are rolled back without a new
    version, so a cache kept across tests (or across runs, as the default directory cache is) would serve pages of
    data that no longer exists.
    """
    settings.CACHES = caches_for_tests()
    for alias in settings.CACHES:
        caches[alias].clear()


def caches_for_tests() -> dict:
    """In-process caches, or with CACHE_URL=redis://... (CI) the Redis it names, a database per xdist worker."""
    from treatyapi.settings import caches_from_url

    url = os.environ.get("CACHE_URL", "")
    if url.startswith("redis://"):
        worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
        return caches_from_url(urlsplit(url)._replace(path=f"/{worker + 1}").geturl())
    return caches_from_url("locmem://tests")


# --- Writes ------------------------------------------------------------------------------------------------------


@pytest.fixture
def writers_group(db):
    """A group holding add, change and delete on every dataset model: the API gives exactly what the model
    permissions give (the curators role of the admin may hold less, e.g. no deletes)."""
    from django.contrib.auth.models import Group, Permission

    from apps.changes.log import resources

    # The API's resources, from its routes (sources, states, treaties, memberships, events, statements).
    models = [label.split(".")[1] for label in resources()]
    group, _ = Group.objects.get_or_create(name="api-writers")
    codenames = [f"{action}_{model}" for action in ("add", "change", "delete") for model in models]
    group.permissions.add(*Permission.objects.filter(codename__in=codenames))
    return group


@pytest.fixture
def make_api_user(db):
    from django.contrib.auth.models import User

    def build(name: str, *groups) -> User:
        user = User.objects.create_user(name)  # no password: hashing one costs a second per test
        user.groups.add(*groups)
        return user

    return build


def token_client(user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    client.user = user
    return client


@pytest.fixture
def curator_api(make_api_user, writers_group):
    """An API client authenticated with the token of a user holding every write permission."""
    return token_client(make_api_user("curator-script", writers_group))


@pytest.fixture
def reviewer_api(make_api_user):
    """An API client authenticated with the token of a user without write permissions."""
    from django.contrib.auth.models import Group

    return token_client(make_api_user("reviewer-script", Group.objects.get_or_create(name="reviewers")[0]))


@pytest.fixture
def write():
    """Send a JSON write and check its status: ``write(client, "put", url, body, expect=200, etag=...)``."""

    def send(client, method: str, path: str, body=None, *, expect: int, etag: str | None = None, **headers):
        if etag is not None:
            headers["HTTP_IF_MATCH"] = etag
        response = getattr(client, method)(path, body, format="json", **headers)
        assert response.status_code == expect, (response.status_code, response.content[:2000])
        return response

    return send


@pytest.fixture
def run_queue(db):
    """Run every task waiting on the queue, here, as a worker does (claim, run, record the result; no heartbeat):
    ``run_queue()`` returns how many it ran. Tests then see what a worker process leaves in the database."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )

    def run() -> int:
        ran = 0
        while (result := DBTaskResult.objects.ready().first()) is not None:
            result.claim(worker.worker_id)
            worker.run_task(result)
            ran += 1
        return ran

    return run
