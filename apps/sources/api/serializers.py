"""Sources, and the citation shape every cited record shares."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.serializers import PartialDateSerializer, SelfLinkField, help_text
from apps.core.api.writes import KeyRelatedField, RecordWriteSerializer, StrictSerializer
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
    # A URL, or empty when unknown (so not format "uri" in the schema).
    web_url = serializers.CharField(source="url", help_text=help_text(Source, "url"))
    archive_url = serializers.CharField(help_text=help_text(Source, "archive_url"))
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


@extend_schema_serializer(component_name="Citation")
class CitationWriteSerializer(StrictSerializer):
    """A citation as a curator's script sends it: the source by its slug, the passage, and how it bears on the record.

    A record's ``citations`` are replaced as a whole by the list given; each is checked by its model's rules.
    """

    source = KeyRelatedField("slug", "sources", queryset=Source.objects.all(), help_text=help_text(Citation, "source"))
    quote = serializers.CharField(help_text=help_text(Citation, "quote"))
    locator = serializers.CharField(required=False, allow_blank=True, help_text=help_text(Citation, "locator"))
    stance = serializers.ChoiceField(
        choices=CitationStance.choices, required=False, help_text=help_text(Citation, "stance")
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text=help_text(Citation, "note"))


def citations_write_field(what: str) -> CitationWriteSerializer:
    return CitationWriteSerializer(
        many=True,
        required=False,
        help_text=f"Source passages for the {what}. When given, they replace all of its citations; when left out, "
        "the citations stay as they are.",
    )


@extend_schema_serializer(component_name="Source")
class SourceWriteSerializer(RecordWriteSerializer):
    """A source document as curators' scripts write it."""

    # A URL or empty: the model's URLField validator checks it (full_clean), so the schema says "string".
    web_url = serializers.CharField(
        source="url", required=False, allow_blank=True, max_length=500, help_text=help_text(Source, "url")
    )
    archive_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text=help_text(Source, "archive_url")
    )

    class Meta:
        model = Source
        fields = [
            "slug",
            "title",
            "publisher",
            "author",
            "web_url",
            "archive_url",
            "published_on",
            "published_on_precision",
            "language",
            "kind",
            "document",
            "notes",
        ]
