"""The source library in the API: citations' selectors, writes placing quotes, coverage, the staff-only text, and
the W3C Web Annotation collection (checked against the model's JSON-LD context, vendored in tests/data)."""

import json
from pathlib import Path

import jsonschema
import pytest
from django.test import Client
from pyld import jsonld

from apps.events.models import Event, EventCitation
from apps.sources.documents import sha256
from apps.sources.models import ParagraphDecision
from tests.conftest import token_client

TEXT = (
    "Planes in sky\n"
    "The United States said on Thursday it would withdraw from the Open Skies Treaty.\n"
    "\n"
    "Moscow said it regretted the decision. Moscow said it regretted the decision.\n"
    "The treaty was signed in 1992.\n"
)
ANNO_CONTEXT = json.loads((Path(__file__).parent / "data" / "anno.jsonld").read_text(encoding="utf-8"))
OA = "http://www.w3.org/ns/oa#"
AS = "http://www.w3.org/ns/activitystreams#"
ANNO_MEDIA_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


@pytest.fixture
def library(make_source, make_event):
    """A source with its text loaded, an event citing it twice (supporting, and contradicting with a note)."""
    source = make_source(slug="reuters", title="U.S. to exit", text=TEXT, text_sha256=sha256(TEXT))
    event = make_event(slug="us-exit", cite=False)
    for quote, stance, note in [
        ("it would withdraw from the Open Skies Treaty", "supports", ""),
        ("The treaty was signed in 1992.", "contradicts", "Other documents say 1992 too; kept to test."),
    ]:
        citation = EventCitation(event=event, source=source, quote=quote, stance=stance, note=note)
        citation.full_clean()
        citation.save()
    ParagraphDecision.objects.create(source=source, paragraph=1, reason="Image description.")
    return source, event


def test_citations_carry_their_selectors_and_whether_they_are_verified(library, make_event, make_source):
    _, event = library
    unloaded = make_event(slug="unloaded")  # cited from a source without text
    detail = Client().get(f"/api/events/{event.slug}/").json()
    citation = next(c for c in detail["citations"] if c["stance"] == "supports")
    start = TEXT.index("it would withdraw")
    assert citation | {"source": None} == {
        "source": None,
        "quote": "it would withdraw from the Open Skies Treaty",
        "locator": "para. 2",
        "stance": "supports",
        "note": "",
        "prefix": "",
        "suffix": "",
        "start": start,
        "end": start + len("it would withdraw from the Open Skies Treaty"),
        "verified": True,
    }
    listed = {item["slug"]: item for item in Client().get("/api/events/").json()["results"]}
    assert listed[event.slug]["citations"] == detail["citations"]
    assert listed[unloaded.slug]["citations"][0]["verified"] is False
    assert listed[unloaded.slug]["citations"][0]["start"] is None


def _new_event(source_slug: str, **citation) -> dict:
    return {
        "slug": "new-event",
        "type": "meeting",
        "title": "A meeting",
        "date": "2020-01-01",
        "date_precision": "year",
        "citations": [{"source": source_slug, **citation}],
    }


def _errors(response) -> dict:
    return {error["parameter"]: error["message"] for error in response.json()["errors"]}


def test_a_written_citation_is_placed_in_the_text_and_its_typed_locator_ignored(library, curator_api, write):
    write(
        curator_api, "post", "/api/events/", _new_event("reuters", quote="Planes in sky", locator="p. 9"), expect=201
    )
    citation = EventCitation.objects.get(event__slug="new-event")
    assert (citation.start, citation.end, citation.locator) == (0, 13, "para. 1")


def test_a_prefix_chooses_between_repeated_passages(library, curator_api, write):
    quote = "Moscow said it regretted the decision."
    body = _new_event("reuters", quote=quote)
    response = write(curator_api, "post", "/api/events/", body, expect=400)
    assert "occurs 2 times" in _errors(response)["citations[0].quote"]
    body["citations"][0]["prefix"] = "decision. "
    write(curator_api, "post", "/api/events/", body, expect=201)
    assert EventCitation.objects.get(event__slug="new-event").start == TEXT.rindex(quote)


