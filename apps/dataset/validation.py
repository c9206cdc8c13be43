"""Dataset-wide checks that no single model can make: citations, selectors, documents, memberships, orphans.

Each check returns ``Problem`` records rather than raising, so the command can print every problem at once and
tests can assert on them. Per-record rules are not repeated here: every record goes through its own
``full_clean()``.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.registry import dataset_models, is_dataset_model
from apps.dataset.conflicts import unmarked_disagreements
from apps.events.choices import EventType, ParticipantRole
from apps.events.models import Event
from apps.sources import documents
from apps.sources.choices import CitationStance
from apps.sources.models import Citation, Source
from apps.sources.services import SELECTOR_FIELDS, citations_place
from apps.treaties.choices import MembershipStatus
from apps.treaties.models import Membership, State, Treaty


def citation_models() -> list[type[models.Model]]:
    """The concrete citation models of the dataset, one per cited model."""
    return [model for model in dataset_models() if issubclass(model, Citation)]


def cited_models() -> list[type[models.Model]]:
    """The models whose records must rest on a citation: those a citation model points to."""
    return [model._meta.get_field(model.cited_field).related_model for model in citation_models()]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the dataset: which record, what is wrong, and what would fix it."""

    label: str
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.label} {self.key}: {self.message} Fix: {self.fix}"


@dataclass
class Findings:
    """The validator's result: problems make it fail; warnings (e.g. quotes not checked) are reported only."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Things worth a curator's look that may well be right (sources that may disagree unmarked): never a failure.
    prompts: list[str] = field(default_factory=list)


def key_of(obj: models.Model) -> str:
    """The record's natural key for humans; a citation's quote is shortened, its start is enough to find it."""
    parts = [str(part) for part in obj.natural_key()]
    return " / ".join(part if len(part) <= 70 else f"{part[:60]}…" for part in parts)


def validate(*, documents_dir: Path | None) -> Findings:
    """Run every check on the loaded dataset. ``documents_dir`` holds the source documents, against which the quotes
    of sources whose text is not loaded are checked (without loading them)."""
    findings = Findings()
    findings.problems += check_records()
    findings.problems += check_citations()
    findings.problems += check_selectors()
    findings.problems += check_memberships_against_events()
    findings.problems += check_withdrawal_events_have_actors()
    findings.problems += check_orphans()
    unloaded = list(Source.objects.filter(has_text=False).order_by("slug"))
    if unloaded and (documents_dir is None or not Path(documents_dir).is_dir()):
        findings.warnings.append(
            f"Quotes were NOT checked against the source documents: directory {documents_dir} not found. "
            "Set SEED_DOCUMENTS_DIR or pass --documents."
        )
    elif unloaded:
        findings.problems += check_documents(Path(documents_dir), unloaded)
    findings.warnings += unverified_citations(unloaded)
    findings.prompts += unmarked_disagreements(citation_models())
    return findings


def check_records() -> Iterator[Problem]:
    """Every record passes its model's own rules (fields, partial dates, constraints, clean()), as ``full_clean()``
    reports them.

    ``full_clean()`` asks the database about each check constraint for each record: 1,143 queries for the curated
    dataset, 60% of the validator's time. Here one query per check constraint finds the records that break it; a
    record that breaks none, and passes the rest of ``full_clean()``, is done. Any other record gets Django's own
    ``full_clean()``, which says what is wrong with it.
    """
    for model in dataset_models():
        label = model._meta.label_lower
        checks = [c for c in model._meta.constraints if isinstance(c, models.CheckConstraint)]
        others = [c for c in model._meta.constraints if not isinstance(c, models.CheckConstraint)]
        breaking = set().union(*(_breaking(model, check) for check in checks))
        for obj in model._default_manager.all():
            if obj.pk not in breaking and _passes_all_but_checks(obj, others):
                continue
            try:
                obj.full_clean()
            except ValidationError as error:
                for field_name, messages in error.message_dict.items():
                    for message in messages:
                        where = "" if field_name == "__all__" else f"{field_name}: "
                        yield Problem(label, key_of(obj), f"{where}{message}", "Correct the record so it passes.")


def _breaking(model: type[models.Model], check: models.CheckConstraint) -> set:
    """The keys of the records whose row breaks ``check``. A condition the database finds unknown (NULL) holds, as
    in a CHECK constraint and in Django's own validation of one."""
    holds = models.ExpressionWrapper(check.condition, output_field=models.BooleanField())
    return set(model._default_manager.alias(_holds=holds).filter(_holds=False).order_by().values_list("pk", flat=True))


