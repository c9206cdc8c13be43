"""Sources, and the citation shape every cited record shares."""

from rest_framework import serializers

from apps.core.api.serializers import PartialDateSerializer, SelfLinkField, help_text
from apps.sources.choices import CitationStance
from apps.sources.models import Citation, Source


class SourceBriefSerializer(serializers.ModelSerializer):
    """A source in brief, as embedded in the records it supports."""

    url = SelfLinkField("source-detail", "slug")

    class Meta:
        model = Source
        fields = ["slug", "url", "title"]


class CitationSerializer(serializers.Serializer):
    """A passage of a source that supports (or contradicts) the record it is embedded in.

    A plain serializer, because each cited model has its own concrete citation model with this same shape.
    """

    source = SourceBriefSerializer(help_text=help_text(Citation, "source"))
    quote = serializers.CharField(help_text=help_text(Citation, "quote"))
    locator = serializers.CharField(help_text=help_text(Citation, "locator"))
    stance = serializers.ChoiceField(choices=CitationStance.choices, help_text=help_text(Citation, "stance"))
    note = serializers.CharField(help_text=help_text(Citation, "note"))


class SourceSerializer(serializers.ModelSerializer):
    """A source document. ``web_url`` is the document's own address (``url`` is this record's API address)."""

    url = SelfLinkField("source-detail", "slug")
    web_url = serializers.URLField(source="url", help_text=help_text(Source, "url"))
    published_on = PartialDateSerializer("published_on")

    class Meta:
        model = Source
        fields = [
            "slug",
            "url",
            "title",
            "publisher",
            "author",
            "web_url",
            "archive_url",
            "published_on",
            "language",
            "kind",
            "document",
            "notes",
            "updated_at",
        ]