@pytest.mark.parametrize(
    ("citation", "field", "message"),
    [
        (
            {"quote": "The treaty was signed in 1993."},
            "citations[0].quote",
            "Not found in 'U.S. to exit' (reuters). Copy the passage exactly",
        ),
        ({"quote": ""}, "citations[0].quote", "This field may not be blank."),
        ({"quote": "x" * 10_000}, "citations[0].quote", "at most 600 characters"),
        (
            {"quote": "Planes in sky", "start": 0, "end": 500},
            "citations[0].end",
            "Out of range: the text of 'reuters' ",
        ),
        ({"quote": "Planes in sky", "start": 1, "end": 14}, "citations[0].start", "Characters 1-14 of 'reuters' are"),
        ({"quote": "Planes in sky", "start": 0}, "citations[0].end", "Give start and end together, or neither."),
        ({"quote": "Planes in sky", "start": -1, "end": 13}, "citations[0].start", "greater than or equal to 0"),
        ({"quote": "Planes in sky", "prefix": "Trains "}, "citations[0].prefix", "but not with this prefix"),
    ],
)
def test_bad_selectors_are_field_errors_and_nothing_is_saved(library, curator_api, write, citation, field, message):
    response = write(curator_api, "post", "/api/events/", _new_event("reuters", **citation), expect=400)
    assert message in _errors(response)[field]
    assert not Event.objects.filter(slug="new-event").exists()


def test_errors_quote_the_document_only_to_those_who_may_read_it(library, curator_api, write, make_api_user):
    """A non-staff curator gets a 403 on /text/: its 400s quote no document text either, where they echoed what the
    characters at a position read and "did you mean" passages. Staff (who may read /text/) still get both."""
    staff_api = token_client(make_api_user("staff-script", *curator_api.user.groups.all()))
    staff_api.user.is_staff = True
    staff_api.user.save()
    for client, may_read in [(curator_api, False), (staff_api, True)]:
        assert client.get("/api/sources/reuters/text/").status_code == (200 if may_read else 403)
        mistyped = write(
            client, "post", "/api/events/", _new_event("reuters", quote="The treaty was signed 1992."), expect=400
        )
        message = _errors(mistyped)["citations[0].quote"]
        assert message.startswith("Not found in 'U.S. to exit' (reuters).")
        assert ('Did you mean: "The treaty was signed in 1992."' in message) is may_read, message
        misplaced = _new_event("reuters", quote="Planes in sky", start=1, end=14)
        message = _errors(write(client, "post", "/api/events/", misplaced, expect=400))["citations[0].start"]
        assert message.startswith("Characters 1-14 of 'reuters' are not the quote")
        assert ('they read "lanes in sky\n"' in message) is may_read, message
        assert not Event.objects.filter(slug="new-event").exists()


def test_a_position_that_frames_the_quote_is_accepted(library, curator_api, write):
    start = TEXT.index("Moscow said", 10)
    second = TEXT.index("Moscow said", start + 1)
    body = _new_event("reuters", quote="Moscow said it regretted the decision.", start=second, end=second + 38)
    write(curator_api, "post", "/api/events/", body, expect=201)
    assert EventCitation.objects.get(event__slug="new-event").start == second


def test_coverage_is_public_and_counts_sentences_and_paragraphs(library):
    """Sentences cited, decided (here with their paragraph), with no fact, undecided; paragraphs by the same rule."""
    response = Client().get("/api/sources/reuters/coverage/")
    assert response.status_code == 200
    repeated = "Moscow said it regretted the decision."
    first = TEXT.index(repeated)
    second = TEXT.index(repeated, first + 1)
    assert response.json() == {
        "source": "reuters",
        "text_loaded": True,
        "paragraphs": 4,
        "cited": {"count": 2, "paragraphs": [2, 4]},
        "decided": {"count": 1, "paragraphs": [1]},
        "uncited": {"count": 1, "paragraphs": [3]},
        "percent_decided": 75.0,
        "sentences": {
            "total": 5,
            "cited": 2,
            "decided": 1,
            "no_fact": 0,
            "undecided": 2,
            "percent_decided": 60.0,
            "undecided_sentences": [
                {"paragraph": 3, "sentence": 1, "start": first, "end": first + len(repeated)},
                {"paragraph": 3, "sentence": 2, "start": second, "end": second + len(repeated)},
            ],
        },
    }


def test_a_paragraph_cited_in_part_is_not_decided_until_its_other_sentences_are(library):
    """Citing one sentence of a paragraph leaves the others open: the paragraph counts as uncited until they are
    decided, one as holding no fact, one left uncited with a reason."""
    source, event = library
    repeated = "Moscow said it regretted the decision."
    first = TEXT.index(repeated)
    second = TEXT.index(repeated, first + 1)
    citation = EventCitation(event=event, source=source, quote=repeated, start=first, end=first + len(repeated))
    citation.full_clean()
    citation.save()
    body = Client().get("/api/sources/reuters/coverage/").json()
    assert body["uncited"] == {"count": 1, "paragraphs": [3]}
    assert body["sentences"]["undecided_sentences"] == [
        {"paragraph": 3, "sentence": 2, "start": second, "end": second + len(repeated)}
    ]
    decision = ParagraphDecision(source=source, paragraph=3, start=second, end=second + len(repeated), kind="no_fact")
    decision.full_clean()
    decision.save()
    body = Client().get("/api/sources/reuters/coverage/").json()
    assert body["cited"] == {"count": 3, "paragraphs": [2, 3, 4]}
    assert body["uncited"] == {"count": 0, "paragraphs": []}
    assert body["sentences"] | {"undecided_sentences": None} == {
        "total": 5,
        "cited": 3,
        "decided": 1,
        "no_fact": 1,
        "undecided": 0,
        "percent_decided": 100.0,
        "undecided_sentences": None,
    }


