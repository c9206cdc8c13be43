"""Synthetic data at scale, for benchmarks only: states, treaties, memberships, events and statements with citations.

Every row is drawn from one ``random.Random(seed)``, so a seed always produces the same database (same slugs, dates,
texts and ids when loaded into an empty database). Every row carries ``SYNTHETIC_MARKER`` at the start of its
``notes``, states use ISO 3166 user-assigned codes (QMA-QZZ) that no real state has, and slugs start with ``syn-``:
synthetic rows can be told from curated ones, and deleted without touching them.

The rows satisfy every model constraint (the database checks them on insert): partial dates are period starts for
their precision, membership dates are ordered with at least a year between steps and match the status, treaty acts
name a treaty, a statement answering an event is about the event's treaty.
"""

import datetime
import itertools
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connections, transaction

from apps.core.partial_dates import DatePrecision
from apps.events.choices import TREATY_EVENT_TYPES, EventType, ParticipantRole, StatementKind, StatementStance
from apps.events.models import Event, EventCitation, EventParticipant, Statement, StatementCitation
from apps.sources.choices import CitationStance, SourceKind
from apps.sources.models import Source
from apps.treaties.choices import MembershipRole, MembershipStatus, StateKind, TreatyDomain, TreatyKind, TreatyStatus
from apps.treaties.models import Membership, MembershipCitation, State, Treaty, TreatyCitation

from .bulkload import BulkWriter, Table

SYNTHETIC_MARKER = "Synthetic benchmark data"
MAX_STATES = 14 * 26  # QMA..QZZ, the user-assigned alpha-3 block used for synthetic states.
# The models carrying the marker, parents last, so deleting in this order never orphans a row.
MARKED_MODELS = [
    StatementCitation,
    Statement,
    EventCitation,
    EventParticipant,
    Event,
    MembershipCitation,
    Membership,
    TreatyCitation,
    Treaty,
    Source,
    State,
]
# The year the synthetic record ends; fixed (not today) so a seed gives the same data every year.
LAST_YEAR = 2025
BASE_TIME = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)

WORDS = (
    "inspection overflight sensor quota airfield deployment verification missile consultation compliance "
    "notification exchange aircraft observation territory commission protocol ceiling warhead launcher "
    "moratorium dispute restriction corridor mission transparency data exercise border report"
).split()
SYLLABLES = (
    "an ar bel cor dan el fen gar hal is jor kal lin mor nor or pel quar ros sal tor ul var wen yor zan".split()
)
CITIES = "Vienna Geneva Brussels Moscow Washington Helsinki Stockholm Minsk Ankara Oslo Tallinn Riga Kyiv".split()


@dataclass
class Counts:
    """How much to generate."""

    events: int
    statements: int
    states: int = 200
    treaties: int = 500
    sources: int = 2000


@dataclass
class Report:
    """Rows written per table and seconds spent, for the command to print."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def synthetic_rows_exist(using: str = "default") -> bool:
    return any(
        model.objects.using(using).filter(notes__startswith=SYNTHETIC_MARKER).exists() for model in MARKED_MODELS
    )


def curated_rows_exist(using: str = "default") -> bool:
    return any(
        model.objects.using(using).exclude(notes__startswith=SYNTHETIC_MARKER).exists() for model in MARKED_MODELS
    )


def delete_synthetic(using: str = "default") -> None:
    """Delete every synthetic row with plain SQL (the ORM's cascade collector would load a million rows first)."""
    connection = connections[using]
    quote = connection.ops.quote_name
    marker = SYNTHETIC_MARKER + "%"
    with transaction.atomic(using=using), connection.cursor() as cursor:
        # The automatic many-to-many tables have no notes; they go with their synthetic owner.
        for through, owner_column, owner in [
            (Statement.joint_with.through, "statement_id", Statement),
            (Statement.mentions.through, "statement_id", Statement),
            (Treaty.depositaries.through, "treaty_id", Treaty),
        ]:
            cursor.execute(
                f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(owner_column)} IN "
                f"(SELECT id FROM {quote(owner._meta.db_table)} WHERE notes LIKE %s)",
                [marker],
            )
        for model in MARKED_MODELS:
            cursor.execute(f"DELETE FROM {quote(model._meta.db_table)} WHERE notes LIKE %s", [marker])