def _passes_all_but_checks(obj: models.Model, constraints: list[models.BaseConstraint]) -> bool:
    try:
        obj.full_clean(validate_constraints=False)
        for constraint in constraints:
            constraint.validate(type(obj), obj)
    except ValidationError:
        return False
    return True


def check_citations() -> Iterator[Problem]:
    """Every cited record has a supporting citation, and every contradicting citation says why in its note."""
    for model in cited_models():
        label = model._meta.label_lower
        supported = model.objects.filter(citations__stance=CitationStance.SUPPORTS)
        for obj in model.objects.exclude(pk__in=supported.values("pk")):
            yield Problem(
                label,
                key_of(obj),
                "has no citation that supports it.",
                f"Add a citation ({model.__name__}Citation) quoting the passage the record comes from.",
            )
    for model in citation_models():
        for citation in model._default_manager.filter(stance=CitationStance.CONTRADICTS, note=""):
            yield Problem(
                model._meta.label_lower,
                key_of(citation),
                "contradicting citation without a note.",
                "Say in the note how the passage disagrees with the curated value, and which is believed.",
            )


def _citations() -> Iterator[models.Model]:
    for model in citation_models():
        yield from model._default_manager.select_related("source")


def check_selectors() -> Iterator[Problem]:
    """Every citation of a loaded text stores the selectors and locator its quote has there (a load by loaddata, or
    an edit of the fixtures, could leave them stale; re-saving or re-importing recomputes them)."""
    for citation in _citations():
        if not citation.source.has_text:
            continue
        stored = {name: getattr(citation, name) for name in SELECTOR_FIELDS}
        try:
            citation.locate_in(citation.source)
        except ValidationError:
            continue  # reported by check_records
        derived = {name: getattr(citation, name) for name in SELECTOR_FIELDS}
        if derived != stored:
            changed = ", ".join(f"{name} {stored[name]!r} (should be {derived[name]!r})" for name in stored
                                if stored[name] != derived[name])  # fmt: skip
            yield Problem(
                citation._meta.label_lower,
                key_of(citation),
                f"stored selector disagrees with {citation.source.document}: {changed}.",
                "Run manage.py import_documents (or save the citation), then export_dataset.",
            )


def check_documents(documents_dir: Path, sources: list[Source]) -> Iterator[Problem]:
    """For sources whose text is not loaded: their file in ``documents_dir`` has the recorded SHA-256, and every
    quote is found in it (as loading it would check)."""
    for source in sources:
        if not source.document:
            yield Problem(
                "sources.source",
                source.slug,
                "names no document, so its quotes cannot be checked.",
                "Set document to the file name in the source collection.",
            )
            continue
        try:
            path = documents.document_path(documents_dir, source.document)
        except documents.DocumentNameError as error:
            yield Problem("sources.source", source.slug, str(error), documents.DOCUMENT_NAME_RULE)
            continue
        if not path.is_file():
            yield Problem(
                "sources.source",
                source.slug,
                f"document {source.document} not found in {documents_dir}.",
                "Correct the file name, or add the document to the collection.",
            )
            continue
        try:
            with path.open("rb") as file:
                text = documents.text_from_file(path.name, file)
        except documents.DocumentUnreadable as error:
            yield Problem("sources.source", source.slug, str(error), "Replace the file with the document's text.")
            continue
        if source.text_sha256 and documents.sha256(text) != source.text_sha256:
            yield Problem(
                "sources.source",
                source.slug,
                f"{source.document} has SHA-256 {documents.sha256(text)}, not the recorded {source.text_sha256}.",
                "Restore the document the dataset cites, or re-cite the new one and record its hash.",
            )
            continue
        _, failed = citations_place(source, text)
        for citation, error in failed:
            for name, messages in error.message_dict.items():
                for message in messages:
                    yield Problem(
                        citation._meta.label_lower,
                        key_of(citation),
                        f"{name}: {message}",
                        f"Quote {source.document} exactly.",
                    )


def unverified_citations(sources: list[Source]) -> list[str]:
    """One line per source whose text is not loaded, listing its citations (unverified until it is)."""
    lines = []
    for source in sources:
        keys = [key_of(citation) for citation in _citations() if citation.source_id == source.pk]
        if keys:
            lines.append(
                f"{len(keys)} citation(s) of {source.slug} are unverified: its text is not loaded (manage.py "
                f"import_documents). " + "; ".join(keys)
            )
    return lines


def _same_date(obj: models.Model, date_field: str, event: Event) -> bool:
    return getattr(obj, date_field) == event.date and getattr(obj, f"{date_field}_precision") == event.date_precision


