"""One rule on every write path: a treaty, membership, event or statement keeps at least one supporting citation.

The rule is ``apps.sources.citations.check_supported``; the API and scripts reach it through ``record_save``, the
admin and the CSV import ask it before saving. Each path is tried here with a write that would leave a record uncited.
"""

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.core.services import record_save
from apps.events.models import Event, EventCitation, Statement
from apps.treaties.models import Membership, Treaty

# A new record of each cited endpoint, valid in every way but its citations (on the open_skies fixture).
UNCITED = {
    "treaties": (Treaty, {"slug": "cfe", "name": "CFE Treaty", "kind": "multilateral", "domain": "arms_control"}),
    "memberships": (Membership, {"slug": "inf-rus", "treaty": "inf", "state": "RUS", "role": "party"}),
    "events": (Event, {"slug": "uncited-meeting", "type": "meeting", "title": "A meeting"}),
    "statements": (
        Statement,
        {"slug": "uncited-remark", "speaker": "A spokesperson", "kind": "remarks", "stance": "neutral", "text": "Hm."},
    ),
}
# An existing record of each, with one supporting citation.
EXISTING = {
    "treaties": "inf",
    "memberships": "open-skies-usa",
    "events": "inf-termination",
    "statements": "joint-statement",
}


def _citation_error(response) -> dict:
    body = response.json()
    assert body["status"] == 400, body
    return next(error for error in body["errors"] if error["parameter"] == "citations")


@pytest.mark.parametrize("endpoint", list(UNCITED))
@pytest.mark.parametrize("citations", [None, [], "contradicting"])
def test_api_create_without_a_supporting_citation_is_400(open_skies, curator_api, write, endpoint, citations):
    """POST without citations, with none, or with only a contradicting one: a 400 naming ``citations``, nothing
    saved."""
    model, body = UNCITED[endpoint]
    body = dict(body)
    if citations == "contradicting":
        body["citations"] = [
            {"source": "tass-2021-russia-withdrawal", "quote": "Q.", "stance": "contradicts", "note": "Disagrees."}
        ]
    elif citations is not None:
        body["citations"] = citations
    response = write(curator_api, "post", f"/api/{endpoint}/", body, expect=400)
    error = _citation_error(response)
    assert error["code"] == "citation_required"
    assert "needs at least one citation that supports it" in error["message"]
    assert not model.objects.filter(slug=body["slug"]).exists()


@pytest.mark.parametrize("endpoint", list(EXISTING))
def test_api_patch_removing_the_last_citation_is_400_and_changes_nothing(open_skies, curator_api, write, endpoint):
    """PATCH ``"citations": []`` (with another change) is refused whole: record, citations and ETag unchanged."""
    url = f"/api/{endpoint}/{EXISTING[endpoint]}/"
    before = curator_api.get(url)
    response = write(curator_api, "patch", url, {"notes": "changed", "citations": []}, expect=400, etag=before["ETag"])
    assert _citation_error(response)["code"] == "citation_required"
    after = curator_api.get(url)
    assert after.json() == before.json()
    assert after["ETag"] == before["ETag"]


@pytest.mark.parametrize("endpoint", list(EXISTING))
def test_api_put_without_citations_is_400_and_changes_nothing(open_skies, curator_api, write, endpoint):
    """PUT writes the record whole: citations left out would leave it uncited, so the rule refuses it."""
    url = f"/api/{endpoint}/{EXISTING[endpoint]}/"
    before = curator_api.get(url)
    body = {**UNCITED[endpoint][1], "slug": EXISTING[endpoint]}
    if endpoint == "memberships":
        body |= {"treaty": "open-skies", "state": "USA"}
    response = write(curator_api, "put", url, body, expect=400, etag=before["ETag"])
    assert _citation_error(response)["code"] == "citation_required"
    assert curator_api.get(url).json() == before.json()


