"""The committed dataset: it loads into an empty database, validates, exports byte for byte, and states key facts."""

import datetime
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.dataset.validation import validate
from apps.events.models import Event, Statement
from apps.releases import package as packages
from apps.releases.package import repository_release_dir
from apps.releases.services import package_rows, write_rows
from apps.sources import documents
from apps.sources.models import Source, citation_models
from apps.treaties.models import Membership, State, Treaty

D = datetime.date


def test_fixtures_load_into_an_empty_database(db):
    """load_dataset (migrations included) fills every dataset model from the committed release."""
    assert Event.objects.count() == 0
    call_command("load_dataset", verbosity=0)
    for resource in packages.resources():
        assert resource.model.objects.exists(), resource.name


def test_load_dataset_names_the_missing_package(db, tmp_path):
    with pytest.raises(CommandError, match=r"datapackage\.json not found: the dataset's package starts with its"):
        call_command("load_dataset", fixtures=tmp_path, no_migrate=True)


def test_loading_twice_loads_nothing_the_second_time_and_says_so(dataset, capsys):
    counts = {resource.name: resource.model.objects.count() for resource in packages.resources()}
    call_command("load_dataset", no_migrate=True, verbosity=0)
    assert capsys.readouterr().out == "dataset 1.0.0 already loaded; 0 records changed since; nothing reloaded\n"
    assert counts == {resource.name: resource.model.objects.count() for resource in packages.resources()}


def test_validator_passes_on_the_fixtures(dataset):
    """The committed dataset has no problem, quotes included, when the documents are available."""
    if not Path(settings.SEED_DOCUMENTS_DIR).is_dir():
        pytest.skip(f"source documents not found at {settings.SEED_DOCUMENTS_DIR}")
    findings = validate(documents_dir=settings.SEED_DOCUMENTS_DIR)
    assert [str(problem) for problem in findings.problems] == []
    assert findings.warnings == []


def test_validate_dataset_command_reports_success(dataset, capsys):
    call_command("validate_dataset")
    assert "Dataset valid: no problems found." in capsys.readouterr().out


def test_the_committed_fixtures_are_the_release_the_writer_makes_of_them_byte_for_byte(dataset):
    """fixtures/ is the latest release, written by the release's code: loading it and writing the database again
    gives the same files, byte for byte (datapackage.json too, once its creation time is the same). A field added
    to a model since is a new column, at its default in every row, and only its resource's files differ."""
    committed = packages.read(repository_release_dir())
    rows = package_rows(committed)
    snapshot = packages.Snapshot.of_database()
    changed_columns = set()
    for resource in packages.resources():
        added = [c.name for c in resource.columns if rows[resource.name] and c.name not in rows[resource.name][0]]
        defaults = resource.defaults()
        for row in snapshot.rows[resource.name]:
            assert {name: row.pop(name) for name in added} == {name: defaults[name] for name in added}
        assert snapshot.rows[resource.name] == rows[resource.name], resource.name
        if added:
            changed_columns |= {f"{resource.name}.csv", f"{resource.name}.json", packages.DESCRIPTOR}
    metadata = {key: value for key, value in committed.descriptor.items() if key != "resources"}
    again = packages.build(packages.Snapshot.of_database(), committed.json_rows(packages.CHANGES), metadata)
    assert sorted(again.files) == sorted(committed.files)
    for name, data in committed.files.items():
        if name not in changed_columns:
            assert again.files[name] == data, name


def test_fixtures_are_utf8_indented_and_use_natural_keys_only():
    committed = packages.read(repository_release_dir())
    for name, data in committed.files.items():
        text = data.decode("utf-8")
        assert text.endswith("\n"), name
        assert "\\u2019" not in text, f"{name} escapes non-ASCII characters"
        if name.endswith(".json") and name != "datapackage.json":
            assert text.startswith("[\n  {\n") or text == "[]\n", name
            assert '"id":' not in text and '"pk":' not in text, f"{name} carries row numbers"


# --- Key facts, as a researcher would ask them through the ORM ---------------------------------------------------


def _event(slug: str) -> Event:
    return Event.objects.get(slug=slug)


