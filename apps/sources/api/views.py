"""Endpoints of the sources app: the sources, and per source its coverage, its text (staff) and its annotations."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.pagination import positive_int
from apps.core.api.permissions import MayReadDocuments
from apps.core.api.renderers import table_free_renderers
from apps.core.api.writes import CuratedModelViewSet
from apps.sources import annotations as web_annotations
from apps.sources.coverage import coverage_document
from apps.sources.documents import paragraph_spans
from apps.sources.filtersets import SourceFilterSet
from apps.sources.models import Source

from .schema import ANNOTATION_DOCUMENT, ANNOTATION_ITEM, CoverageSerializer, SourceTextSerializer
from .serializers import SourceSerializer, SourceWriteSerializer


class JSONLDRenderer(JSONRenderer):
    """JSON-LD; the Web Annotation profile is set on the response itself (a renderer's media type with parameters
    would only match an Accept header naming the same parameters)."""

    media_type = "application/ld+json"
    format = "jsonld"


def _errors(*codes: int) -> dict:
    """The error responses of these actions: always JSON (the API's error shape), whatever the success is served as."""
    descriptions = {
        400: "A query parameter is malformed; see `errors`.",
        401: "Not signed in: give a token (`Authorization: Token ...`) or a session of a staff user.",
        403: "Only signed-in staff may read a document's text.",
        404: "No source has this slug, the page is past the last one, or (text) the text is not loaded.",
        429: "Too many requests: wait the seconds given in `Retry-After`.",
    }
    return {
        (code, "application/json"): OpenApiResponse(ErrorSerializer, description=descriptions[code]) for code in codes
    }


class SourceViewSet(CuratedModelViewSet):
    """Documents the dataset is drawn from: news reports, official statements, treaty texts, reference works."""

    queryset = Source.objects.all()
    serializer_class = SourceSerializer
    write_serializer_class = SourceWriteSerializer
    filterset_class = SourceFilterSet
    lookup_field = "slug"

    @extend_schema(
        operation_id="sources_coverage",
        summary="How much of a source's document the dataset has decided",
        description="Each sentence of the document is cited (a citation overlaps it), decided (left uncited with "
        "a reason, alone or with its whole paragraph), recorded as holding no fact in scope, or undecided; "
        "`sentences` counts them and lists the undecided ones. A paragraph (a non-empty line, as the 'para. N' "
        "locators count) is cited or decided when all its sentences are decided, and uncited while any is not. "
        "100% decided means every sentence is. Counts are null while the source's text is not loaded.",
        filters=False,
        responses={200: CoverageSerializer, **_errors(400, 404, 429)},
    )
    @action(detail=True, methods=["get"], pagination_class=None, renderer_classes=table_free_renderers())
    def coverage(self, request, slug=None):
        return Response(coverage_document(self.get_object()))

    @extend_schema(
        operation_id="sources_text",
        summary="A source's document text (signed-in staff only)",
        description="The text citations are located in (line endings as \\n; offsets count Unicode code points), "
        "with each paragraph's span. The documents are others' writing: only staff may read them here.",
        filters=False,
        responses={200: SourceTextSerializer, **_errors(400, 401, 403, 404, 429)},
    )
    @action(
        detail=True,
        methods=["get"],
        permission_classes=[MayReadDocuments],
        pagination_class=None,
        renderer_classes=table_free_renderers(),
    )
    def text(self, request, slug=None):
        source = self.get_object()
        if not source.text:
            raise exceptions.NotFound(f"The text of '{source.slug}' is not loaded (see manage.py import_documents).")
        spans = paragraph_spans(source.text)
        return Response(
            {
                "source": source.slug,
                "text_sha256": source.text_sha256,
                "text": source.text,
                "paragraphs": [
                    {"number": number, "start": start, "end": end} for number, (start, end) in enumerate(spans, 1)
                ],
            }
        )

    @extend_schema(
        operation_id="sources_annotations",
        summary="A source's citations as a W3C Web Annotation collection (JSON-LD)",
        description="Without `page`: the `AnnotationCollection` (its `total`, and `first`/`last` page URLs). With "
        "`page=N`: that `AnnotationPage` of up to 100 annotations, with `partOf`, `startIndex` and `next`/`prev`. "
        "Each citation is one `Annotation`: `motivation` `describing` for a supporting citation, `assessing` for a "
        "contradicting one; `body` the cited record's API URL (and the citation's note as a `TextualBody`); "
        "`target` the document (its web address when known, else this source's API URL) with a "
        "`TextQuoteSelector` and, when the text is loaded, a `TextPositionSelector` (offsets in the text as this "
        'API stores it). Served as `application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"`.',
        filters=False,
        parameters=[
            OpenApiParameter(
                "page", OpenApiTypes.INT, description="Page number, from 1 to the collection's last page."
            )
        ],
        responses={(200, JSONLDRenderer.media_type): ANNOTATION_DOCUMENT, **_errors(400, 404, 429)},
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[JSONLDRenderer],
        pagination_class=None,
        query_parameters=("page",),
    )
    def annotations(self, request, slug=None):
        source = self.get_object()
        number = positive_int(request, "page")
        citations = web_annotations.source_citations(source)
        links = web_annotations.AnnotationLinks(request, source)
        if number is None:
            return Response(web_annotations.collection(citations, links), content_type=web_annotations.MEDIA_TYPE)
        last = web_annotations.page_count(citations)
        if number > last:
            raise exceptions.NotFound(f"Page {number} is past the last page, {last}.")
        return Response(web_annotations.page(citations, links, number), content_type=web_annotations.MEDIA_TYPE)

    @extend_schema(
        operation_id="sources_annotation",
        summary="One citation of a source as a W3C Web Annotation (JSON-LD)",
        description="The annotation whose `id` is this URL, as the collection lists it, with its own `@context`.",
        filters=False,
        parameters=[
            OpenApiParameter(
                "annotation",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The annotation's key: cited kind, cited record's slug, and 12 hex digits of the "
                "quote's SHA-256, joined by dots.",
                pattern=web_annotations.KEY_PATTERN,
            )
        ],
        responses={(200, JSONLDRenderer.media_type): ANNOTATION_ITEM, **_errors(400, 404, 429)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=f"annotations/(?P<annotation>{web_annotations.KEY_PATTERN})",
        renderer_classes=[JSONLDRenderer],
        pagination_class=None,
    )
    def annotation(self, request, slug=None, annotation=None):
        source = self.get_object()
        links = web_annotations.AnnotationLinks(request, source)
        found = web_annotations.find(source, annotation)
        if found is None:
            raise exceptions.NotFound(f"'{source.slug}' has no citation with the annotation key '{annotation}'.")
        document = {"@context": web_annotations.CONTEXT, **web_annotations.annotation(found, links)}
        return Response(document, content_type=web_annotations.MEDIA_TYPE)
