"""validate_dataset fails, with a message naming the record and the fix, on deliberately broken copies of the data."""

import copy
import datetime
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import CheckConstraint

from apps.core.registry import dataset_models
from apps.dataset.validation import check_records, citation_models, key_of, validate
from apps.events.models import Event
from apps.releases import package as packages
from apps.releases.package import repository_release_dir
from apps.releases.services import package_rows, write_rows
from apps.sources.documents import sha256
from apps.sources.models import Source
from apps.treaties.models import Membership, State
from tests.conftest import for_the_module

DOCUMENTS = Path(settings.SEED_DOCUMENTS_DIR)
needs_documents = pytest.mark.skipif(not DOCUMENTS.is_dir(), reason=f"source documents not found at {DOCUMENTS}")


@pytest.fixture(scope="module")
def _fixtures_once(django_db_setup, django_db_blocker):
    """The committed fixtures, loaded once for the module without the documents (as a broken copy would be: a quote
    that no longer fits would make the import, and so the load, fail; the validator checks the files itself)."""
    with for_the_module(django_db_blocker):
        call_command("load_dataset", no_migrate=True, no_documents=True, verbosity=0)
        yield


@pytest.fixture
def broken_copy(_fixtures_once, db):
    """Let the test edit one resource's rows of the committed release, bring the database to what loading that copy
    would give (the release's own writer, loading only what differs), and return the validator's problems.

    Loading the whole copy took 3-5 s a test; the committed release is loaded once for the module instead.
    """

    def build(resource: str, edit) -> list[str]:
        rows = package_rows(packages.read(repository_release_dir()))
        rows[resource] = edit(copy.deepcopy(rows[resource]))
        with transaction.atomic():
            write_rows(rows, "A broken copy, for a test")
        return [str(problem) for problem in validate(documents_dir=DOCUMENTS).problems]

    return build


# Raw loading keeps timestamps as given, so a record added by hand must carry them.
STAMPS = {"created_at": "2026-11-22T00:00:00Z", "updated_at": "2026-11-22T00:00:00Z"}


def _without(rows, predicate):
    return [row for row in rows if not predicate(row)]


def test_uncited_event_is_reported(broken_copy):
    slug = "center-2019-military-exercise-2019-09"
    problems = broken_copy("event-citations", lambda records: _without(records, lambda f: f["event"] == slug))
    assert problems == [
        f"events.event {slug}: has no citation that supports it. "
        "Fix: Add a citation (EventCitation) quoting the passage the record comes from."
    ]


def test_record_cited_only_by_a_contradicting_passage_counts_as_uncited(broken_copy):
    def only_contradicts(records):
        for record in records:
            if record.get("treaty") == "inf":
                record.update(stance="contradicts", note="Disagrees.")
        return records

    problems = broken_copy("treaty-citations", only_contradicts)
    assert problems == [
        "treaties.treaty inf: has no citation that supports it. "
        "Fix: Add a citation (TreatyCitation) quoting the passage the record comes from."
    ]


def test_contradicting_citation_without_a_note_is_reported(broken_copy):
    def drop_note(records):
        for record in records:
            fields = record
            if fields.get("stance") == "contradicts" and fields["event"] == "inf-termination-2019-08":
                fields["note"] = ""
        return records

    problems = broken_copy("event-citations", drop_note)
    assert len(problems) == 1
    assert problems[0].startswith("events.eventcitation inf-termination-2019-08 / us-leaves-open-skies-")
    assert "contradicting citation without a note." in problems[0]


@needs_documents
def test_quote_missing_from_its_document_is_reported(broken_copy):
    def misquote(records):
        for record in records:
            if record["statement"] == "peskov-regrets-us-withdrawal-2020-11-22":
                record["quote"] = record["quote"].replace("’", "'")
        return records

    problems = broken_copy("statement-citations", misquote)
    assert len(problems) == 1
    assert problems[0].startswith("events.statementcitation peskov-regrets-us-withdrawal-2020-11-22 / ")
    assert "quote: Not found in '[No headline] US withdrawal" in problems[0]
    assert "Did you mean: " in problems[0] and "’" in problems[0].split("Did you mean: ")[1]
    assert "curly quotes" in problems[0]


@needs_documents
def test_quotes_are_exact_and_a_respaced_one_is_shown_the_passage_it_means(broken_copy):
    """A TextQuoteSelector's exact is exact: spacing counts, and the nearest passage is suggested."""

    def respace(records):
        for record in records:
            if record["event"] == "center-2019-military-exercise-2019-09":
                record["quote"] = record["quote"].replace(" ", "  \n ")
        return records

    [problem] = broken_copy("event-citations", respace)
    assert 'Did you mean: "the Center-2019 drills, which were held in southern Russia' in problem


