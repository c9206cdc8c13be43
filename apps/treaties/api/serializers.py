"""Treaties, states and memberships, with brief embedded references so one call answers the question."""

from rest_framework import serializers

from apps.core.api.serializers import PartialDateSerializer, SelfLinkField, help_text
from apps.sources.api.serializers import CitationSerializer
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
    aliases = serializers.ListField(child=serializers.CharField(), help_text=help_text(State, "aliases"))
    successor_of = StateBriefSerializer(allow_null=True, help_text=help_text(State, "successor_of"))

    class Meta:
        model = State
        fields = ["code", "url", "name", "aliases", "kind", "successor_of", "notes", "updated_at"]


class TreatySerializer(serializers.ModelSerializer):
    """A treaty or political agreement, with its depositaries and the sources that describe it."""

    url = SelfLinkField("treaty-detail", "slug")
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
