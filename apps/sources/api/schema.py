"""Shapes of the per-source endpoints (coverage, text, annotations), for the OpenAPI schema only.

The views build these documents directly; the serializers here only describe them. The annotation shapes follow
the W3C Web Annotation Data Model's JSON-LD serialisation (https://www.w3.org/TR/annotation-model/).
"""

from drf_spectacular.utils import PolymorphicProxySerializer, inline_serializer
from rest_framework import serializers


class ParagraphListSerializer(serializers.Serializer):
    """Some of a document's paragraphs: how many, and their numbers."""

    count = serializers.IntegerField(help_text="How many paragraphs.")
    paragraphs = serializers.ListField(child=serializers.IntegerField(), help_text="Their numbers, ascending.")


class SentenceSpanSerializer(serializers.Serializer):
    """One sentence of a document: where it stands."""

    paragraph = serializers.IntegerField(help_text="Its paragraph's number ('para. N').")
    sentence = serializers.IntegerField(help_text="Its number within the paragraph, from 1.")
    start = serializers.IntegerField(help_text="Offset of its first character in the text.")
    end = serializers.IntegerField(help_text="Offset just past its last character.")


class SentenceCoverageSerializer(serializers.Serializer):
    """A document's sentences by how they are decided."""

    total = serializers.IntegerField(help_text="Sentences in the text.")
    cited = serializers.IntegerField(help_text="Sentences a citation overlaps.")
    decided = serializers.IntegerField(
        help_text="Sentences left uncited with a reason (their own decision, or their paragraph's)."
    )
    no_fact = serializers.IntegerField(help_text="Sentences recorded as holding no fact in scope.")
    undecided = serializers.IntegerField(help_text="Sentences none of the above.")
    percent_decided = serializers.FloatField(
        allow_null=True, help_text="Sentences cited, decided or without a fact in scope, in percent (one decimal)."
    )
    undecided_sentences = SentenceSpanSerializer(many=True, help_text="The undecided sentences, in text order.")


class CoverageSerializer(serializers.Serializer):
    """How much of a source's document the dataset has decided, sentence by sentence and paragraph by paragraph."""

    source = serializers.CharField(help_text="The source's slug.")
    text_loaded = serializers.BooleanField(help_text="Whether the document's text is loaded (else nothing is known).")
    paragraphs = serializers.IntegerField(allow_null=True, help_text="Paragraphs in the text (non-empty lines).")
    cited = ParagraphListSerializer(help_text="Paragraphs whose every sentence is decided, one or more by a citation.")
    decided = ParagraphListSerializer(
        help_text="Paragraphs whose every sentence is decided without a citation (left uncited with a reason, or "
        "holding no fact in scope)."
    )
    uncited = ParagraphListSerializer(
        allow_null=True, help_text="Paragraphs holding an undecided sentence (cited in part, or not at all)."
    )
    percent_decided = serializers.FloatField(
        allow_null=True, help_text="Cited and decided paragraphs, in percent of all (one decimal)."
    )
    sentences = SentenceCoverageSerializer(
        allow_null=True, help_text="The same by sentence; null while the text is not loaded."
    )


class ParagraphSpanSerializer(serializers.Serializer):
    """Where a paragraph stands in the text."""

    number = serializers.IntegerField(help_text="Paragraph number ('para. N').")
    start = serializers.IntegerField(help_text="Offset of its first character.")
    end = serializers.IntegerField(help_text="Offset just past its last character.")


class SourceTextSerializer(serializers.Serializer):
    """A source's document text, as citations' positions count it."""

    source = serializers.CharField(help_text="The source's slug.")
    text_sha256 = serializers.CharField(help_text="SHA-256 of the text's UTF-8 bytes.")
    text = serializers.CharField(help_text="The document's text.")
    paragraphs = ParagraphSpanSerializer(many=True, help_text="Each paragraph's span in the text.")


def _shape(name: str, doc: str, fields: dict) -> serializers.Serializer:
    """A described component whose field names may be JSON-LD keywords ("@context"), which classes cannot declare."""
    serializer = inline_serializer(name, fields=fields, help_text=doc)
    type(serializer).__doc__ = doc
    return serializer


def _text(description: str, **kwargs) -> serializers.CharField:
    return serializers.CharField(help_text=description, **kwargs)


