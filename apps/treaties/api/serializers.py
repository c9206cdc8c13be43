"""Treaties, states and memberships, with brief embedded references so one call answers the question."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.serializers import ListLinkField, PartialDateSerializer, SelfLinkField, help_text
from apps.core.api.writes import KeyRelatedField, RecordWriteSerializer
from apps.sources.api.serializers import CitationSerializer, citations_write_field
from apps.treaties.models import Membership, State, Treaty


class TreatyBriefSerializer(serializers.ModelSerializer):
    """A treaty in brief, as embedded in other records."""

    url = SelfLinkField("treaty-detail", "slug")

    class Meta:
        model = Treaty
        fields = ["slug", "url", "name", "short_name"]


class StateBriefSerializer(serializers.ModelSerializer):
    """A state in brief, as embedded in other records."""

    url = SelfLinkField("state-detail", "code")

    class Meta:
        model = State
        fields = ["code", "url", "name"]


class StateSerializer(serializers.ModelSerializer):
    """A state, current or former, keyed by its ISO 3166 alpha-3 code."""

    url = SelfLinkField("state-detail", "code")
    memberships_url = ListLinkField("membership-list", "state", "code", help_text="The state's memberships.")
    events_url = ListLinkField("event-list", "state", "code", help_text="The events the state took part in.")
    statements_url = ListLinkField(
        "statement-list", "state", "code", help_text="The statements made for, jointly with, or mentioning the state."
    )
    aliases = serializers.ListField(child=serializers.CharField(), help_text=help_text(State, "aliases"))
    successor_of = StateBriefSerializer(allow_null=True, help_text=help_text(State, "successor_of"))

    class Meta:
        model = State
        fields = [
            "code",
            "url",
            "name",
            "aliases",
            "kind",
            "successor_of",
            "notes",
            "updated_at",
            "memberships_url",
            "events_url",
            "statements_url",
        ]


class TreatySerializer(serializers.ModelSerializer):
    """A treaty or political agreement, with its depositaries and the sources that describe it."""

    url = SelfLinkField("treaty-detail", "slug")
    memberships_url = ListLinkField("membership-list", "treaty", "slug", help_text="The treaty's memberships.")
    events_url = ListLinkField("event-list", "treaty", "slug", help_text="The treaty's events.")
    statements_url = ListLinkField("statement-list", "treaty", "slug", help_text="The statements about the treaty.")
    timeline_url = SelfLinkField(
        "treaty-timeline", "slug", help_text="The treaty's events and statements in one chronological list."
    )
    aliases = serializers.ListField(child=serializers.CharField(), help_text=help_text(Treaty, "aliases"))
    depositaries = StateBriefSerializer(many=True, help_text=help_text(Treaty, "depositaries"))
    citations = CitationSerializer(many=True, help_text="Source passages for the treaty's names, kind and status.")

    class Meta:
        model = Treaty
        fields = [
            "slug",
            "url",
            "name",
            "short_name",
            "aliases",
            "kind",
            "domain",
            "status",
            "depositaries",
            "summary",
            "citations",
            "notes",
            "updated_at",
            "memberships_url",
            "events_url",
            "statements_url",
            "timeline_url",
        ]


class MembershipSerializer(serializers.ModelSerializer):
    """A state's period of participation in a treaty, with its dates and sources."""

    url = SelfLinkField("membership-detail", "slug")
    treaty = TreatyBriefSerializer(help_text=help_text(Membership, "treaty"))
    state = StateBriefSerializer(help_text=help_text(Membership, "state"))
    joined_on = PartialDateSerializer("joined_on")
    withdrawal_notified_on = PartialDateSerializer("withdrawal_notified_on")
    left_on = PartialDateSerializer("left_on")
    citations = CitationSerializer(many=True, help_text="Source passages for the membership and its dates.")

    class Meta:
        model = Membership
        fields = [
            "slug",
            "url",
            "treaty",
            "state",
            "role",
            "status",
            "joined_on",
            "withdrawal_notified_on",
            "left_on",
            "citations",
            "notes",
            "updated_at",
        ]


def state_key_field(model, field: str, **kwargs) -> KeyRelatedField:
    """A state given by its alpha-3 code, in any case (``rus`` or ``RUS``)."""
    return KeyRelatedField(
        "code",
        "states",
        normalise=str.upper,
        queryset=State.objects.all(),
        help_text=help_text(model, field),
        **kwargs,
    )


def aliases_write_field(model) -> serializers.ListField:
    """Names as written in the sources, stored exactly as sent (the model's validator refuses blank ones)."""
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text=help_text(model, "aliases"),
    )


def treaty_key_field(model, field: str, **kwargs) -> KeyRelatedField:
    return KeyRelatedField(
        "slug", "treaties", queryset=Treaty.objects.all(), help_text=help_text(model, field), **kwargs
    )


@extend_schema_serializer(component_name="State")
class StateWriteSerializer(RecordWriteSerializer):
    """A state as curators' scripts write it; ``successor_of`` is the predecessor's alpha-3 code."""

    aliases = aliases_write_field(State)
    successor_of = state_key_field(State, "successor_of", required=False, allow_null=True)

    class Meta:
        model = State
        fields = ["code", "name", "aliases", "kind", "successor_of", "notes"]


@extend_schema_serializer(component_name="Treaty")
class TreatyWriteSerializer(RecordWriteSerializer):
    """A treaty as curators' scripts write it: depositaries by alpha-3 code, citations replaced as a whole."""

    aliases = aliases_write_field(Treaty)
    depositaries = state_key_field(Treaty, "depositaries", many=True, required=False)
    citations = citations_write_field("treaty's names, kind and status")

    class Meta:
        model = Treaty
        fields = [
            "slug",
            "name",
            "short_name",
            "aliases",
            "kind",
            "domain",
            "status",
            "depositaries",
            "summary",
            "citations",
            "notes",
        ]
        links = ["depositaries"]
        children = ["citations"]


@extend_schema_serializer(component_name="Membership")
class MembershipWriteSerializer(RecordWriteSerializer):
    """A membership as curators' scripts write it: the treaty by slug, the state by alpha-3 code, each date as
    ``YYYY-MM-DD`` (the first day of its period) with its precision."""

    treaty = treaty_key_field(Membership, "treaty")
    state = state_key_field(Membership, "state")
    citations = citations_write_field("membership and its dates")

    class Meta:
        model = Membership
        fields = [
            "slug",
            "treaty",
            "state",
            "role",
            "status",
            "joined_on",
            "joined_on_precision",
            "withdrawal_notified_on",
            "withdrawal_notified_on_precision",
            "left_on",
            "left_on_precision",
            "citations",
            "notes",
        ]
        children = ["citations"]