def test_us_open_skies_withdrawal_notified_2020_05_22_effective_2020_11_22(dataset):
    membership = Membership.objects.get(treaty__slug="open-skies", state__code="USA")
    assert membership.slug == "open-skies-usa"
    assert (membership.withdrawal_notified_on, membership.withdrawal_notified_on_precision) == (D(2020, 5, 22), "day")
    assert (membership.left_on, membership.left_on_precision) == (D(2020, 11, 22), "day")
    assert membership.status == "withdrawn"
    effective = _event("usa-open-skies-withdrawal-effective-2020-11-22")
    assert effective.type == "withdrawal_effective"
    assert list(effective.participants.values_list("state__code", "role")) == [("USA", "actor")]


def test_open_skies_signed_1992_and_in_force_2002_to_the_year_only(dataset):
    signature = Event.objects.get(treaty__slug="open-skies", type="signature")
    assert (signature.date, signature.date_precision) == (D(1992, 1, 1), "year")
    in_force = Event.objects.get(treaty__slug="open-skies", type="entry_into_force")
    assert (in_force.date, in_force.date_precision) == (D(2002, 1, 1), "year")


def test_new_start_extended_until_2026_02_05(dataset):
    extension = Event.objects.get(treaty__slug="new-start", type="extension")
    assert (extension.date, extension.date_precision) == (D(2021, 1, 1), "year")
    assert "5 February 2026" in extension.description
    expiry = Event.objects.get(treaty__slug="new-start", type="expiry")
    assert (expiry.date, expiry.date_precision) == (D(2026, 2, 5), "day")
    assert Treaty.objects.get(slug="new-start").status == "in_force"


def test_russia_continues_the_soviet_union(dataset):
    russia = State.objects.get(code="RUS")
    assert russia.successor_of.code == "SUN"
    assert russia.successor_of.kind == "former_state"


def test_treaties_are_found_by_the_names_the_documents_use(dataset):
    def names(slug):
        treaty = Treaty.objects.get(slug=slug)
        return {treaty.name, treaty.short_name, *treaty.aliases}

    assert {"Open Skies Treaty", "Open Sky Treaty", "OST"} <= names("open-skies")
    assert {"Intermediate-Range Treaty", "Intermediate Range Treaty"} <= names("inf")
    assert {"New Strategic Arms Reduction Treaty", "New START"} <= names("new-start")
    assert {"Iran nuclear agreement", "Iranian Nuclear Agreement"} <= names("jcpoa")
    assert set(Treaty.objects.values_list("slug", flat=True)) == {
        "open-skies", "inf", "new-start", "abm", "jcpoa", "paris-agreement"
    }  # fmt: skip


def test_wrong_president_is_kept_as_a_flagged_contradiction_not_as_fact(dataset):
    signature = Event.objects.get(treaty__slug="open-skies", type="signature")
    contradiction = signature.citations.get(stance="contradicts")
    assert "George W. Bush" in contradiction.quote
    assert "George H. W. Bush" in contradiction.note
    assert "George W. Bush" not in signature.title + signature.description


def test_disagreement_on_the_number_of_open_skies_states_is_kept(dataset):
    open_skies = Treaty.objects.get(slug="open-skies")
    assert "35 states" in open_skies.summary
    contradiction = open_skies.citations.get(quote__contains="34 countries")
    assert contradiction.stance == "contradicts"
    assert contradiction.source.document == "001_c3bea37550ac9dba.txt"


def test_us_announcement_dated_21_may_2020_and_the_november_claim_contradicts(dataset):
    announcement = _event("usa-open-skies-withdrawal-announcement-2020-05-21")
    assert (announcement.date, announcement.date_precision) == (D(2020, 5, 21), "day")
    november = announcement.citations.get(quote__contains="November 2020")
    assert november.stance == "contradicts"


def test_relative_dates_resolved_against_each_document(dataset):
    """'On the 12th of this month' (Nov 2020), 'in January' (2021), 'on Thursday' (unresolvable: year only)."""
    lavrov = Statement.objects.get(speaker="Lavrov")
    assert (lavrov.date, lavrov.date_precision) == (D(2020, 11, 12), "day")
    russia_plan = _event("rus-open-skies-withdrawal-announcement-2021-01")
    assert (russia_plan.date, russia_plan.date_precision) == (D(2021, 1, 1), "month")
    bill = Event.objects.get(type="legislative_step", treaty__slug="open-skies")
    assert (bill.date, bill.date_precision) == (D(2021, 5, 11), "day")
    not_rejoin = Event.objects.get(type="decision_not_to_rejoin")
    assert (not_rejoin.date, not_rejoin.date_precision) == (D(2021, 1, 1), "year")


