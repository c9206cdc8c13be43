"""Events, statements and a treaty's timeline, with brief embedded references."""

from django.db import models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.serializers import (
    KeyLinkField,
    ListLinkField,
    PartialDateSerializer,
    SelfLinkField,
    help_text,
)
from apps.core.api.writes import KeyRelatedField, RecordWriteSerializer, StrictSerializer
from apps.events.choices import ParticipantRole
from apps.events.models import Event, EventParticipant, Statement
from apps.sources.api.serializers import CitationSerializer, citations_write_field
from apps.treaties.api.serializers import (
    StateBriefSerializer,
    TreatyBriefSerializer,
    state_key_field,
    treaty_key_field,
)
from apps.treaties.models import State


class EventBriefSerializer(serializers.ModelSerializer):
    """An event in brief, as embedded in the statements that respond to it."""

    url = SelfLinkField("event-detail", "slug")

    class Meta:
        model = Event
        fields = ["slug", "url", "title"]


class EventParticipantSerializer(serializers.ModelSerializer):
    """A state taking part in an event, with its role."""

    code = serializers.CharField(source="state.code", help_text=help_text(State, "code"))
    url = KeyLinkField("state-detail", "code", source="state", help_text="The state's URL in the API.")
    name = serializers.CharField(source="state.name", help_text=help_text(State, "name"))

    class Meta:
        model = EventParticipant
        fields = ["code", "url", "name", "role"]


class EventSerializer(serializers.ModelSerializer):
    """A dated act or happening, with the states involved and the sources that report it."""

    url = SelfLinkField("event-detail", "slug")
    statements_url = ListLinkField(
        "statement-list", "responds_to", "slug", help_text="The statements responding to the event."
    )
    date = PartialDateSerializer("date")
    treaty = TreatyBriefSerializer(allow_null=True, help_text=help_text(Event, "treaty"))
    participants = EventParticipantSerializer(many=True, help_text=help_text(Event, "states"))
    citations = CitationSerializer(many=True, help_text="Source passages reporting the event.")

    class Meta:
        model = Event
        fields = [
            "slug",
            "url",
            "type",
            "date",
            "title",
            "description",
            "location",
            "treaty",
            "participants",
            "citations",
            "notes",
            "updated_at",
            "statements_url",
        ]


class StatementSerializer(serializers.ModelSerializer):
    """Something a person or body said, for whom, with what stance, and the sources that report it."""

    url = SelfLinkField("statement-detail", "slug")
    on_behalf_of = StateBriefSerializer(allow_null=True, help_text=help_text(Statement, "on_behalf_of"))
    joint_with = StateBriefSerializer(many=True, help_text=help_text(Statement, "joint_with"))
    mentions = StateBriefSerializer(many=True, help_text=help_text(Statement, "mentions"))
    date = PartialDateSerializer("date")
    treaty = TreatyBriefSerializer(allow_null=True, help_text=help_text(Statement, "treaty"))
    responds_to = EventBriefSerializer(allow_null=True, help_text=help_text(Statement, "responds_to"))
    citations = CitationSerializer(many=True, help_text="Source passages reporting the statement.")

    class Meta:
        model = Statement
        fields = [
            "slug",
            "url",
            "speaker",
            "speaker_title",
            "on_behalf_of",
            "joint_with",
            "mentions",
            "kind",
            "stance",
            "text",
            "is_verbatim",
            "date",
            "treaty",
            "responds_to",
            "citations",
            "notes",
            "updated_at",
        ]


class TimelineEntryKind(models.TextChoices):
    EVENT = "event", "Event"
    STATEMENT = "statement", "Statement"


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of a treaty's timeline: an event or a statement, the other left null."""

    kind = serializers.ChoiceField(
        choices=TimelineEntryKind.choices,
        help_text="Whether the entry is an event or a statement.",
    )
    date = PartialDateSerializer("date", help_text="When it happened or was said; null when the sources don't say.")
    event = EventSerializer(allow_null=True, help_text="The event, when kind is 'event'.")
    statement = StatementSerializer(allow_null=True, help_text="The statement, when kind is 'statement'.")


@extend_schema_serializer(component_name="EventParticipant")
class ParticipantWriteSerializer(StrictSerializer):
    """A state's part in an event: its alpha-3 code (any case) and its role."""

    state = state_key_field(EventParticipant, "state")
    role = serializers.ChoiceField(choices=ParticipantRole.choices, help_text=help_text(EventParticipant, "role"))


@extend_schema_serializer(component_name="Event")
class EventWriteSerializer(RecordWriteSerializer):
    """An event as curators' scripts write it: the treaty by slug, the date as ``YYYY-MM-DD`` (the first day of its
    period) with its precision; participants and citations, when given, replace the event's as a whole."""

    treaty = treaty_key_field(Event, "treaty", required=False, allow_null=True)
    participants = ParticipantWriteSerializer(
        many=True,
        required=False,
        help_text="The states involved, each with its role. When given, they replace all of the event's participants.",
    )
    citations = citations_write_field("event")

    class Meta:
        model = Event
        fields = [
            "slug",
            "type",
            "date",
            "date_precision",
            "title",
            "description",
            "location",
            "treaty",
            "participants",
            "citations",
            "notes",
        ]
        children = ["participants", "citations"]


@extend_schema_serializer(component_name="Statement")
class StatementWriteSerializer(RecordWriteSerializer):
    """A statement as curators' scripts write it: states by alpha-3 code, the treaty and the event answered by slug,
    the date as ``YYYY-MM-DD`` with its precision; citations, when given, replace the statement's as a whole."""

    on_behalf_of = state_key_field(Statement, "on_behalf_of", required=False, allow_null=True)
    joint_with = state_key_field(Statement, "joint_with", many=True, required=False)
    mentions = state_key_field(Statement, "mentions", many=True, required=False)
    treaty = treaty_key_field(Statement, "treaty", required=False, allow_null=True)
    responds_to = KeyRelatedField(
        "slug",
        "events",
        queryset=Event.objects.all(),
        required=False,
        allow_null=True,
        help_text=help_text(Statement, "responds_to"),
    )
    citations = citations_write_field("statement")

    class Meta:
        model = Statement
        fields = [
            "slug",
            "speaker",
            "speaker_title",
            "on_behalf_of",
            "joint_with",
            "mentions",
            "kind",
            "stance",
            "text",
            "is_verbatim",
            "date",
            "date_precision",
            "treaty",
            "responds_to",
            "citations",
            "notes",
        ]
        links = ["joint_with", "mentions"]
        children = ["citations"]
