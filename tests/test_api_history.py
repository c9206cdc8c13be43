"""Every write through the API is recorded in the record's history, with the user whose token made it."""

from apps.events.models import Event
from apps.treaties.models import Treaty


def test_an_api_update_is_recorded_with_the_token_user(open_skies, curator_api, write):
    url = "/api/treaties/inf/"
    before = Treaty.objects.get(slug="inf").history.count()
    write(curator_api, "patch", url, {"summary": "Ended in 2019."}, expect=200, etag=curator_api.get(url)["ETag"])
    treaty = Treaty.objects.get(slug="inf")
    latest = treaty.history.latest()
    assert treaty.history.count() == before + 1
    assert (latest.history_type, latest.history_user, latest.summary) == ("~", curator_api.user, "Ended in 2019.")


def test_api_creates_deletes_and_replaced_citations_are_recorded(open_skies, curator_api, write):
    body = {
        "slug": "new-meeting",
        "type": "meeting",
        "title": "A meeting",
        "citations": [{"source": "tass-2021-russia-withdrawal", "quote": "They met."}],
    }
    url = write(curator_api, "post", "/api/events/", body, expect=201)["Location"]
    event = Event.objects.get(slug="new-meeting")
    assert [(h.history_type, h.history_user) for h in event.history.all()] == [("+", curator_api.user)]
    citation_history = event.citations.model.history.filter(event_id=event.pk)
    assert [(h.history_type, h.history_user, h.quote) for h in citation_history] == [
        ("+", curator_api.user, "They met.")
    ]
    write(curator_api, "delete", url, expect=204, etag=curator_api.get(url)["ETag"])
    deleted = Event.history.filter(slug="new-meeting").order_by("-history_date", "-history_id").first()
    assert (deleted.history_type, deleted.history_user) == ("-", curator_api.user)


def test_a_session_write_is_recorded_with_the_logged_in_user(open_skies, make_api_user, writers_group):
    from rest_framework.test import APIClient

    user = make_api_user("browser-curator", writers_group)
    client = APIClient()
    client.force_login(user)
    url = "/api/states/BLR/"
    response = client.patch(url, {"notes": "Checked."}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert response.status_code == 200, response.content
    from apps.treaties.models import State

    assert State.objects.get(code="BLR").history.latest().history_user == user