def test_inf_treaty_ended_august_2019_after_the_us_withdrawal(dataset):
    inf = Treaty.objects.get(slug="inf")
    assert inf.status == "terminated"
    termination = Event.objects.get(treaty=inf, type="termination")
    assert (termination.date, termination.date_precision) == (D(2019, 8, 1), "month")
    usa = Membership.objects.get(slug="inf-usa")
    assert (usa.withdrawal_notified_on, usa.left_on) == (D(2019, 2, 1), D(2019, 8, 1))
    signature = Event.objects.get(treaty=inf, type="signature")
    assert set(signature.participants.values_list("state__code", flat=True)) == {"SUN", "USA"}


def test_who_withdrawal_is_a_context_event_without_treaty(dataset):
    who = _event("usa-who-withdrawal")
    assert who.type == "other"
    assert who.treaty is None


def test_only_named_states_with_iso_codes_are_states(dataset):
    """Groups ('27 EU member states'), regions (Abkhazia) and places (Kaliningrad) are not states."""
    assert set(State.objects.values_list("code", flat=True)) == {
        "CAN", "CHN", "DEU", "EST", "FRA", "GEO", "IRN", "LTU", "LVA", "POL", "RUS", "SUN", "UKR", "USA"
    }  # fmt: skip
    assert _event("rus-restricts-flights-over-kaliningrad").location == "Kaliningrad, Russia"


def test_sources_name_no_guessed_publisher_and_explain_their_dates(dataset):
    for source in Source.objects.all():
        assert source.publisher == ""
        assert source.document.endswith(".txt")
        assert source.notes.startswith("Date:")
        assert source.language == "en"


def test_every_statement_and_event_is_cited_from_a_document(dataset):
    for model in (Event, Statement, Membership):
        for obj in model.objects.all():
            assert obj.citations.filter(stance="supports").exists(), obj.slug


def test_states_named_only_in_passing_are_reached_through_the_statements_naming_them(dataset):
    """China (doc 001) and Ukraine (doc 000) take part in nothing, but the statements that name them say so."""
    assert list(State.objects.get(code="CHN").mentioned_in_statements.values_list("slug", flat=True)) == [
        "trump-no-new-start-extension-unless-china-joins"
    ]
    assert list(State.objects.get(code="UKR").mentioned_in_statements.values_list("slug", flat=True)) == [
        "song-xiaojun-us-withdrawal-squeezes-russia-2020-11"
    ]


def test_a_release_is_stable_for_times_within_a_millisecond_of_the_second(dataset):
    """A record saved 0.5 ms past a second is written, loaded and written again to the same bytes."""
    state = State.objects.get(code="CHN")
    State.objects.filter(pk=state.pk).update(
        updated_at=datetime.datetime(2026, 11, 22, 9, 0, 7, 500, tzinfo=datetime.UTC)
    )
    states = next(resource for resource in packages.resources() if resource.model is State)
    first = packages.json_file(states.rows())
    assert b'"updated_at": "2026-11-22T09:00:07Z"' in first
    rows = package_rows(packages.read(repository_release_dir()))
    rows[states.name] = json.loads(first)
    write_rows(rows, "A test of times")
    assert packages.json_file(states.rows()) == first


def test_every_citation_of_the_dataset_carries_selectors_that_match_its_document(dataset):
    if not Path(settings.SEED_DOCUMENTS_DIR).is_dir():
        pytest.skip(f"source documents not found at {settings.SEED_DOCUMENTS_DIR}")
    documents_dir = Path(settings.SEED_DOCUMENTS_DIR)
    """Each quote stands at start..end of its document as read from the seeds, with the stored context and locator."""
    texts = {}
    for model in citation_models():
        for citation in model.objects.select_related("source"):
            source = citation.source
            if source.slug not in texts:
                text = documents.text_from_file(source.document, (documents_dir / source.document).read_bytes())
                assert documents.sha256(text) == source.text_sha256, source.slug
                texts[source.slug] = text
            text = texts[source.slug]
            assert text[citation.start : citation.end] == citation.quote, citation
            assert text[: citation.start].endswith(citation.prefix), citation
            assert text[citation.end :].startswith(citation.suffix), citation
            assert citation.locator == documents.locator_for(text, citation.start), citation
            assert citation.is_verified
    assert len(texts) == Source.objects.count() == 5