def test_the_schema_requires_citations_where_the_record_is_written_whole(client):
    """Generated clients see the rule: citations required in POST and PUT bodies, optional in PATCH bodies."""
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    for endpoint in UNCITED:
        operations = schema["paths"][f"/api/{endpoint}/{{slug}}/"]
        for method, required in [("put", True), ("patch", False)]:
            ref = operations[method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            component = components[ref.rsplit("/", 1)[1]]
            assert ("citations" in component.get("required", [])) is required, (endpoint, method)
        post = schema["paths"][f"/api/{endpoint}/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        assert "citations" in components[post["$ref"].rsplit("/", 1)[1]]["required"]


def test_api_patch_turning_the_last_citation_contradicting_is_400(open_skies, curator_api, write):
    url = "/api/events/inf-termination/"
    before = curator_api.get(url)
    [citation] = before.json()["citations"]
    contradicting = {
        "source": citation["source"]["slug"],
        "quote": citation["quote"],
        "stance": "contradicts",
        "note": "Disagrees.",
    }
    response = write(curator_api, "patch", url, {"citations": [contradicting]}, expect=400, etag=before["ETag"])
    assert _citation_error(response)["code"] == "citation_required"
    assert EventCitation.objects.get(event__slug="inf-termination").stance == "supports"


def test_api_patch_of_other_fields_keeps_the_citations(open_skies, curator_api, write):
    """A write that leaves the citations out keeps them, and with them the record's support."""
    url = "/api/events/inf-termination/"
    write(curator_api, "patch", url, {"notes": "checked"}, expect=200, etag=curator_api.get(url)["ETag"])
    assert Event.objects.get(slug="inf-termination").notes == "checked"


def test_service_refuses_an_uncited_record_and_saves_nothing(make_state):
    """``record_save``, the service scripts and commands write through, applies the rule and rolls back."""
    state = make_state()
    with pytest.raises(ValidationError) as raised:
        record_save(
            record=Statement(),
            fields={
                "slug": "scripted",
                "speaker": "S",
                "kind": "remarks",
                "stance": "neutral",
                "text": "T.",
                "on_behalf_of": state,
            },
        )
    assert list(raised.value.message_dict) == ["citations"]
    assert not Statement.objects.filter(slug="scripted").exists()


def test_admin_refuses_moving_the_last_supporting_citation_to_another_record(
    sample_dataset, curator_client, admin_form_data
):
    """On a citation's own page, giving the record's only supporting citation to another record is refused."""
    first, second = sample_dataset["events"][:2]
    citation = first.citations.get()
    url = reverse("admin:events_eventcitation_change", args=[citation.pk])
    data = admin_form_data(curator_client.get(url)) | {"event": str(second.pk)}
    response = curator_client.post(url, data)
    assert response.status_code == 200
    assert "needs at least one citation that supports it" in str(response.context["adminform"].form.errors["event"])
    citation.refresh_from_db()
    assert citation.event == first


def test_admin_cannot_delete_the_last_supporting_citation(sample_dataset, curator_client):
    citation = sample_dataset["events"][0].citations.get()
    response = curator_client.post(reverse("admin:events_eventcitation_delete", args=[citation.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert EventCitation.objects.filter(pk=citation.pk).exists()


def test_csv_import_refuses_a_row_that_leaves_a_record_uncited(sample_dataset, curator_client):
    """A row changing a record that has no supporting citation must bring one, like a row creating a record."""
    event = sample_dataset["events"][0]
    event.citations.update(stance="contradicts", note="Disagrees.")
    columns = ["slug", "type", "date", "date_precision", "title", "source", "quote", "locator"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerow(
        {
            "slug": event.slug,
            "type": event.type,
            "date": event.date.isoformat(),
            "date_precision": event.date_precision,
            "title": "Retitled",
        }
    )
    upload = SimpleUploadedFile("rows.csv", out.getvalue().encode(), content_type="text/csv")
    response = curator_client.post(reverse("admin:events_event_import"), {"format": "0", "import_file": upload})
    [row] = response.context["result"].invalid_rows
    assert "needs at least one citation that supports it" in row.error.message_dict["quote"][0]
    assert "confirm_form" not in response.context