def test_coverage_of_a_source_without_text_says_so(make_source):
    make_source(slug="no-text")
    assert Client().get("/api/sources/no-text/coverage/").json() == {
        "source": "no-text",
        "text_loaded": False,
        "paragraphs": None,
        "cited": {"count": 0, "paragraphs": []},
        "decided": {"count": 0, "paragraphs": []},
        "uncited": None,
        "percent_decided": None,
        "sentences": None,
    }


def test_the_text_is_served_to_staff_only(library, curator, make_api_user):
    assert Client().get("/api/sources/reuters/text/").status_code == 401
    outsider = Client()
    outsider.force_login(make_api_user("not-staff"))
    assert outsider.get("/api/sources/reuters/text/").status_code == 403
    staff = Client()
    staff.force_login(curator)
    body = staff.get("/api/sources/reuters/text/").json()
    assert body["text"] == TEXT
    assert body["text_sha256"] == sha256(TEXT)
    assert body["paragraphs"][1] == {"number": 2, "start": 14, "end": 94}


def test_a_method_the_endpoint_does_not_serve_is_405_before_any_credential_is_asked_for(library):
    response = Client().generic("TRACE", "/api/sources/reuters/text/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Client().delete("/api/sources/reuters/coverage/").status_code == 405


def test_the_schema_documents_these_actions_errors_as_json_and_their_success_as_served(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    annotations = paths["/api/sources/{slug}/annotations/"]["get"]["responses"]
    assert list(annotations["200"]["content"]) == ["application/ld+json"]
    assert list(annotations["400"]["content"]) == ["application/json"]
    text = paths["/api/sources/{slug}/text/"]["get"]["responses"]
    assert {"401", "403"} <= set(text)
    assert list(text["401"]["content"]) == ["application/json"]


def test_the_text_is_not_in_the_public_source_representation(library):
    body = Client().get("/api/sources/reuters/").json()
    assert "text" not in body
    assert body["text_sha256"] == sha256(TEXT) and body["has_text"] is True


def _load_context(url, options=None):
    assert url in {"http://www.w3.org/ns/anno.jsonld", "https://www.w3.org/ns/anno.jsonld"}, url
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url, "document": ANNO_CONTEXT}


def _expand(document: dict) -> list:
    return jsonld.expand(document, {"documentLoader": _load_context})


def test_annotations_collection_pages_and_items_follow_the_web_annotation_model(library):
    source, event = library
    collection_response = Client().get("/api/sources/reuters/annotations/")
    assert collection_response["Content-Type"] == ANNO_MEDIA_TYPE
    collection = collection_response.json()
    base = "http://testserver/api/sources/reuters/annotations/"
    assert collection == {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": base,
        "type": "AnnotationCollection",
        "label": "Passages of 'U.S. to exit' cited in the Treaty API dataset",
        "total": 2,
        "first": f"{base}?page=1",
        "last": f"{base}?page=1",
    }
    page = Client().get(collection["first"]).json()
    assert page["type"] == "AnnotationPage"
    assert page["partOf"]["id"] == base and page["partOf"]["total"] == 2
    assert page["startIndex"] == 0 and "next" not in page and "prev" not in page
    supporting, contradicting = page["items"]
    start = TEXT.index("it would withdraw")
    assert supporting["type"] == "Annotation" and supporting["motivation"] == "describing"
    assert supporting["body"] == [
        {"id": f"http://testserver/api/events/{event.slug}/", "type": "Dataset", "format": "application/json"}
    ]
    assert supporting["target"] == {
        "source": "http://testserver/api/sources/reuters/",
        "selector": [
            {"type": "TextQuoteSelector", "exact": "it would withdraw from the Open Skies Treaty"},
            {"type": "TextPositionSelector", "start": start, "end": start + 44},
        ],
    }
    assert contradicting["motivation"] == "assessing"
    assert contradicting["body"][1]["type"] == "TextualBody" and contradicting["body"][1]["purpose"] == "commenting"
    # Each annotation's id is its own URL, answering with the same annotation.
    single = Client().get(supporting["id"])
    assert single["Content-Type"] == ANNO_MEDIA_TYPE
    assert single.json() == {"@context": "http://www.w3.org/ns/anno.jsonld", **supporting}

    # Expanded against the model's context, every term is the Web Annotation vocabulary's (none dropped).
    [expanded_page] = _expand(page)
    assert expanded_page["@type"] == [f"{AS}OrderedCollectionPage"]
    [items] = expanded_page[f"{AS}items"]
    first = items["@list"][0]
    assert first["@type"] == [f"{OA}Annotation"]
    assert first[f"{OA}motivatedBy"] == [{"@id": f"{OA}describing"}]
    [target] = first[f"{OA}hasTarget"]
    assert target[f"{OA}hasSource"] == [{"@id": "http://testserver/api/sources/reuters/"}]
    quote, position = target[f"{OA}hasSelector"]
    assert quote["@type"] == [f"{OA}TextQuoteSelector"]
    assert quote[f"{OA}exact"] == [{"@value": "it would withdraw from the Open Skies Treaty"}]
    assert position[f"{OA}start"][0]["@value"] == str(start) or position[f"{OA}start"][0]["@value"] == start
    [expanded_collection] = _expand(collection)
    assert expanded_collection["@type"] == [f"{AS}OrderedCollection"]
    assert expanded_collection[f"{AS}totalItems"][0]["@value"] in (2, "2")
    assert expanded_collection[f"{AS}first"] == [{"@id": f"{base}?page=1"}]


def _unexpanded_keys(node, compact: dict) -> set:
    """Keys of the compact document that a JSON-LD processor would drop: not terms of the context."""
    terms = set(ANNO_CONTEXT["@context"]) | {"@context"}
    found = set()
    if isinstance(compact, dict):
        found |= set(compact) - terms
        for value in compact.values():
            found |= _unexpanded_keys(node, value)
    elif isinstance(compact, list):
        for value in compact:
            found |= _unexpanded_keys(node, value)
    return found


def test_every_key_of_the_annotation_documents_is_a_term_of_the_context(library):
    page = Client().get("/api/sources/reuters/annotations/?page=1").json()
    collection = Client().get("/api/sources/reuters/annotations/").json()
    assert _unexpanded_keys(None, page) == set()
    assert _unexpanded_keys(None, collection) == set()


def test_the_annotation_collection_of_the_dataset_pages_its_150_citations(dataset):
    source = "us-leaves-open-skies-russian-reactions-2020-11"
    collection = Client().get(f"/api/sources/{source}/annotations/").json()
    assert collection["total"] > 0
    page = Client().get(collection["first"]).json()
    assert len(page["items"]) == min(100, collection["total"])
    assert all(len(item["target"]["selector"]) == 2 for item in page["items"])


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [("?page=0", 400, "page"), ("?page=x", 400, "page"), ("?page=2", 404, ""), ("?size=3", 400, "size")],
)
def test_bad_annotation_pages_are_clear_errors(library, query, status, parameter):
    response = Client().get(f"/api/sources/reuters/annotations/{query}")
    assert response.status_code == status
    body = response.json()
    assert body["status"] == status
    if parameter:
        assert body["errors"][0]["parameter"] == parameter