CONTEXT_FIELD = {"@context": _text("The Web Annotation JSON-LD context: http://www.w3.org/ns/anno.jsonld.")}
SELECTOR = _shape(
    "AnnotationSelector",
    "A W3C selector: TextQuoteSelector (exact, prefix, suffix) or TextPositionSelector (start, end).",
    {
        "type": _text("'TextQuoteSelector' or 'TextPositionSelector'."),
        "exact": _text("TextQuoteSelector: the quote.", required=False),
        "prefix": _text("TextQuoteSelector: text just before it, when needed to single it out.", required=False),
        "suffix": _text("TextQuoteSelector: text just after it, when needed to single it out.", required=False),
        "start": serializers.IntegerField(help_text="TextPositionSelector: first character's offset.", required=False),
        "end": serializers.IntegerField(
            help_text="TextPositionSelector: offset past the last character.", required=False
        ),
    },
)
BODY = _shape(
    "AnnotationBody",
    "A body of the annotation: the cited record (a Dataset), or the citation's note (a TextualBody).",
    {
        "id": _text("Dataset: the cited record's API URL.", required=False),
        "type": _text("'Dataset' (the cited record) or 'TextualBody' (the citation's note)."),
        "format": _text("Media type: application/json for the record, text/plain for the note."),
        "value": _text("TextualBody: the citation's note.", required=False),
        "purpose": _text("TextualBody: 'commenting'.", required=False),
    },
)
TARGET = _shape(
    "AnnotationTarget",
    "The cited passage: the document, narrowed by the selectors.",
    {
        "source": _text("The document: its web address when known, else the source's API URL."),
        "selector": serializers.ListField(
            child=SELECTOR, help_text="A TextQuoteSelector, then a TextPositionSelector when the text is loaded."
        ),
    },
)
ANNOTATION_FIELDS = {
    "id": _text("This annotation's stable URL."),
    "type": _text("'Annotation'."),
    "motivation": _text("'describing' for a supporting citation, 'assessing' for a contradicting one."),
    "created": serializers.DateTimeField(help_text="When the citation was created."),
    "modified": serializers.DateTimeField(help_text="When the citation was last changed."),
    "body": serializers.ListField(child=BODY, help_text="The cited record, and the citation's note if any."),
    "target": TARGET,
}
ANNOTATION = _shape("Annotation", "One citation as a W3C Web Annotation.", ANNOTATION_FIELDS)
ANNOTATION_ITEM = _shape(
    "AnnotationDocument", "One citation as a W3C Web Annotation, with its context.", CONTEXT_FIELD | ANNOTATION_FIELDS
)
PART_OF = _shape(
    "AnnotationCollectionRef",
    "The collection a page belongs to.",
    {
        "id": _text("The collection's URL."),
        "label": _text("The collection's name."),
        "total": serializers.IntegerField(help_text="Annotations in the whole collection."),
    },
)
COLLECTION = _shape(
    "AnnotationCollection",
    "A source's citations as a W3C AnnotationCollection: its size and its first and last pages.",
    CONTEXT_FIELD
    | {
        "id": _text("The collection's URL."),
        "type": _text("'AnnotationCollection'."),
        "label": _text("The collection's name."),
        "total": serializers.IntegerField(help_text="How many annotations it holds."),
        "first": _text("URL of the first page (absent when empty).", required=False),
        "last": _text("URL of the last page (absent when empty).", required=False),
    },
)
PAGE = _shape(
    "AnnotationPage",
    "One page of a source's annotation collection.",
    CONTEXT_FIELD
    | {
        "id": _text("This page's URL."),
        "type": _text("'AnnotationPage'."),
        "partOf": PART_OF,
        "startIndex": serializers.IntegerField(help_text="Position of the page's first annotation in the collection."),
        "prev": _text("URL of the previous page (absent on the first).", required=False),
        "next": _text("URL of the next page (absent on the last).", required=False),
        "items": serializers.ListField(child=ANNOTATION, help_text="The page's annotations, at most 100."),
    },
)
ANNOTATION_DOCUMENT = PolymorphicProxySerializer(
    component_name="AnnotationCollectionOrPage", serializers=[COLLECTION, PAGE], resource_type_field_name=None
)
