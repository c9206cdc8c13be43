"""Events (dated acts about states and treaties) and statements (what was said about them)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from simple_history.models import HistoricalRecords

from apps.core.constraints import FieldCheckConstraint
from apps.core.models import NaturalKeyManager, TimeStampedModel
from apps.core.partial_dates import partial_date_constraints, precision_field
from apps.core.search import SearchIndex
from apps.sources.citations import CitedRecord
from apps.sources.models import Citation, Source, citation_constraints
from apps.treaties.models import State, Treaty

from .choices import TREATY_EVENT_TYPES, EventType, ParticipantRole, StatementKind, StatementStance

STATEMENT_TEXT_MAX_LENGTH = 1000
STATEMENT_TEXT_MISSING_MESSAGE = "A statement needs its words, quoted or closely paraphrased."


class Event(CitedRecord, TimeStampedModel):
    """A dated act or happening: a signature, a withdrawal notice, a refused flight, a meeting.

    Treaty acts (signature ... suspension) name their treaty; context events (an exercise) may not.
    """

    slug = models.SlugField(max_length=150, unique=True, help_text="Stable key of the event, used in URLs.")
    type = models.CharField(max_length=30, choices=EventType.choices, help_text="What kind of event this is.")
    date = models.DateField(
        null=True, blank=True, help_text="When it happened (first day of its period); empty if the sources don't say."
    )
    date_precision = precision_field("date")
    title = models.CharField(max_length=300, help_text="One line saying what happened.")
    description = models.TextField(blank=True, help_text="What happened, in the curator's words.")
    location = models.CharField(max_length=200, blank=True, help_text="Where it happened, when the sources say.")
    # PROTECT: events are the record of a treaty; a treaty with events cannot be deleted by accident.
    treaty = models.ForeignKey(
        Treaty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        help_text="The treaty the event is about; empty for context events.",
    )
    states = models.ManyToManyField(
        State, through="EventParticipant", related_name="events", help_text="States involved, each with a role."
    )
    sources = models.ManyToManyField(
        Source, through="EventCitation", related_name="events", help_text="Sources that report the event."
    )

    objects = NaturalKeyManager("slug")
    history = HistoricalRecords(app="history")
    # What q searches, A weighing most (apps.core.search).
    search_index = SearchIndex(title="A", description="B", location="C", slug="D")

    class Meta:
        ordering = ["date", "slug"]
        indexes = [
            # A treaty's events in list order, with the id: a deep page walks this index alone (index-only scan on
            # PostgreSQL), from whichever end is nearer. Checked with EXPLAIN at 1M events (bench/explain.py).
            models.Index(fields=["treaty", "date", "slug", "id"], name="event_treaty_date_slug_id"),
            models.Index(fields=["type", "date"], name="event_type_date"),
            # List order for unfiltered lists; the precision lets a date-range count (whose condition depends on it)
            # be answered from the index alone, and the id a state's page (``among``): on PostgreSQL the walk checks
            # each entry's id against the state's keys without reading the table (1.5 ms a first page at a million
            # events, 16.5 ms reading it).
            models.Index(fields=["date", "slug", "date_precision", "id"], name="event_date_slug_precision_id"),
        ]
        constraints = [
            *partial_date_constraints("event", "date"),
            FieldCheckConstraint(
                field="treaty",
                condition=models.Q(treaty__isnull=False) | ~models.Q(type__in=TREATY_EVENT_TYPES),
                name="event_treaty_act_names_treaty",
                violation_error_message="This type of event is an act under a treaty: choose the treaty.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class EventParticipant(TimeStampedModel):
    """A state's part in an event: actor (does it), target (has it done to it) or participant."""

    # CASCADE: a participation is part of its event.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    # PROTECT: a state that took part in events cannot be deleted by accident.
    state = models.ForeignKey(State, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(max_length=20, choices=ParticipantRole.choices, help_text="The state's part in the event.")

    objects = NaturalKeyManager("event__slug", "state__code", "role")
    history = HistoricalRecords(app="history")

    class Meta:
        # By the event's key column, not "event" (which sorts by the event's own ordering through a join): an event's
        # participants are listed together, by role, then state.
        ordering = ["event_id", "role", "state"]
        # A state's events (optionally in one role): the state filters read the participations from this index alone.
        indexes = [models.Index(fields=["state", "role", "event"], name="participant_state_role_event")]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "state", "role"],
                name="participant_unique_role",
                violation_error_message="This state already has this role in this event.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.state.code} ({self.role}) in {self.event.slug}"

    def natural_key(self) -> tuple[str, str, str]:
        return (self.event.slug, self.state.code, self.role)


