"""Sources, and the citation shape every cited record shares."""

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from apps.core.access import may_read_documents
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
    # The W3C Web Annotation selectors: quote is the TextQuoteSelector's exact.
    prefix = serializers.CharField(help_text=help_text(Citation, "prefix"))
    suffix = serializers.CharField(help_text=help_text(Citation, "suffix"))
    start = serializers.IntegerField(allow_null=True, help_text=help_text(Citation, "start"))
    end = serializers.IntegerField(allow_null=True, help_text=help_text(Citation, "end"))
    verified = serializers.BooleanField(
        source="source.has_text",
        help_text="Whether the quote was found in its source's text, which this database holds (start/end locate "
        "it there); false when the source's text is not loaded, so the quote could not be checked.",
    )


class SourceSerializer(serializers.ModelSerializer):
    """A source document. ``web_url`` is the document's own address (``url`` is this record's API address)."""

    url = SelfLinkField("source-detail", "slug")
    # A URL, or empty when unknown (so not format "uri" in the schema).
    web_url = serializers.CharField(source="url", help_text=help_text(Source, "url"))
    archive_url = serializers.CharField(help_text=help_text(Source, "archive_url"))
    published_on = PartialDateSerializer("published_on")
    has_text = serializers.BooleanField(read_only=True, help_text=help_text(Source, "has_text"))

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
            "text_sha256",
            "has_text",
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
    locator = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Where in the document the passage stands, e.g. 'para. 3'. Derived from the position (and what is "
        "given here ignored) when the source's text is loaded; kept as given otherwise.",
    )
    stance = serializers.ChoiceField(
        choices=CitationStance.choices, required=False, help_text=help_text(Citation, "stance")
    )
    note = serializers.CharField(required=False, allow_blank=True, help_text=help_text(Citation, "note"))
    # Untrimmed: the spaces next to a quote are part of its context.
    prefix = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=64, help_text=help_text(Citation, "prefix")
    )
    suffix = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, max_length=64, help_text=help_text(Citation, "suffix")
    )
    start = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Optional: computed from the quote. When given, it must be where the quote stands in the source's "
        "text (W3C TextPositionSelector start), which also says which occurrence of a repeated quote is meant.",
    )
    end = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Optional: computed from the quote. When given, start plus the quote's length.",
    )

    def validate(self, attrs):
        """A position given must frame the quote in the source's text (the model then derives the rest)."""
        start, end = attrs.get("start"), attrs.get("end")
        if start is None and end is None:
            return attrs
        if start is None or end is None:
            missing = "start" if start is None else "end"
            raise serializers.ValidationError({missing: "Give start and end together, or neither."})
        text, quote = attrs["source"].text, attrs["quote"]
        if not text:
            return attrs
        if end > len(text) or start > end:
            raise serializers.ValidationError(
                {
                    "end" if end > len(text) else "start": f"Out of range: the text of '{attrs['source'].slug}' has "
                    f"{len(text)} characters; give 0 <= start <= end <= {len(text)}, or leave both out."
                }
            )
        if text[start:end] != quote:
            request = self.context.get("request")
            # What the characters read is the document's text: only for who may read it.
            reads = (
                f': they read "{text[start:end][:80]}"' if may_read_documents(getattr(request, "user", None)) else ""
            )
            raise serializers.ValidationError(
                {
                    "start": f"Characters {start}-{end} of '{attrs['source'].slug}' are not the quote{reads}. Give "
                    "the quote's own position, or leave start and end out."
                }
            )
        return attrs


class CitationListWriteSerializer(serializers.ListSerializer):
    """A record's citations as written: required where the record is written whole (POST, PUT), as the schema says,
    and left to the citation rule (``apps/sources/citations.py``) to refuse when missing or without a supporting one,
    so every write path gets the rule's own error. A PATCH may leave them out (DRF's partial update)."""

    def validate_empty_values(self, data):
        if data is empty and not getattr(self.root, "partial", False):
            return True, []  # none given: the record would keep no citation, which the rule refuses
        return super().validate_empty_values(data)


def citations_write_field(what: str) -> CitationListWriteSerializer:
    return CitationListWriteSerializer(
        child=CitationWriteSerializer(),
        help_text=f"Source passages for the {what}, at least one supporting it. They replace all of its citations; "
        "a PATCH may leave them out to keep them as they are.",
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