@needs_documents
def test_a_stored_selector_that_disagrees_with_the_loaded_text_is_reported(broken_copy):
    def shift(records):
        for record in records:
            if record["event"] == "center-2019-military-exercise-2019-09":
                record["locator"] = "para. 1"
        return records

    broken_copy("event-citations", shift)
    call_command("import_documents", DOCUMENTS, verbosity=0)  # recomputes: no problem left
    assert [str(problem) for problem in validate(documents_dir=DOCUMENTS).problems] == []
    citation = apps.get_model("events.eventcitation").objects.get(event__slug="center-2019-military-exercise-2019-09")
    assert citation.locator == "para. 14"
    type(citation).objects.filter(pk=citation.pk).update(locator="para. 1")
    [problem] = [str(problem) for problem in validate(documents_dir=DOCUMENTS).problems]
    assert "stored selector disagrees with 003_f61430bb66ea0fce.txt: locator 'para. 1' (should be 'para. 14')." in (
        problem
    )


@needs_documents
def test_a_document_whose_hash_differs_is_reported(broken_copy, tmp_path):
    def rehash(records):
        for record in records:
            if record["slug"] == "us-will-not-return-to-open-skies-2021":
                record["text_sha256"] = "0" * 64
        return records

    problems = broken_copy("sources", rehash)
    assert problems == [
        "sources.source us-will-not-return-to-open-skies-2021: 004_fc2920cf973e6254.txt has SHA-256 "
        f"{sha256((DOCUMENTS / '004_fc2920cf973e6254.txt').read_text(encoding='utf-8'))}, not the recorded "
        f"{'0' * 64}. Fix: Restore the document the dataset cites, or re-cite the new one and record its hash."
    ]


def test_membership_date_disagreeing_with_the_notice_event_is_reported_both_ways(broken_copy):
    def later_notice(records):
        for record in records:
            if record["slug"] == "open-skies-usa":
                record["withdrawal_notified_on"] = "2020-05-23"
        return records

    problems = broken_copy("memberships", later_notice)
    assert problems == [
        "treaties.membership open-skies-usa: withdrawal notified on 2020-05-23 (day) but no withdrawal_notice event "
        "of USA in open-skies has that date and precision. Fix: Add the withdrawal_notice event (the state as actor), "
        "or correct the membership's date.",
        "events.event usa-open-skies-withdrawal-notice-2020-05-22: withdrawal_notice of USA in open-skies on "
        "2020-05-22 (day) has no membership of USA in open-skies with that withdrawal_notified_on. Fix: Give the "
        "membership 'open-skies-usa' the withdrawal_notified_on of this event, or correct the event.",
    ]


def test_effective_withdrawal_without_a_withdrawn_membership_is_reported(broken_copy):
    def still_active(records):
        for record in records:
            if record["slug"] == "inf-usa":
                record.update(status="withdrawing", left_on=None, left_on_precision="")
        return records

    problems = broken_copy("memberships", still_active)
    assert problems == [
        "events.event usa-inf-withdrawal-effective-2019-08: withdrawal_effective of USA in inf on 2019-08-01 (month) "
        "has no membership of USA in inf with that left_on. Fix: Give the membership 'inf-usa' the left_on (and "
        "status 'withdrawn') of this event, or correct the event."
    ]


def test_withdrawal_event_without_an_actor_is_reported(broken_copy):
    slug = "rus-open-skies-withdrawal-announcement-2021-01"
    problems = broken_copy("event-participants", lambda rows: _without(rows, lambda f: f["event"] == slug))
    assert problems == [
        f"events.event {slug}: withdrawal_announcement event names no state as actor. "
        "Fix: Add the withdrawing state as a participant with role 'actor'."
    ]


def test_state_that_nothing_refers_to_is_reported(broken_copy):
    belarus = {**STAMPS, "code": "BLR", "name": "Belarus", "aliases": [], "kind": "state"}
    problems = broken_copy("states", lambda records: [*records, belarus])
    assert problems == [
        "treaties.state BLR: nothing refers to this state (no membership, event, statement or mention, depositary "
        "or successor). Fix: Add what the sources say about it, or remove it."
    ]


def test_treaty_that_nothing_refers_to_is_reported(broken_copy):
    who = {**STAMPS, "slug": "who-constitution", "name": "Constitution of the WHO", "kind": "multilateral",
           "domain": "other", "status": "unknown", "depositaries": []}  # fmt: skip
    problems = broken_copy("treaties", lambda records: [*records, who])
    assert problems == [
        "treaties.treaty who-constitution: has no citation that supports it. "
        "Fix: Add a citation (TreatyCitation) quoting the passage the record comes from.",
        "treaties.treaty who-constitution: nothing refers to this treaty (no membership, event or statement). "
        "Fix: Add what the sources say about it, or remove it.",
    ]


