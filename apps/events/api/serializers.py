"""Events, statements and a treaty's timeline, with brief embedded references."""

from django.db import models
from rest_framework import serializers

from apps.core.api.serializers import KeyLinkField, PartialDateSerializer, SelfLinkField, help_text
from apps.events.models import Event, EventParticipant, Statement
from apps.sources.api.serializers import CitationSerializer
from apps.treaties.api.serializers import StateBriefSerializer, TreatyBriefSerializer
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
