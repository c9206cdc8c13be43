"""A source's citations as W3C Web Annotations (JSON-LD), paged as the Web Annotation model pages collections.

Each citation is one ``Annotation``: its target is the document (the source's ``url`` when known, else the source's
API URL) narrowed by a ``TextQuoteSelector`` (the quote, with the prefix/suffix that make it unique) and, when the
text is loaded, a ``TextPositionSelector`` (offsets in the text as this API stores it: line endings as ``\\n``).
Its body is the cited record's API URL, plus the citation's note as a ``TextualBody`` when it has one.

Motivation, from the model's vocabulary (https://www.w3.org/TR/annotation-model/#motivation-and-purpose): a
supporting citation is ``describing`` (the record describes what the passage says); a contradicting one is
``assessing`` (the passage is assessed as disagreeing with the record, and the note says how).

An annotation's ``id`` is stable across databases: built from the cited record's kind and slug and a digest of the
quote (the citation's natural key), never a row number.
"""

import hashlib
import math
from dataclasses import dataclass

from django.urls import reverse

from .choices import CitationStance
from .models import Citation, Source, citation_models

CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
PAGE_SIZE = 100
# <cited kind>.<cited slug>.<12 hex digits>: slugs have no dots, so the parts split unambiguously.
KEY_PATTERN = r"[a-z]+\.[-a-zA-Z0-9_]+\.[0-9a-f]{12}"
MOTIVATIONS = {CitationStance.SUPPORTS: "describing", CitationStance.CONTRADICTS: "assessing"}


def record_url(request, view_name: str, kwarg: str, value: str) -> str:
    """The absolute API URL of the record whose key (URL keyword ``kwarg``) is ``value``."""
    return request.build_absolute_uri(reverse(view_name, kwargs={kwarg: value}))


def annotation_key(citation: Citation) -> str:
    """``<cited kind>.<cited slug>.<12 hex digits of the quote's SHA-256>``: stable while the citation is."""
    digest = hashlib.sha256(citation.quote.encode("utf-8")).hexdigest()[:12]
    return f"{citation.cited_field}.{getattr(citation, citation.cited_field).slug}.{digest}"


def find(source: Source, key: str) -> Citation | None:
    """The citation of ``source`` whose annotation key is ``key``, or None."""
    kind, slug, _ = key.split(".")
    for model in citation_models():
        if model.cited_field == kind:
            queryset = model._default_manager.filter(source=source, **{f"{kind}__slug": slug})
            return next((c for c in queryset.select_related(kind) if annotation_key(c) == key), None)
    return None


def source_citations(source: Source) -> list[Citation]:
    """Every citation of ``source``, of every cited model, in a stable order: by kind, cited slug, position, quote."""
    citations = []
    for model in citation_models():
        citations += model._default_manager.filter(source=source).select_related(model.cited_field)
    return sorted(
        citations,
        key=lambda c: (c.cited_field, getattr(c, c.cited_field).slug, c.start is None, c.start or 0, c.quote),
    )


@dataclass
class AnnotationLinks:
    """The URLs of one source's collection, built once per request."""

    request: object
    source: Source

    @property
    def collection(self) -> str:
        return record_url(self.request, "source-annotations", "slug", self.source.slug)

    def page(self, number: int) -> str:
        return f"{self.collection}?page={number}"

    def annotation(self, citation: Citation) -> str:
        return f"{self.collection}{annotation_key(citation)}/"

    @property
    def target(self) -> str:
        return self.source.url or record_url(self.request, "source-detail", "slug", self.source.slug)


def annotation(citation: Citation, links: AnnotationLinks) -> dict:
    """One citation as a Web Annotation (without ``@context``, which the enclosing document carries)."""
    cited = getattr(citation, citation.cited_field)
    body = [
        {
            "id": record_url(links.request, f"{citation.cited_field}-detail", "slug", cited.slug),
            "type": "Dataset",
            "format": "application/json",
        }
    ]
    if citation.note:
        body.append({"type": "TextualBody", "value": citation.note, "format": "text/plain", "purpose": "commenting"})
    quote_selector = {"type": "TextQuoteSelector", "exact": citation.quote}
    if citation.prefix:
        quote_selector["prefix"] = citation.prefix
    if citation.suffix:
        quote_selector["suffix"] = citation.suffix
    selectors = [quote_selector]
    if citation.start is not None:
        selectors.append({"type": "TextPositionSelector", "start": citation.start, "end": citation.end})
    return {
        "id": links.annotation(citation),
        "type": "Annotation",
        "motivation": MOTIVATIONS[citation.stance],
        "created": _timestamp(citation.created_at),
        "modified": _timestamp(citation.updated_at),
        "body": body,
        "target": {"source": links.target, "selector": selectors},
    }


def _timestamp(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


def collection(citations: list[Citation], links: AnnotationLinks) -> dict:
    """The ``AnnotationCollection``: its size and its first and last pages (none when it is empty)."""
    document = {
        "@context": CONTEXT,
        "id": links.collection,
        "type": "AnnotationCollection",
        "label": f"Passages of '{links.source.title}' cited in the Treaty API dataset",
        "total": len(citations),
    }
    if citations:
        document["first"] = links.page(1)
        document["last"] = links.page(page_count(citations))
    return document


def page_count(citations: list[Citation]) -> int:
    return max(1, math.ceil(len(citations) / PAGE_SIZE))


def page(citations: list[Citation], links: AnnotationLinks, number: int) -> dict:
    """Page ``number`` (1-based, within ``page_count``) as an ``AnnotationPage`` of the collection."""
    last = page_count(citations)
    start = (number - 1) * PAGE_SIZE
    document = {
        "@context": CONTEXT,
        "id": links.page(number),
        "type": "AnnotationPage",
        "partOf": {
            "id": links.collection,
            "label": f"Passages of '{links.source.title}' cited in the Treaty API dataset",
            "total": len(citations),
        },
        "startIndex": start,
    }
    if number > 1:
        document["prev"] = links.page(number - 1)
    if number < last:
        document["next"] = links.page(number + 1)
    document["items"] = [annotation(citation, links) for citation in citations[start : start + PAGE_SIZE]]
    return document