def _actor_events(event_type: str) -> Iterable[tuple[Event, State]]:
    events = Event.objects.filter(type=event_type).prefetch_related("participants__state").select_related("treaty")
    for event in events:
        for participant in event.participants.all():
            if participant.role == ParticipantRole.ACTOR:
                yield event, participant.state


def check_memberships_against_events() -> Iterator[Problem]:
    """A membership's withdrawal dates and its state's withdrawal events agree, both ways."""
    notices = list(_actor_events(EventType.WITHDRAWAL_NOTICE))
    effective = list(_actor_events(EventType.WITHDRAWAL_EFFECTIVE))
    memberships = list(Membership.objects.select_related("treaty", "state"))

    def matching(events, membership, date_field):
        return [
            event
            for event, state in events
            if state == membership.state
            and event.treaty == membership.treaty
            and _same_date(membership, date_field, event)
        ]

    for membership in memberships:
        what = f"{membership.state.code} in {membership.treaty.slug}"
        if membership.withdrawal_notified_on and not matching(notices, membership, "withdrawal_notified_on"):
            yield Problem(
                "treaties.membership",
                membership.slug,
                f"withdrawal notified on {membership.withdrawal_notified_on} "
                f"({membership.withdrawal_notified_on_precision}) but no withdrawal_notice event of {what} "
                "has that date and precision.",
                "Add the withdrawal_notice event (the state as actor), or correct the membership's date.",
            )
        withdrawn = membership.status == MembershipStatus.WITHDRAWN
        if withdrawn and membership.left_on and not matching(effective, membership, "left_on"):
            yield Problem(
                "treaties.membership",
                membership.slug,
                f"withdrawn, left on {membership.left_on} ({membership.left_on_precision}) but no "
                f"withdrawal_effective event of {what} has that date and precision.",
                "Add the withdrawal_effective event (the state as actor), or correct the membership's left_on.",
            )
    for events, date_field, fix in (
        (notices, "withdrawal_notified_on", "withdrawal_notified_on"),
        (effective, "left_on", "left_on (and status 'withdrawn')"),
    ):
        for event, state in events:
            agrees = [
                membership
                for membership in memberships
                if membership.state == state
                and membership.treaty == event.treaty
                and _same_date(membership, date_field, event)
                and (date_field != "left_on" or membership.status == MembershipStatus.WITHDRAWN)
            ]
            if not agrees:
                yield Problem(
                    "events.event",
                    event.slug,
                    f"{event.type} of {state.code} in {event.treaty.slug} on {event.date} ({event.date_precision}) "
                    f"has no membership of {state.code} in {event.treaty.slug} with that {date_field}.",
                    f"Give the membership '{event.treaty.slug}-{state.code.lower()}' the {fix} of this event, "
                    "or correct the event.",
                )


def check_withdrawal_events_have_actors() -> Iterator[Problem]:
    """A withdrawal is always some state's act, so the consistency check above can find whose."""
    withdrawal_types = [
        EventType.WITHDRAWAL_ANNOUNCEMENT,
        EventType.WITHDRAWAL_NOTICE,
        EventType.WITHDRAWAL_EFFECTIVE,
    ]
    for event in Event.objects.filter(type__in=withdrawal_types).exclude(participants__role=ParticipantRole.ACTOR):
        yield Problem(
            "events.event",
            event.slug,
            f"{event.type} event names no state as actor.",
            "Add the withdrawing state as a participant with role 'actor'.",
        )


def check_orphans() -> Iterator[Problem]:
    """Every treaty, state and source is used by something, or it is noise in the dataset."""
    for treaty in Treaty.objects.filter(memberships=None, events=None, statements=None):
        yield Problem(
            "treaties.treaty",
            treaty.slug,
            "nothing refers to this treaty (no membership, event or statement).",
            "Add what the sources say about it, or remove it.",
        )
    # Every relation that refers to a state, whichever model declares it (derived, so a new one is not forgotten).
    references = {
        relation.name: None for relation in State._meta.related_objects if is_dataset_model(relation.related_model)
    }
    unused_states = State.objects.filter(**references)
    for state in unused_states:
        yield Problem(
            "treaties.state",
            state.code,
            "nothing refers to this state (no membership, event, statement or mention, depositary or successor).",
            "Add what the sources say about it, or remove it.",
        )
    cited = set()
    for citation in _citations():
        cited.add(citation.source_id)
    for source in Source.objects.exclude(pk__in=cited):
        yield Problem(
            "sources.source",
            source.slug,
            "no citation quotes this source.",
            "Cite the passages the dataset takes from it, or remove it.",
        )
