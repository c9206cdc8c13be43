"""Replacing a source's document when the one recorded is the wrong file: an explicit act at the desk that names the
hash it replaces, places every citation and paragraph decision in the new text or changes nothing, and keeps the old
hash in the source's history."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.events.models import EventCitation
from apps.sources import documents
from apps.sources.models import ParagraphDecision, Source
from apps.sources.services import source_text_set

WRONG = "Open Skies: a summary\nPhoto: a plane.\nRussia regretted it. The U.S. left.\n"
RIGHT = (
    "U.S. leaves Open Skies\n"
    "By a correspondent\n"
    "The U.S. left on Sunday, after six months.\n"
    "Photo: a plane.\n"
    "Russia regretted it. Russia said so twice.\n"
)


@pytest.fixture
def wrong_upload(make_source, make_event):
    """A source whose first upload was the wrong file: cited and decided in it."""
    source = make_source(slug="wire", title="Wire", document="wire.txt")
    source_text_set(source=source, text=WRONG)
    event = make_event(slug="us-left", cite=False)
    for quote, prefix in [("Russia regretted it.", ""), ("The U.S. left", "it. ")]:
        citation = EventCitation(event=event, source=source, quote=quote, prefix=prefix)
        citation.full_clean()
        citation.save()
    ParagraphDecision.objects.create(source=source, paragraph=2, reason="Photo caption.")
    source.refresh_from_db()
    return source


def _upload(client, admin_form_data, source, content: str, replaces: str | None = None):
    url = reverse("admin:sources_source_change", args=[source.pk])
    data = admin_form_data(client.get(url))
    data["document_file"] = SimpleUploadedFile("wire.txt", content.encode())
    if replaces is not None:
        data["replaces_sha256"] = replaces
    return client.post(url, data)


def _errors(response, field: str) -> list[str]:
    return response.context["adminform"].form.errors.get(field, [])


def test_the_right_document_replaces_the_wrong_one_placing_citations_and_decisions(
    wrong_upload, curator_client, admin_form_data
):
    old = documents.sha256(WRONG)
    response = _upload(curator_client, admin_form_data, wrong_upload, RIGHT, replaces=old)
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    source = Source.objects.get(pk=wrong_upload.pk)
    assert (source.text, source.text_sha256) == (RIGHT, documents.sha256(RIGHT))
    placed = {c.quote: c for c in EventCitation.objects.filter(source=source)}
    regretted = placed["Russia regretted it."]
    assert (regretted.start, regretted.locator) == (RIGHT.index("Russia regretted"), "para. 5")
    # Its prefix was taken from the wrong text; the quote is unique in the right one, so it stands alone there.
    left = placed["The U.S. left"]
    assert (left.start, left.prefix, left.locator) == (RIGHT.index("The U.S. left"), "", "para. 3")
    assert list(source.paragraph_decisions.values_list("paragraph", "reason")) == [(4, "Photo caption.")]
    # The source's history holds both hashes, and says what replaced what.
    latest, before = source.history.order_by("-history_id")[:2]
    assert (latest.text_sha256, before.text_sha256) == (documents.sha256(RIGHT), old)
    assert latest.history_change_reason == f"Document replaced, was SHA-256 {old}"
    assert left.history.latest().history_change_reason == latest.history_change_reason


def test_without_naming_the_hash_it_replaces_a_different_document_is_refused(
    wrong_upload, curator_client, admin_form_data
):
    response = _upload(curator_client, admin_form_data, wrong_upload, RIGHT)
    assert response.status_code == 200
    assert "This is not the document the dataset cites for 'wire'" in _errors(response, "document_file")[0]
    assert _errors(response, "replaces_sha256") == [
        "If the recorded document is the wrong file, replace it: give its SHA-256 here with the right one."
    ]
    assert Source.objects.get(pk=wrong_upload.pk).text == WRONG


@pytest.mark.parametrize(
    ("replaces", "content", "field", "message"),
    [
        ("0" * 64, RIGHT, "replaces_sha256", "'wire' holds the document with SHA-256 "),
        ("same", WRONG, "replaces_sha256", "This is the document the source holds already"),
        ("old", RIGHT.replace("Russia regretted it.", "Russia hailed it."), "document_file", "event citation of"),
        ("old", RIGHT.replace("Photo: a plane.\n", ""), "document_file", "paragraph decision 2: its paragraph"),
        ("old", RIGHT + "Photo: a plane.\n", "document_file", "is in the new document 2 times"),
    ],
)
def test_a_replacement_that_does_not_fit_changes_nothing(
    wrong_upload, curator_client, admin_form_data, replaces, content, field, message
):
    """A stale or pointless hash, a citation or a decided paragraph the new document lacks: refused, as an upload
    of the recorded document that its citations do not fit is."""
    replaces = documents.sha256(WRONG) if replaces in {"old", "same"} else replaces
    citations = sorted(EventCitation.objects.filter(source=wrong_upload).values_list("quote", "start", "prefix"))
    response = _upload(curator_client, admin_form_data, wrong_upload, content, replaces=replaces)
    assert response.status_code == 200
    assert any(message in error for error in _errors(response, field)), response.context["adminform"].form.errors
    source = Source.objects.get(pk=wrong_upload.pk)
    assert (source.text, source.text_sha256) == (WRONG, documents.sha256(WRONG))
    assert sorted(EventCitation.objects.filter(source=source).values_list("quote", "start", "prefix")) == citations
    assert list(source.paragraph_decisions.values_list("paragraph", flat=True)) == [2]


def test_a_hash_without_an_upload_is_refused(wrong_upload, curator_client, admin_form_data):
    url = reverse("admin:sources_source_change", args=[wrong_upload.pk])
    data = admin_form_data(curator_client.get(url)) | {"replaces_sha256": documents.sha256(WRONG)}
    response = curator_client.post(url, data)
    assert _errors(response, "replaces_sha256") == ["Upload the document that replaces it."]


def test_a_reviewer_is_offered_no_replacement_and_cannot_post_one(wrong_upload, reviewer_client):
    url = reverse("admin:sources_source_change", args=[wrong_upload.pk])
    page = reviewer_client.get(url)
    assert page.status_code == 200 and b"replaces_sha256" not in page.content
    upload = SimpleUploadedFile("wire.txt", RIGHT.encode())
    response = reviewer_client.post(url, {"document_file": upload, "replaces_sha256": documents.sha256(WRONG)})
    assert response.status_code == 403
    assert Source.objects.get(pk=wrong_upload.pk).text == WRONG


def test_decisions_cannot_be_placed_when_the_old_text_is_not_loaded(wrong_upload):
    Source.objects.filter(pk=wrong_upload.pk).update(text="", has_text=False)
    source = Source.objects.get(pk=wrong_upload.pk)
    with pytest.raises(ValidationError) as refused:
        source_text_set(source=source, text=RIGHT, replaces=documents.sha256(WRONG))
    assert "the text of the document it replaces is not loaded" in str(refused.value)


def test_decisions_whose_paragraphs_change_order_are_refused(wrong_upload):
    """Two decisions each find their paragraph, but in the other order: not a correction of a wrong file that a
    curator should get without looking (and moving them one by one would collide on the unique constraint)."""
    ParagraphDecision.objects.create(source=wrong_upload, paragraph=1, reason="Headline.")
    swapped = RIGHT.replace("U.S. leaves Open Skies\n", "") + "Open Skies: a summary\n"
    with pytest.raises(ValidationError) as refused:
        source_text_set(source=wrong_upload, text=swapped, replaces=documents.sha256(WRONG))
    assert "the new document puts their paragraphs in another order" in str(refused.value)


@pytest.mark.parametrize(
    ("decided", "text", "expected"),
    [
        ([1, 3], "A new first line\n" + WRONG, [2, 3, 4]),  # each onto the next one's old number
        ([3], WRONG.partition("\n")[2], [1, 2]),  # each onto the previous one's old number
    ],
)
def test_decisions_move_without_ever_sharing_a_paragraph(wrong_upload, decided, text, expected):
    """Moved in an order that never puts two on one paragraph (which the unique constraint refuses): those moving
    down from the first, those moving up from the last."""
    for paragraph in decided:
        ParagraphDecision.objects.create(source=wrong_upload, paragraph=paragraph, reason=f"Decided {paragraph}.")
    source_text_set(source=wrong_upload, text=text, replaces=documents.sha256(WRONG))
    assert list(wrong_upload.paragraph_decisions.values_list("paragraph", flat=True)) == expected