def test_record_failing_its_model_rules_is_reported(broken_copy):
    def bad_code(records):
        for record in records:
            if record["code"] == "CAN":
                record["aliases"] = ["Canada", "Canada"]
        return records

    problems = broken_copy("states", bad_code)
    assert problems == [
        "treaties.state CAN: aliases: Each alias is listed once. Fix: Correct the record so it passes.",
    ]


def test_bad_precision_date_is_refused_by_the_database_on_load(broken_copy):
    def mid_month(records):
        for record in records:
            if record["slug"] == "center-2019-military-exercise-2019-09":
                record["date"] = "2019-09-15"
        return records

    with pytest.raises(IntegrityError, match="event_date_month_is_first_day|CHECK constraint failed"):
        broken_copy("events", mid_month)


@contextmanager
def _check_constraints_off(*models):
    """Let bad rows past the database, as an older schema or a raw SQL edit could, to see the validator catch them.
    On PostgreSQL the models' check constraints are dropped in the test's transaction, which puts them back."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        else:
            for model in models:
                for check in model._meta.constraints:
                    if isinstance(check, CheckConstraint):
                        cursor.execute(f"ALTER TABLE {model._meta.db_table} DROP CONSTRAINT {check.name}")
        try:
            yield
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA ignore_check_constraints = OFF")


def test_bad_precision_date_already_in_the_database_is_reported(_fixtures_once, db):
    with _check_constraints_off(Event):
        Event.objects.filter(slug="center-2019-military-exercise-2019-09").update(date=datetime.date(2019, 9, 15))
        problems = [str(problem) for problem in validate(documents_dir=DOCUMENTS).problems]
    assert problems == [
        "events.event center-2019-military-exercise-2019-09: date: A month-precision date must be the 1st of its "
        "month. Fix: Correct the record so it passes."
    ]


def test_records_breaking_check_constraints_are_reported_as_full_clean_reports_them(_fixtures_once, db):
    """check_records asks the database once per check constraint which records break it; what it reports is exactly
    what Django's full_clean() of every record reports, field-routed and plain constraints alike."""
    with _check_constraints_off(Event, Membership, State, Source):
        Event.objects.filter(slug="center-2019-military-exercise-2019-09").update(date=datetime.date(2019, 9, 15))
        Membership.objects.filter(slug="open-skies-usa").update(
            status="active", left_on=datetime.date(1990, 1, 1), left_on_precision="day"
        )
        State.objects.filter(code="CAN").update(code="ca")
        Source.objects.filter(slug="us-will-not-return-to-open-skies-2021").update(published_on_precision="")
        reported = [str(problem) for problem in check_records()]
    by_full_clean = []
    for model in dataset_models():
        for obj in model._default_manager.all():
            try:
                obj.full_clean()
            except ValidationError as error:
                by_full_clean += [
                    f"{model._meta.label_lower} {key_of(obj)}: {'' if name == '__all__' else f'{name}: '}{message} "
                    "Fix: Correct the record so it passes."
                    for name, messages in error.message_dict.items()
                    for message in messages
                ]
    assert len(reported) >= 5, reported
    assert sorted(reported) == sorted(by_full_clean)


def test_missing_documents_directory_is_reported_not_passed_silently(_fixtures_once, db, tmp_path, capsys):
    findings = validate(documents_dir=tmp_path / "nowhere")
    assert findings.problems == []
    assert findings.warnings[0] == (
        f"Quotes were NOT checked against the source documents: directory {tmp_path / 'nowhere'} not found. "
        "Set SEED_DOCUMENTS_DIR or pass --documents."
    )
    # Then every citation, listed by source, as unverified.
    assert len(findings.warnings) == 1 + 5
    slug = "russia-vows-to-salvage-open-skies-treaty-2020-05"
    cited = sum(model.objects.filter(source__slug=slug).count() for model in citation_models())
    assert cited > 0
    assert findings.warnings[1].startswith(f"{cited} citation(s) of {slug} are unverified: its text is not loaded")
    call_command("validate_dataset", documents=tmp_path / "nowhere")
    assert "warning: Quotes were NOT checked" in capsys.readouterr().err
    with pytest.raises(CommandError, match="--require-documents"):
        call_command("validate_dataset", documents=tmp_path / "nowhere", require_documents=True)


def test_command_lists_every_problem_then_exits_non_zero(broken_copy, capsys):
    broken_copy("event-citations", lambda records: _without(records, lambda f: f["event"].startswith("rus-")))
    with pytest.raises(CommandError, match=r"^\d+ problem\(s\) in the dataset\.$"):
        call_command("validate_dataset", documents=DOCUMENTS)
    out = capsys.readouterr().out
    assert "- events.event rus-restricts-flights-over-moscow: has no citation that supports it." in out
    assert "- events.event rus-open-skies-withdrawal-bill-2021-05-11: has no citation that supports it." in out