class EventCitation(Citation):
    """A source passage reporting an event."""

    # CASCADE: a citation has no meaning without the record it supports.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="citations")

    cited_field = "event"
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["event", "source", "id"]
        constraints = citation_constraints("eventcitation", "event")


class Statement(CitedRecord, TimeStampedModel):
    """Something a person or body said: the words as reported, who said them, for whom, and with what stance."""

    slug = models.SlugField(max_length=150, unique=True, help_text="Stable key of the statement, used in URLs.")
    speaker = models.CharField(max_length=200, help_text="Person or body as the source names them, e.g. 'Peskov'.")
    speaker_title = models.CharField(
        max_length=200, blank=True, help_text="The speaker's office as given, e.g. 'Presidential Press Secretary'."
    )
    # PROTECT: statements are part of the record of the state they speak for.
    on_behalf_of = models.ForeignKey(
        State,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The state the speaker speaks for; empty for independent commentators.",
    )
    joint_with = models.ManyToManyField(
        State, blank=True, related_name="joint_statements", help_text="The states issuing a joint statement together."
    )
    mentions = models.ManyToManyField(
        State,
        blank=True,
        related_name="mentioned_in_statements",
        help_text="States the statement speaks about besides those speaking, e.g. China in 'unless China joins'.",
    )
    kind = models.CharField(max_length=30, choices=StatementKind.choices, help_text="What kind of statement it is.")
    stance = models.CharField(
        max_length=20, choices=StatementStance.choices, help_text="Stance toward the treaty or the act it is about."
    )
    text = models.TextField(
        error_messages={"blank": STATEMENT_TEXT_MISSING_MESSAGE},
        help_text=f"The words as reported (at most {STATEMENT_TEXT_MAX_LENGTH} characters); "
        "see is_verbatim for whether they are a quote.",
    )
    is_verbatim = models.BooleanField(
        default=False, help_text="True when text is a direct quote; false for a close paraphrase."
    )
    date = models.DateField(
        null=True, blank=True, help_text="When it was said (first day of its period); empty when unknown."
    )
    date_precision = precision_field("date")
    # PROTECT: a treaty with statements about it cannot be deleted by accident.
    treaty = models.ForeignKey(
        Treaty,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statements",
        help_text="The treaty the statement is about.",
    )
    # PROTECT: a statement's context must not vanish from under it.
    responds_to = models.ForeignKey(
        Event,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="responses",
        help_text="The event the statement responds to.",
    )
    sources = models.ManyToManyField(
        Source, through="StatementCitation", related_name="statements", help_text="Sources that report the statement."
    )

    objects = NaturalKeyManager("slug")
    # Joint signatories and mentioned states are edited on the statement, so their changes are recorded with it.
    history = HistoricalRecords(app="history", m2m_fields=[joint_with, mentions])
    # What q searches, A weighing most (apps.core.search).
    search_index = SearchIndex(speaker="A", text="B", speaker_title="C", slug="D")

    class Meta:
        ordering = ["date", "slug"]
        indexes = [
            # A treaty's statements in list order, with the id, as the events' index: the timeline merges the two
            # (apps.events.api.views.TimelineKeys) walking both indexes alone.
            models.Index(fields=["treaty", "date", "slug", "id"], name="statement_treaty_date_slug_id"),
            models.Index(fields=["on_behalf_of", "date"], name="statement_state_date"),
            models.Index(fields=["date", "slug"], name="statement_date_slug"),
        ]
        constraints = [
            *partial_date_constraints("statement", "date"),
            FieldCheckConstraint(
                field="text",
                condition=~models.Q(text=""),
                name="statement_text_not_empty",
                violation_error_message=STATEMENT_TEXT_MISSING_MESSAGE,
            ),
            FieldCheckConstraint(
                field="text",
                condition=LessThanOrEqual(Length("text"), STATEMENT_TEXT_MAX_LENGTH),
                name="statement_text_short",
                violation_error_message=f"Keep the statement to the words that matter: at most "
                f"{STATEMENT_TEXT_MAX_LENGTH} characters.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker}: {self.text[:60]}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        """A statement answering an event is about that event's treaty, when both name one."""
        super().clean()
        event = self.responds_to
        if event is not None and event.treaty_id and self.treaty_id and event.treaty_id != self.treaty_id:
            raise ValidationError(
                {
                    "responds_to": f"The event '{event.slug}' is about {event.treaty}, but this statement is about "
                    f"{self.treaty}; choose an event about the same treaty, or correct the treaty."
                }
            )


class StatementCitation(Citation):
    """A source passage reporting a statement."""

    # CASCADE: a citation has no meaning without the record it supports.
    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="citations")

    cited_field = "statement"
    history = HistoricalRecords(app="history")

    class Meta:
        ordering = ["statement", "source", "id"]
        constraints = citation_constraints("statementcitation", "statement")