def test_an_unknown_annotation_key_is_a_404(library):
    response = Client().get("/api/sources/reuters/annotations/event.no-such.0123456789ab/")
    assert response.status_code == 404
    assert "no citation with the annotation key" in response.json()["detail"]


def _response_schema(path: str, status: str = "200") -> dict:
    """The documented response schema of GET ``path``, its ``$ref``s inlined, as JSON Schema."""
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
            return {key: inline(value) for key, value in node.items()}
        return [inline(item) for item in node] if isinstance(node, list) else node

    (content,) = schema["paths"][path]["get"]["responses"][status]["content"].values()
    return inline(content["schema"])


def test_the_annotation_documents_match_their_documented_schemas(library, make_source):
    """Every shape the views serve (an empty collection, one with pages, a single page, an item) is valid against the
    schema generated clients are built from, optional links (first/last, prev/next, selectors' parts) included."""
    make_source(slug="uncited")
    documents = (
        Client().get("/api/sources/uncited/annotations/").json(),
        Client().get("/api/sources/reuters/annotations/").json(),
    )
    page = Client().get("/api/sources/reuters/annotations/?page=1").json()
    collection_schema = _response_schema("/api/sources/{slug}/annotations/")
    for document in [*documents, page]:
        jsonschema.validate(document, collection_schema)
    assert "first" not in documents[0] and "prev" not in page
    item = Client().get(page["items"][0]["id"]).json()
    jsonschema.validate(item, _response_schema("/api/sources/{slug}/annotations/{annotation}/"))