class Generator:
    """Draws the rows from one seeded random stream and hands them to a writer in batches."""

    def __init__(self, counts: Counts, seed: int, writer: BulkWriter, batch_size: int = 20_000, progress=None):
        if counts.states > MAX_STATES:
            raise ValueError(f"At most {MAX_STATES} synthetic states (the QMA-QZZ code block).")
        self.counts = counts
        self.rng = random.Random(seed)
        self.writer = writer
        self.batch_size = batch_size
        self.progress: Callable[[str], None] = progress or (lambda message: None)
        self.note = f"{SYNTHETIC_MARKER} (seed {seed})."
        self.clock = itertools.count()

    # --- small helpers -------------------------------------------------------------------------------------------

    def stamp(self) -> datetime.datetime:
        """A distinct, reproducible timestamp per row, so updated_after filters have something to select."""
        return BASE_TIME + datetime.timedelta(seconds=next(self.clock))

    def partial_date(self, start: datetime.date, end: datetime.date, unknown: float = 0.0) -> tuple:
        """A date between start and end as (date, precision): mostly days, some months, some years, a few unknown."""
        rng = self.rng
        if unknown and rng.random() < unknown:
            return None, ""
        day = datetime.date.fromordinal(rng.randint(start.toordinal(), end.toordinal()))
        roll = rng.random()
        if roll < 0.7:
            return day, DatePrecision.DAY.value
        if roll < 0.9:
            return day.replace(day=1), DatePrecision.MONTH.value
        return day.replace(month=1, day=1), DatePrecision.YEAR.value

    def sentence(self, low: int, high: int) -> str:
        words = self.rng.choices(WORDS, k=self.rng.randint(low, high))
        return " ".join(words).capitalize() + "."

    def name(self) -> str:
        return "".join(self.rng.choices(SYLLABLES, k=self.rng.randint(2, 3))).capitalize()

    # --- the tables ----------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.states()
        self.sources()
        self.treaties()
        self.memberships()
        self.events()
        self.statements()
        self.writer.reset_sequences(
            [State, Source, Treaty, TreatyCitation, Membership, MembershipCitation]
            + [Event, EventParticipant, EventCitation, Statement, StatementCitation]
        )

    def states(self) -> None:
        table = Table(State, ["id", "created_at", "updated_at", "notes", "code", "name", "aliases", "kind"])
        first = table.next_id(self.writer.using)
        codes = [f"Q{a}{b}" for a in string.ascii_uppercase[12:] for b in string.ascii_uppercase]
        rows, names = [], set()
        for i in range(self.counts.states):
            name = self.name()
            while name in names:
                name = self.name() + " " + self.name()
            names.add(name)
            aliases = [f"Republic of {name}"] if self.rng.random() < 0.3 else []
            kind = StateKind.FORMER_STATE if self.rng.random() < 0.05 else StateKind.STATE
            rows.append((first + i, self.stamp(), self.stamp(), self.note, codes[i], name, json.dumps(aliases), kind))
        self.writer.write(table, rows)
        self.state_ids = [first + i for i in range(self.counts.states)]
        self.state_codes = dict(zip(self.state_ids, codes, strict=False))
        self.state_names = {row[0]: row[5] for row in rows}
        # A former state is continued by another (Russia continues the Soviet Union): set after all rows exist.
        former = [row[0] for row in rows if row[7] == StateKind.FORMER_STATE]
        connection = self.writer.connection
        sql = f"UPDATE {connection.ops.quote_name(State._meta.db_table)} SET successor_of_id = %s WHERE id = %s"
        with connection.cursor() as cursor:
            for state_id in former:
                successor = self.rng.choice([s for s in self.state_ids if s != state_id])
                cursor.execute(sql, [state_id, successor])

    def sources(self) -> None:
        table = Table(
            Source,
            ["id", "created_at", "updated_at", "notes", "slug", "title", "publisher", "author", "url", "archive_url"]
            + ["published_on", "published_on_precision", "language", "kind", "document"],
        )
        first = table.next_id(self.writer.using)
        publishers = [f"{self.name()} {kind}" for kind in ("Times", "Herald", "Ministry", "Agency", "Review")] + [""]
        rows = []
        for i in range(self.counts.sources):
            slug = f"syn-source-{i + 1:05d}"
            published_on, precision = self.partial_date(datetime.date(1950, 1, 1), datetime.date(LAST_YEAR, 12, 31))
            rows.append(
                (first + i, self.stamp(), self.stamp(), self.note, slug, self.sentence(4, 10)[:300])
                + (self.rng.choice(publishers), "", f"https://example.org/{slug}", "", published_on, precision)
                + (self.rng.choice(["en", "en", "en", "ru", "fr", "de"]), self.rng.choice(SourceKind.values), "")
            )
        self.writer.write(table, rows)
        self.source_ids = [first + i for i in range(self.counts.sources)]

    def treaties(self) -> None:
        table = Table(
            Treaty,
            ["id", "created_at", "updated_at", "notes", "slug", "name", "short_name", "aliases", "kind", "domain"]
            + ["status", "summary"],
        )
        first = table.next_id(self.writer.using)
        rows, depositaries = [], []
        self.treaty_years: dict[int, int] = {}
        self.treaty_kinds: dict[int, str] = {}
        for i in range(self.counts.treaties):
            treaty_id = first + i
            topic = self.rng.choice(WORDS)
            kind = self.rng.choices(TreatyKind.values, weights=[3, 6, 1])[0]
            self.treaty_years[treaty_id] = self.rng.randint(1950, LAST_YEAR - 5)
            self.treaty_kinds[treaty_id] = kind
            rows.append(
                (treaty_id, self.stamp(), self.stamp(), self.note, f"syn-treaty-{i + 1:03d}")
                + (f"Treaty on {topic.capitalize()} No. {i + 1}", f"{topic.capitalize()} Treaty {i + 1}", "[]", kind)
                + (self.rng.choice(TreatyDomain.values), self.rng.choice(TreatyStatus.values), self.sentence(10, 30))
            )
            depositaries += [(treaty_id, state) for state in self.rng.sample(self.state_ids, self.rng.randint(0, 2))]
        self.writer.write(table, rows)
        self.writer.write(Table(Treaty.depositaries.through, ["treaty", "state"]), depositaries)
        self.treaty_ids = [first + i for i in range(self.counts.treaties)]
        # A few treaties draw most events, as Open Skies does in the curated data: weight 1/rank^0.8.
        self.treaty_cum_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(rows))))
        self.write_citations(TreatyCitation, "treaty", self.treaty_ids, per_record=(1, 2))

    def write_citations(self, model, cited_field: str, cited_ids, per_record: tuple[int, int]) -> None:
        table = Table(
            model,
            ["id", "created_at", "updated_at", "notes", cited_field, "source", "quote", "locator", "stance", "note"],
        )
        next_id = table.next_id(self.writer.using)
        rows = []
        for cited_id in cited_ids:
            for source in self.rng.sample(self.source_ids, self.rng.randint(*per_record)):
                stance = CitationStance.CONTRADICTS if self.rng.random() < 0.03 else CitationStance.SUPPORTS
                quote = self.sentence(8, 30)
                rows.append(
                    (next_id, self.stamp(), self.stamp(), self.note, cited_id, source, quote)
                    + (
                        f"para. {self.rng.randint(1, 20)}",
                        stance,
                        "Disagrees on the date." if stance != "supports" else "",
                    )
                )
                next_id += 1
            if len(rows) >= self.batch_size:
                self.writer.write(table, rows)
                rows = []
        self.writer.write(table, rows)

    def memberships(self) -> None:
        table = Table(
            Membership,
            ["id", "created_at", "updated_at", "notes", "slug", "treaty", "state", "role", "status"]
            + ["joined_on", "joined_on_precision", "withdrawal_notified_on", "withdrawal_notified_on_precision"]
            + ["left_on", "left_on_precision"],
        )
        next_id = table.next_id(self.writer.using)
        rows = []
        last = datetime.date(LAST_YEAR, 12, 31)
        for treaty_id in self.treaty_ids:
            size = 2 if self.treaty_kinds[treaty_id] == TreatyKind.BILATERAL else self.rng.randint(3, 60)
            size = min(size, len(self.state_ids))
            opened = datetime.date(self.treaty_years[treaty_id], 1, 1)
            for state in self.rng.sample(self.state_ids, size):
                status = self.rng.choices(MembershipStatus.values, weights=[70, 5, 15, 10])[0]
                # Each step at least a year after the previous one, so precision rounding never reorders them.
                # Joined by LAST_YEAR - 4 at the latest, leaving room for a notice and a departure after it.
                latest = min(opened + datetime.timedelta(days=5 * 365), datetime.date(LAST_YEAR - 4, 12, 31))
                joined_raw = datetime.date.fromordinal(self.rng.randint(opened.toordinal(), latest.toordinal()))
                joined, joined_precision = self.partial_date(joined_raw, joined_raw, unknown=0.05)
                notice = left = None
                notice_precision = left_precision = ""
                if status in (MembershipStatus.WITHDRAWING, MembershipStatus.WITHDRAWN):
                    notice, notice_precision = self.partial_date(
                        datetime.date(joined_raw.year + 1, 1, 1), datetime.date(LAST_YEAR - 2, 12, 31)
                    )
                if status == MembershipStatus.WITHDRAWN:
                    left, left_precision = self.partial_date(datetime.date(notice.year + 1, 1, 1), last)
                elif status == MembershipStatus.ENDED:
                    left, left_precision = self.partial_date(datetime.date(joined_raw.year + 1, 1, 1), last)
                role = MembershipRole.SIGNATORY if self.rng.random() < 0.1 else MembershipRole.PARTY
                rows.append(
                    (next_id, self.stamp(), self.stamp(), self.note)
                    + (f"syn-treaty-{treaty_id - self.treaty_ids[0] + 1:03d}-{self.state_codes[state].lower()}",)
                    + (treaty_id, state, role, status, joined, joined_precision, notice, notice_precision)
                    + (left, left_precision)
                )
                next_id += 1
        self.writer.write(table, rows)
        membership_ids = [row[0] for row in rows]
        self.write_citations(MembershipCitation, "membership", membership_ids, per_record=(1, 1))

    def events(self) -> None:
        table = Table(
            Event,
            ["id", "created_at", "updated_at", "notes", "slug", "type", "date", "date_precision", "title"]
            + ["description", "location", "treaty"],
        )
        participants = Table(EventParticipant, ["id", "created_at", "updated_at", "notes", "event", "state", "role"])
        first = table.next_id(self.writer.using)
        participant_id = participants.next_id(self.writer.using)
        context_types = [t for t in EventType.values if t not in TREATY_EVENT_TYPES]
        type_labels = dict(EventType.choices)
        self.event_treaties: list[int | None] = []
        last = datetime.date(LAST_YEAR, 12, 31)
        total = self.counts.events
        for start in range(0, total, self.batch_size):
            size = min(self.batch_size, total - start)
            treaties = self.rng.choices(self.treaty_ids, cum_weights=self.treaty_cum_weights, k=size)
            rows, participant_rows = [], []
            for offset, treaty in enumerate(treaties):
                event_id = first + start + offset
                if self.rng.random() < 0.1:
                    treaty, kind = None, self.rng.choice(context_types)
                    opened = datetime.date(1950, 1, 1)
                else:
                    kind = self.rng.choice(EventType.values)
                    opened = datetime.date(self.treaty_years[treaty], 1, 1)
                date, precision = self.partial_date(opened, last, unknown=0.03)
                states = self.rng.sample(self.state_ids, self.rng.randint(1, 3))
                title = f"{self.state_names[states[0]]}: {type_labels[kind].lower()}"
                if treaty is not None:
                    title += f" under treaty {treaty - self.treaty_ids[0] + 1}"
                rows.append(
                    (event_id, self.stamp(), self.stamp(), self.note, f"syn-e-{start + offset + 1:07d}", kind)
                    + (date, precision, title, self.sentence(10, 40), self.rng.choice(CITIES + [""]), treaty)
                )
                for position, state in enumerate(states):
                    role = ParticipantRole.ACTOR if position == 0 else self.rng.choice(ParticipantRole.values[1:])
                    participant_rows.append(
                        (participant_id, rows[-1][1], rows[-1][2], self.note, event_id, state, role)
                    )
                    participant_id += 1
                self.event_treaties.append(treaty)
            self.writer.write(table, rows)
            self.writer.write(participants, participant_rows)
            self.write_citations(EventCitation, "event", [row[0] for row in rows], per_record=(1, 2))
            self.progress(f"events: {start + size:,} of {total:,}")
        self.event_first_id = first

    def statements(self) -> None:
        table = Table(
            Statement,
            ["id", "created_at", "updated_at", "notes", "slug", "speaker", "speaker_title", "on_behalf_of", "kind"]
            + ["stance", "text", "is_verbatim", "date", "date_precision", "treaty", "responds_to"],
        )
        joint = Table(Statement.joint_with.through, ["statement", "state"])
        first = table.next_id(self.writer.using)
        total = self.counts.statements
        for start in range(0, total, self.batch_size):
            size = min(self.batch_size, total - start)
            rows, joint_rows = [], []
            for offset in range(size):
                statement_id = first + start + offset
                kind = self.rng.choice(StatementKind.values)
                speaker_state = None if kind == StatementKind.COMMENTARY else self.rng.choice(self.state_ids)
                responds_to = treaty = None
                if self.event_treaties and self.rng.random() < 0.6:
                    index = self.rng.randrange(len(self.event_treaties))
                    responds_to = self.event_first_id + index
                    # Answering an event means speaking about its treaty (Statement.clean checks this).
                    treaty = self.event_treaties[index]
                elif self.rng.random() < 0.8:
                    treaty = self.rng.choice(self.treaty_ids)
                date, precision = self.partial_date(datetime.date(1950, 1, 1), datetime.date(LAST_YEAR, 12, 31), 0.02)
                rows.append(
                    (statement_id, self.stamp(), self.stamp(), self.note, f"syn-s-{start + offset + 1:07d}")
                    + (f"{self.name()} {self.name()}", self.rng.choice(["Minister", "Spokesperson", ""]))
                    + (speaker_state, kind, self.rng.choice(StatementStance.values), self.sentence(10, 60)[:1000])
                    + (self.rng.random() < 0.5, date, precision, treaty, responds_to)
                )
                if kind == StatementKind.JOINT_STATEMENT:
                    joint_rows += [(statement_id, state) for state in self.rng.sample(self.state_ids, 2)]
            self.writer.write(table, rows)
            self.writer.write(joint, joint_rows)
            self.write_citations(StatementCitation, "statement", [row[0] for row in rows], per_record=(1, 2))
            self.progress(f"statements: {start + size:,} of {total:,}")
