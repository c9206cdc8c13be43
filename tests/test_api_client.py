"""The Python client generated from the schema works unchanged against a live server.

.ci/clients.sh generates the client into build/clients/python and runs this module with TREATYAPI_REQUIRE_CLIENT=1,
so CI fails rather than skips when the client is missing. In a plain test run it is skipped until generated.
"""

import datetime
import importlib
import os
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from apps.events.models import Event
from apps.treaties.models import Membership
from apps.treaties.models import Treaty as TreatyModel

pytestmark = [pytest.mark.clients, pytest.mark.slow]

CLIENT_DIR = Path(os.environ.get("TREATYAPI_PYTHON_CLIENT", settings.BASE_DIR / "build" / "clients" / "python"))


@pytest.fixture
def api_client_package():
    if not (CLIENT_DIR / "treaty_api_client" / "__init__.py").is_file():
        if os.environ.get("TREATYAPI_REQUIRE_CLIENT"):
            pytest.fail(f"No generated client in {CLIENT_DIR}; .ci/clients.sh generates it.")
        pytest.skip("The generated client is absent; run .ci/clients.sh.")
    sys.path.insert(0, str(CLIENT_DIR))
    try:
        yield importlib.import_module("treaty_api_client")
    finally:
        sys.path.remove(str(CLIENT_DIR))


@pytest.fixture
def dataset(transactional_db):
    """The real dataset, loaded as the README's run command loads it (a live server needs it committed)."""
    call_command("load_dataset", verbosity=0)


def test_generated_client_lists_open_skies_events_and_fetches_a_treaty(api_client_package, dataset, live_server):
    from treaty_api_client import Client
    from treaty_api_client.api.events import events_list, events_retrieve
    from treaty_api_client.api.treaties import treaties_retrieve, treaties_timeline
    from treaty_api_client.models import Error, PaginatedEventList, PaginatedTimelineEntryList, Treaty

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True)

    treaty = treaties_retrieve.sync("open-skies", client=client)
    assert isinstance(treaty, Treaty)
    assert treaty.slug == "open-skies"
    assert treaty.name == TreatyModel.objects.get(slug="open-skies").name
    assert "Open Skies" in treaty.name
    assert treaty.url == f"{live_server.url}/api/treaties/open-skies/"

    page = events_list.sync(client=client, treaty="open-skies", page_size=100)
    assert isinstance(page, PaginatedEventList)
    assert page.count == Event.objects.filter(treaty__slug="open-skies").count() >= 1
    assert len(page.results) == min(page.count, 100)
    assert {event.treaty.slug for event in page.results} == {"open-skies"}
    dated = [event for event in page.results if event.date is not None]
    assert dated and all(event.date.start <= event.date.end for event in dated)
    assert [event.date.start for event in dated] == sorted(event.date.start for event in dated)

    first = events_retrieve.sync(page.results[0].slug, client=client)
    assert first.to_dict() == page.results[0].to_dict()

    timeline = treaties_timeline.sync("open-skies", client=client, page_size=500)
    assert isinstance(timeline, PaginatedTimelineEntryList)
    assert len([entry for entry in timeline.results if entry.kind == "event"]) == page.count

    error = events_list.sync(client=client, treaty="no-such-treaty")
    assert isinstance(error, Error)
    assert error.status == 400
    assert error.errors[0].parameter == "treaty"


def test_generated_client_fetches_a_list_as_csv(api_client_package, dataset, live_server):
    """The CSV path is an operation of its own: the client reads its text instead of parsing a JSON page."""
    import csv
    import io

    from treaty_api_client import Client
    from treaty_api_client.api.events import events_list_csv
    from treaty_api_client.api.memberships import memberships_list_csv

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    text = events_list_csv.sync(client=client, treaty="open-skies")
    assert isinstance(text, str)
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == Event.objects.filter(treaty__slug="open-skies").count() >= 1
    assert {row["treaty.slug"] for row in rows} == {"open-skies"}

    memberships = memberships_list_csv.sync(
        client=client, treaty="open-skies", state="usa", as_of=datetime.date(2020, 6, 1)
    )
    (usa,) = csv.DictReader(io.StringIO(memberships.removeprefix("\ufeff")))
    assert usa["status"] == "withdrawing"


def test_generated_client_follows_a_treatys_links_to_its_memberships(api_client_package, dataset, live_server):
    """A link in a record is a URL the client's own HTTP session follows unchanged, parsed by the generated model."""
    from treaty_api_client import Client
    from treaty_api_client.api.treaties import treaties_retrieve
    from treaty_api_client.models import PaginatedMembershipList, PaginatedTimelineEntryList

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    treaty = treaties_retrieve.sync("open-skies", client=client)
    assert treaty.memberships_url == f"{live_server.url}/api/memberships/?treaty=open-skies"
    response = client.get_httpx_client().get(treaty.memberships_url)
    memberships = PaginatedMembershipList.from_dict(response.json())
    assert memberships.count == Membership.objects.filter(treaty__slug="open-skies").count() >= 1
    assert {membership.treaty.slug for membership in memberships.results} == {"open-skies"}
    timeline = PaginatedTimelineEntryList.from_dict(client.get_httpx_client().get(treaty.timeline_url).json())
    assert timeline.count >= 1


def test_generated_client_lists_releases_and_downloads_a_package_matching_its_checksum(
    api_client_package, dataset, live_server
):
    """A researcher's script finds the latest release, downloads its zip and checks it, and gets its BibTeX."""
    import hashlib

    from treaty_api_client import Client
    from treaty_api_client.api.releases import (
        releases_archive,
        releases_citation_bibtex,
        releases_file_csv,
        releases_list,
        releases_retrieve,
    )
    from treaty_api_client.models import PaginatedReleaseList, Release

    client = Client(base_url=live_server.url, raise_on_unexpected_status=True)
    page = releases_list.sync(client=client)
    assert isinstance(page, PaginatedReleaseList) and page.count >= 1
    latest = releases_retrieve.sync(page.results[0].version, client=client)
    assert isinstance(latest, Release)
    assert latest.counts.additional_properties["events"] == Event.objects.count()
    archive = releases_archive.sync(latest.version, client=client)
    assert hashlib.sha256(archive.payload.read()).hexdigest() == latest.archive.sha256
    events_file = next(f for f in latest.files if f.name == "events.csv")
    text = releases_file_csv.sync(latest.version, "events", client=client)
    assert hashlib.sha256(text.encode()).hexdigest() == events_file.sha256
    bibtex = releases_citation_bibtex.sync(latest.version, client=client)
    assert bibtex.startswith("@misc{") and f"version = {{{latest.version}}}" in bibtex
