"""Records are keyed by slugs and codes, so fixtures dump and load without row numbers."""

import datetime
import io
import json

import pytest
from django.core.management import call_command

from apps.core.registry import dataset_app_labels
from apps.events.models import Event, EventCitation, EventParticipant, Statement
from apps.sources.models import Source
from apps.treaties.models import Membership, State, Treaty


def _dump() -> list[dict]:
    out = io.StringIO()
    call_command(
        "dumpdata", *dataset_app_labels(), natural_foreign=True, natural_primary=True, format="json", stdout=out
    )
    return json.loads(out.getvalue())


def _content(records: list[dict]) -> list[dict]:
    """The dump with its timestamps as times: JSON holds milliseconds, and a time less than a millisecond past the
    second is written ".000" before a reload but with no fraction after it, though it is the same time."""
    for record in records:
        for field in ("created_at", "updated_at"):
            record["fields"][field] = datetime.datetime.fromisoformat(record["fields"][field])
    return records


@pytest.fixture
def small_graph(make_state, make_treaty, make_membership, make_event, make_statement, make_treaty_citation):
    soviet_union = make_state(code="SUN", name="Soviet Union", kind="former_state")
    russia = make_state(code="RUS", name="Russia", aliases=["Russian Federation"], successor_of=soviet_union)
    usa = make_state(code="USA", name="United States", aliases=["U.S.", "United States of America"])
    treaty = make_treaty(slug="open-skies", name="Treaty on Open Skies", aliases=["Open Sky Treaty"])
    treaty.depositaries.set([usa])
    make_treaty_citation(treaty)
    make_membership(
        slug="open-skies-usa",
        treaty=treaty,
        state=usa,
        status="withdrawn",
        withdrawal_notified_on=datetime.date(2020, 5, 22),
        withdrawal_notified_on_precision="day",
        left_on=datetime.date(2020, 11, 22),
        left_on_precision="day",
    )
    event = make_event(
        slug="usa-withdrawal-effective",
        type="withdrawal_effective",
        treaty=treaty,
        participants=[(usa, "actor"), (russia, "target")],
    )
    make_statement(slug="russia-regrets", treaty=treaty, responds_to=event, on_behalf_of=russia, joint_with=[russia])
    return treaty


def test_dump_uses_natural_keys_only(small_graph):
    """No record in the dump carries a row number, and relations are written as slugs and codes."""
    records = _dump()
    assert all("pk" not in record for record in records)
    by_model = {}
    for record in records:
        by_model.setdefault(record["model"], []).append(record["fields"])
    assert {"code": "RUS", "successor_of": ["SUN"]}.items() <= next(
        state for state in by_model["treaties.state"] if state["code"] == "RUS"
    ).items()
    participant = by_model["events.eventparticipant"][0]
    assert participant["event"] == ["usa-withdrawal-effective"]
    assert {p["state"][0] for p in by_model["events.eventparticipant"]} == {"USA", "RUS"}
    assert by_model["treaties.treaty"][0]["depositaries"] == [["USA"]]
    assert by_model["events.eventcitation"][0]["event"] == ["usa-withdrawal-effective"]


@pytest.mark.django_db(transaction=True)
def test_dump_flush_load_gives_identical_content(small_graph, tmp_path):
    """dumpdata with natural keys, flush, loaddata: the database holds exactly what it held before."""
    before = _dump()
    fixture = tmp_path / "dataset.json"
    fixture.write_text(json.dumps(before), encoding="utf-8")

    call_command("flush", interactive=False, verbosity=0)
    assert not Event.objects.exists() and not State.objects.exists()

    call_command("loaddata", str(fixture), verbosity=0)
    assert _content(_dump()) == _content(before)
    assert Membership.objects.get(slug="open-skies-usa").left_on == datetime.date(2020, 11, 22)
    assert State.objects.get(code="RUS").successor_of.code == "SUN"
    assert EventParticipant.objects.filter(event__slug="usa-withdrawal-effective").count() == 2
    assert Statement.objects.get(slug="russia-regrets").responds_to.slug == "usa-withdrawal-effective"


@pytest.mark.parametrize(
    ("model", "key"),
    [
        (Source, ("source-key",)),
        (State, ("SUN",)),
        (Treaty, ("open-skies",)),
        (Membership, ("open-skies-usa",)),
        (Event, ("usa-withdrawal-effective",)),
        (Statement, ("russia-regrets",)),
    ],
)
def test_get_by_natural_key_finds_what_natural_key_gives(small_graph, make_source, model, key):
    """natural_key() and get_by_natural_key() are inverses for every keyed model."""
    make_source(slug="source-key")
    record = model.objects.get_by_natural_key(*key)
    assert record.natural_key() == key


def test_citation_natural_key_names_record_source_and_quote(small_graph):
    """A citation is found again by the cited record's slug, the source's slug and the quote."""
    citation = EventCitation.objects.get(event__slug="usa-withdrawal-effective")
    key = citation.natural_key()
    assert key == ("usa-withdrawal-effective", citation.source.slug, citation.quote)
    assert EventCitation.objects.get_by_natural_key(*key) == citation
