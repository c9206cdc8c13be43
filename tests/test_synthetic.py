"""The synthetic data generator: reproducible, valid under every model rule, and careful with curated data."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.core.partial_dates import DatePrecision
from apps.dataset.synthetic import SYNTHETIC_MARKER, delete_synthetic
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.models import Source
from apps.treaties.choices import MembershipStatus
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

pytestmark = pytest.mark.django_db

SMALL = {"events": 400, "statements": 60, "states": 30, "treaties": 12, "sources": 40, "verbosity": 0}


def generate(**options):
    call_command("generate_synthetic", **{**SMALL, **options})


def snapshot():
    """Everything a seed determines, by natural key, so two runs can be compared."""
    return {
        "states": list(State.objects.values_list("code", "name", "aliases", "kind", "successor_of__code")),
        "treaties": list(Treaty.objects.values_list("slug", "name", "kind", "status")),
        "memberships": list(
            Membership.objects.values_list("slug", "status", "joined_on", "withdrawal_notified_on", "left_on")
        ),
        "events": list(Event.objects.values_list("slug", "type", "date", "date_precision", "title", "treaty__slug")),
        "participants": list(EventParticipant.objects.values_list("event__slug", "state__code", "role")),
        "event_citations": list(EventCitation.objects.values_list("event__slug", "source__slug", "quote")),
        "statements": list(Statement.objects.values_list("slug", "text", "date", "treaty__slug", "responds_to__slug")),
        "updated": list(Event.objects.values_list("slug", "updated_at")),
    }


def test_the_same_seed_gives_the_same_data_and_another_seed_does_not():
    generate(seed=7)
    first = snapshot()
    generate(seed=7, flush=True)
    assert snapshot() == first
    generate(seed=8, flush=True)
    assert snapshot()["events"] != first["events"]


def test_counts_are_as_asked():
    generate(seed=1)
    assert Event.objects.count() == 400
    assert Statement.objects.count() == 60
    assert State.objects.count() == 30
    assert Treaty.objects.count() == 12
    assert Source.objects.count() == 40
    # Every event has an actor and at least one citation; every statement and membership is cited.
    assert EventParticipant.objects.values("event").distinct().count() == 400
    assert EventCitation.objects.values("event").distinct().count() == 400
    assert StatementCitation.objects.values("statement").distinct().count() == 60
    assert MembershipCitation.objects.values("membership").distinct().count() == Membership.objects.count()
    assert TreatyCitation.objects.values("treaty").distinct().count() == 12


@pytest.mark.parametrize(
    "model",
    [State, Source, Treaty, TreatyCitation, Membership, MembershipCitation, Event, EventParticipant, EventCitation]
    + [Statement, StatementCitation],
)
def test_a_sample_of_rows_passes_full_clean(model):
    generate(seed=3)
    sample = list(model.objects.order_by("?")[:40])
    assert sample
    for row in sample:
        row.full_clean()


def test_rows_of_every_kind_the_rules_allow_are_present():
    generate(seed=5)
    for model in (Event, Statement):
        precisions = set(model.objects.values_list("date_precision", flat=True))
        assert precisions == {*DatePrecision.values, ""}, model
    assert set(Membership.objects.values_list("status", flat=True)) == set(MembershipStatus.values)
    assert set(Membership.objects.values_list("joined_on_precision", flat=True)) >= set(DatePrecision.values)
    assert Event.objects.filter(treaty__isnull=True).exists()
    assert State.objects.filter(successor_of__isnull=False).exists()


def test_synthetic_rows_are_marked_and_flush_removes_only_them():
    curated = State.objects.create(code="RUS", name="Russia")
    generate(seed=2, append=True)
    assert not Event.objects.exclude(notes__startswith=SYNTHETIC_MARKER).exists()
    assert not State.objects.filter(code="RUS").exclude(pk=curated.pk).exists()
    delete_synthetic()
    assert list(State.objects.all()) == [curated]
    assert not Event.objects.exists()


def test_it_refuses_a_database_with_curated_rows_unless_told_to_append():
    State.objects.create(code="RUS", name="Russia")
    with pytest.raises(CommandError, match="not synthetic"):
        generate()
    assert not Event.objects.exists()


def test_it_refuses_to_generate_twice_without_flush():
    generate(seed=1)
    with pytest.raises(CommandError, match="--flush"):
        generate(seed=1)


def test_new_records_after_generation_get_fresh_ids():
    """Explicit ids are written, so the id sequences must be moved past them for ordinary saves."""
    generate(seed=1)
    state = State.objects.create(code="ZZZ", name="Curated after synthetic")
    assert state.pk > State.objects.exclude(pk=state.pk).order_by("-pk").first().pk
