"""A curator's day at the desk, in a real Chromium: add a cited event, see it in the API, hit a form error, revert.

Runs only when selected (``pytest -m browser``): it needs Debian's ``/usr/bin/chromium`` (``apt-get install
chromium``) and the Playwright Python package, never a downloaded browser. Screenshots of each step are written to
``artifacts/browser/`` (git-ignored) for a human to look at.
"""

import datetime
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from apps.curation.roles import CURATORS
from apps.events.models import Event
from apps.sources.models import Source
from apps.treaties.models import State, Treaty

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "browser"
PASSWORD = "a-curator-password-for-tests"


@pytest.fixture
def page(live_server, monkeypatch):
    """A Chromium page; the test talks to the database while Playwright's event loop runs in the same thread."""
    sync_api = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    # Playwright's sync API runs an asyncio loop in this thread; the ORM calls in between are ordinary sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def desk(transactional_db):
    """What a curator finds on the desk: the Open Skies treaty, two states, a source, and their account."""
    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    treaty = Treaty.objects.create(
        slug="open-skies",
        name="Treaty on Open Skies",
        short_name="Open Skies Treaty",
        kind="multilateral",
        domain="confidence_building",
    )
    State.objects.create(code="USA", name="United States")
    State.objects.create(code="RUS", name="Russia")
    source = Source.objects.create(
        slug="reuters-2020-11-22", title="U.S. exit from Open Skies takes effect", language="en", kind="news_report"
    )
    return {"treaty": treaty, "source": source}


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _pick(page, select_id: str, text: str) -> None:
    """Choose an option in an admin autocomplete (select2) box by typing, as a curator does."""
    page.click(f"[aria-labelledby='select2-{select_id}-container']")
    page.fill(".select2-container--open .select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def test_curator_adds_cites_corrects_and_reverts_an_event(page, desk):
    _log_in(page)
    _shot(page, "01-logged-in")

    # Add an event with its citation, through the form and its citation inline.
    page.goto(f"/admin/events/event/add/?treaty={desk['treaty'].pk}")
    page.fill("#id_slug", "usa-withdrawal-effective")
    page.fill("#id_title", "U.S. withdrawal from the Open Skies Treaty takes effect")
    page.select_option("#id_type", "withdrawal_effective")
    page.fill("#id_date", "2020-11-22")
    page.select_option("#id_date_precision", "day")
    _pick(page, "id_citations-0-source", "U.S. exit from Open Skies")
    page.fill("#id_citations-0-quote", "The U.S. withdrawal from the Open Skies Treaty took effect on Sunday.")
    _shot(page, "02-event-form-filled")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    _shot(page, "03-event-saved")
    event = Event.objects.get(slug="usa-withdrawal-effective")
    assert event.treaty == desk["treaty"]
    assert event.citations.get().source == desk["source"]
    original_title = event.title

    # The saved event is published at once: the API lists it under its treaty, with its citation.
    page.goto("/api/events/?treaty=open-skies")
    page.wait_for_selector("text=usa-withdrawal-effective")
    _shot(page, "03b-event-in-the-api")
    listing = page.request.get("/api/events/?treaty=open-skies", headers={"Accept": "application/json"}).json()
    published = {item["slug"]: item for item in listing["results"]}
    assert published["usa-withdrawal-effective"]["title"] == original_title
    assert [c["quote"] for c in published["usa-withdrawal-effective"]["citations"]] == [
        "The U.S. withdrawal from the Open Skies Treaty took effect on Sunday."
    ]

    # A month-precision date on the 22nd is refused, with the message on the date field.
    change_url = f"/admin/events/event/{event.pk}/change/"
    page.goto(change_url)
    page.select_option("#id_date_precision", "month")
    page.click("input[name=_save]")
    error = page.locator(".field-date .errorlist")
    error.wait_for()
    assert "must be the 1st of its month" in error.inner_text()
    _shot(page, "04-validation-error-on-date")
    event.refresh_from_db()
    assert event.date_precision == "day"

    # A mistaken edit, then revert it from the history.
    page.goto(change_url)
    page.fill("#id_title", "A mistaken title")
    page.click("input[name=_save]")
    page.wait_for_selector("ul.messagelist li.success")
    event.refresh_from_db()
    assert event.title == "A mistaken title"

    page.goto(change_url)
    page.click("a.historylink")
    page.wait_for_selector("#change-history")
    assert "A mistaken title" in page.inner_text("#change-history")
    assert "curator" in page.inner_text("#change-history")
    _shot(page, "05-history")
    page.locator("#change-history tbody tr").last.locator("a").first.click()
    page.wait_for_selector("input[name=_save][value=Revert]")
    assert page.input_value("#id_title") == original_title
    _shot(page, "06-revert-form")
    page.click("input[name=_save][value=Revert]")
    page.wait_for_selector("ul.messagelist li.success")
    _shot(page, "07-reverted")
    event.refresh_from_db()
    assert event.title == original_title
    assert [record.history_user.username for record in event.history.all()[:3]] == ["curator"] * 3
    assert event.updated_at.date() == datetime.date.today()


def _log_in(page) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_curator_reads_the_open_skies_page_and_previews_a_csv_import(page, transactional_db, tmp_path):
    """On the real dataset: the treaty page lists its memberships and events; a CSV preview names each bad row."""
    call_command("load_dataset", no_migrate=True, verbosity=0)
    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    _log_in(page)

    treaty = Treaty.objects.get(slug="open-skies")
    page.goto(f"/admin/treaties/treaty/{treaty.pk}/change/")
    memberships = page.locator("#memberships-group tbody tr.has_original")
    events = page.locator("#events-group tbody tr.has_original")
    assert memberships.count() == treaty.memberships.count() > 0
    assert events.count() == treaty.events.count() > 0
    _shot(page, "08-open-skies-treaty-page")

    upload = tmp_path / "events.csv"
    upload.write_text(
        "slug,type,date,date_precision,title,treaty,source,quote,locator\n"
        "new-meeting,meeting,2021-03-15,month,A meeting,open-skies,,,\n",
        encoding="utf-8",
    )
    page.goto("/admin/events/event/import/")
    page.set_input_files("#id_import_file", str(upload))
    page.click("input[type=submit]")
    # The row's error count; hovering it opens the list of errors by column, as a curator would.
    page.hover(".validation-error-count")
    errors = page.locator(".validation-error-container")
    errors.wait_for()
    assert "1st of its month" in errors.inner_text()
    assert "needs at least one citation" in errors.inner_text()
    _shot(page, "09-csv-import-preview-row-errors")
    assert not Event.objects.filter(slug="new-meeting").exists()


def test_a_visitor_reads_the_front_page_and_a_curator_comes_back_to_it_from_the_desk(page, transactional_db):
    """On the real dataset: / shows the treaties with their counts and links; the admin's "View site" leads back."""
    call_command("load_dataset", no_migrate=True, verbosity=0)
    page.goto("/")
    _shot(page, "10-front-page")
    assert page.title().startswith("Treaty API")
    treaty = Treaty.objects.get(slug="open-skies")
    cells = page.locator("tr[data-slug='open-skies'] td")
    assert cells.nth(0).inner_text() == treaty.short_name
    assert [cells.nth(i).inner_text() for i in (2, 3, 4)] == [
        str(treaty.memberships.count()),
        str(treaty.events.count()),
        str(treaty.statements.count()),
    ]
    assert page.locator("#treaties tbody tr").count() == Treaty.objects.count()
    assert "Last changed on" in page.inner_text("#last-change")

    # Its links lead where they say.
    page.click("#link-changes")
    assert page.url.endswith("/api/changes/")
    assert page.request.get("/api/changes/").json()["results"]
    page.go_back()
    page.click("tr[data-slug='open-skies'] td:nth-child(3) a")
    page.wait_for_url("**/api/memberships/?treaty=open-skies")
    page.goto("/")
    page.click("#link-docs")
    page.wait_for_selector(".swagger-ui")
    page.goto("/")
    page.click("#link-admin")
    page.wait_for_selector("#id_username")

    curator = User.objects.create_user("curator", password=PASSWORD, is_staff=True)
    curator.groups.add(Group.objects.get(name=CURATORS))
    _log_in(page)
    page.click("text=View site")
    page.wait_for_selector("#treaties")
    assert urlsplit(page.url).path == "/"
    _shot(page, "11-front-page-from-the-desk")
