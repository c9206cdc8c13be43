"""What an undecided sentence may hold, proposed from the dataset's own vocabulary: a dated event, or a statement.

- **A dated event**: a date expression (``dates``), an action word (the ``ACTIONS`` vocabulary, one event type each)
  and a state or treaty the dataset knows (names and aliases from its ``State`` and ``Treaty`` rows; a state's
  adjective, "Russian", from its name; "the treaty" stands for the treaty named last in the paragraph, or else the
  one the document names most).
- **An attributed statement**: a verb of saying and the speaker it belongs to: the words before it ("Russian
  Presidential Press Secretary Peskov expressed regret"), after "by" or "according to", or before a colon that opens
  the words ("Russian Foreign Minister Lavrov: ..."). "The ministry" is the last ministry the document named.

Rules, not a model: nothing is downloaded and a fresh machine runs it. ``manage.py suggestions`` measures it against
what the curators cited. A suggestion only fills a form: the curator reads, corrects and saves it, or rejects it with
a reason.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from apps.core.partial_dates import PartialDate
from apps.sources.models import Source
from apps.sources.sentences import Sentence, sentence_spans
from apps.treaties.models import State, Treaty

from . import dates, speakers
from .choices import EventType, ParticipantRole, StatementKind, StatementStance

# Action words, each naming the event type it suggests; the first match at a place wins (specific before general).
ACTIONS = [
    (EventType.DECISION_NOT_TO_REJOIN, r"\bnot (?:to )?(?:return|rejoin)|\bdecision not to join"),
    (EventType.DECISION_NOT_TO_EXTEND, r"\bnot (?:to )?extend\b|\brejected the proposal"),
    (EventType.WITHDRAWAL_EFFECTIVE, r"\bno longer a (?:member|party)|\bformal(?:ly)? withdr[ae]w|\bbecome invalid"),
    (EventType.WITHDRAWAL_NOTICE, r"\bnotif(?:y|ied|ies|ication)\b|\bofficial note\b|\bnotice of withdrawal"),
    (EventType.LEGISLATIVE_STEP, r"\bbill\b|\blegislat\w*|\bDuma\b|\bparliament\w*"),
    (
        EventType.WITHDRAWAL_ANNOUNCEMENT,
        r"\b(?:announc\w*|decid\w*|decision|intention|intent|plans?|initiated)\b[^.;]{0,40}\bwithdr[ae]w",
    ),
    (EventType.PROPOSAL, r"\bpropos(?:ed|al|es)\b"),
    (EventType.EXTENSION, r"\bextend(?:ed|s)?\b|\bextensions?\b|\bvalidity\b"),
    (EventType.EXPIRY, r"\bexpir(?:e|ed|es|y)\b"),
    (EventType.TERMINATION, r"\bterminat\w*|\binvalid\b"),
    (EventType.SUSPENSION, r"\bsuspen(?:d|ded|sion)\b"),
    (EventType.ENTRY_INTO_FORCE, r"\binto force\b|\bin force since\b"),
    (EventType.SIGNATURE, r"\bsign(?:ed|ing|ature)\b|\breached (?:a |an )?(?:\w+ )?agreement"),
    (EventType.RATIFICATION, r"\bratif\w*"),
    (EventType.ACCESSION, r"\bacce(?:ded|ssion)\b"),
    (EventType.REFUSED_FLIGHT, r"\brefus\w*|\bdenying the fly\w*|\bpreventing\b[^.;]{0,60}\bflight"),
    (EventType.OVERFLIGHT_RESTRICTION, r"\brestrict\w*|\bbarred\b|\blimiting\b|\bprohibit\w*|\bnot allow\b"),
    (EventType.OBSERVATION_FLIGHT, r"\bflew over\b|\bobservation flights?\b|\boverfl(?:ew|ights?)\b"),
    (EventType.MILITARY_EXERCISE, r"\bdrills?\b|\bexercises?\b|\bwar games\b"),
    (EventType.VIOLATION_ALLEGATION, r"\bviolat\w*|\baccus\w*|\bbreach\b"),
    (EventType.MEETING, r"\bmet\b|\bmeetings?\b|\bsummit\b|\btalks\b"),
]
# Looked for only when no action word above is in the sentence: "withdrew" alone, or an act of another kind.
FALLBACK_ACTIONS = [
    (EventType.WITHDRAWAL_ANNOUNCEMENT, r"\bwithdr[ae]w\w*|\bpull(?:ed)? out\b|\bexit(?:s|ed)?\b|\bquit\b"),
    (EventType.OTHER, r"\brecogni[sz]ed\b|\bsanctions?\b|\brestart\w*|\blaunch\w*|\bdeploy\w*|\bagreed\b"),
]
ACTION_PATTERNS = [(event_type, re.compile(pattern, re.I)) for event_type, pattern in ACTIONS]
FALLBACK_PATTERNS = [(event_type, re.compile(pattern, re.I)) for event_type, pattern in FALLBACK_ACTIONS]
# Types whose other states are the ones acted on (the actor notifies, accuses or restricts them).
TARGETED = {
    EventType.WITHDRAWAL_NOTICE,
    EventType.VIOLATION_ALLEGATION,
    EventType.REFUSED_FLIGHT,
    EventType.OVERFLIGHT_RESTRICTION,
    EventType.OBSERVATION_FLIGHT,
    EventType.DECISION_NOT_TO_REJOIN,
    EventType.PROPOSAL,
}

STANCES = [
    (StatementStance.REGRETS, r"\bregret"),
    (StatementStance.DENIES, r"\bden(?:y|ied|ies)\b|\bgroundless\b|\brefut"),
    (StatementStance.ACCUSES, r"\baccus|\bviolat|\bbreach"),
    (StatementStance.OPPOSES, r"\bcriticiz|\boppos|\bnot conducive|\breject|\bshort-sighted"),
    (StatementStance.SUPPORTS, r"\bsupport|\bwelcom|\bwilling\b|\bready to\b|\bhopes?\b"),
]
# A sentence without a full stop (or ? ! and a closing quote) is a headline, a caption or a credit: never suggested.
FINISHED = re.compile(r"[.!?][\"”’)]*\s*$")


@dataclass(frozen=True)
class Vocabulary:
    """The dataset's names for states and treaties, as patterns, with the record each stands for."""

    states: list[tuple[re.Pattern, State]]
    treaties: list[tuple[re.Pattern, Treaty]]

    @classmethod
    def load(cls) -> "Vocabulary":
        states = [(re.compile(_names_pattern(_state_names(s))), s) for s in State.objects.order_by("code")]
        treaties = [(re.compile(_names_pattern(_treaty_names(t))), t) for t in Treaty.objects.order_by("slug")]
        return cls(states, treaties)

    def states_in(self, text: str) -> list[State]:
        """States named in ``text``, in order of first mention."""
        return [state for _, state in sorted(_first_matches(self.states, text), key=lambda found: found[0])]

    def treaties_in(self, text: str) -> list[Treaty]:
        return [treaty for _, treaty in sorted(_first_matches(self.treaties, text), key=lambda found: found[0])]


def _state_names(state: State) -> list[str]:
    """Patterns for a state's names and aliases, and for its adjective ("Russian", "Georgian", "Iranian": a
    one-word name's stem with a short ending, as the documents write them)."""
    names = [re.escape(name) for name in [state.name, *(state.aliases or [])] if name]
    if " " not in state.name and len(state.name) >= 4:
        stem = state.name.rstrip("aeiouy")
        names.append(f"{re.escape(stem if len(stem) >= 4 else state.name)}[a-z]{{0,4}}")
    return names


def _treaty_names(treaty: Treaty) -> list[str]:
    return [re.escape(name) for name in [treaty.name, treaty.short_name, *(treaty.aliases or [])] if name]


def _names_pattern(names: list[str]) -> str:
    """One pattern for several names, longest first, each a whole word ("US" is not "USSR", "U.S." is one)."""
    return r"(?<![\w.])(?:" + "|".join(sorted(set(names), key=len, reverse=True)) + r")(?![\w])"


def _first_matches(patterns, text: str) -> list[tuple[int, object]]:
    found = []
    for pattern, record in patterns:
        match = pattern.search(text)
        if match:
            found.append((match.start(), record))
    return found


@dataclass
class Suggestion:
    """What a sentence may hold: ``kind`` 'event' or 'statement', the form's ``fields`` and a one-line ``summary``."""

    kind: str
    summary: str
    fields: dict = field(default_factory=dict)
    states: list[tuple[State, str]] = field(default_factory=list)


@dataclass
class Reading:
    """A source's text as it is read for suggestions, sentence after sentence: what the document names most, and
    what the sentences before named (the treaty "the treaty" stands for, the ministry "the ministry" is)."""

    source: Source
    vocabulary: Vocabulary
    main_treaty: Treaty | None
    published: PartialDate | None
    recent_treaty: Treaty | None = None
    speakers: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, source: Source, vocabulary: Vocabulary | None = None) -> "Reading":
        vocabulary = vocabulary or Vocabulary.load()
        counts = Counter({treaty: len(pattern.findall(source.text)) for pattern, treaty in vocabulary.treaties})
        main = next((treaty for treaty, count in counts.most_common(1) if count), None)
        return cls(source, vocabulary, main, PartialDate.of(source, "published_on"))

    def treaty_for(self, text: str) -> Treaty | None:
        """The treaty a sentence names first; for "the treaty", the one named last in the paragraph so far, else
        the one the document names most."""
        named = self.vocabulary.treaties_in(text)
        if named:
            return named[0]
        if re.search(r"\b(?:the|this|that) (?:treaty|agreement|pact)\b", text, re.I):
            return self.recent_treaty or self.main_treaty
        return None

    def speaker_for(self, phrase: str) -> str:
        """ "The ministry" is the last ministry named before; "the statement" the last body that spoke."""
        words = phrase.split()
        if words[-1].lower() == "statement":
            return next((earlier for earlier in reversed(self.speakers) if earlier.split()[-1] in speakers.BODIES), "")
        if words[0][0].islower() and words[-1] in speakers.BODIES:
            for earlier in reversed(self.speakers):
                if earlier.split()[-1].lower() == words[-1].lower():
                    return earlier
        if any(word[0].isupper() for word in words):
            self.speakers.append(phrase)
        return phrase


def suggest(source: Source, only: list[Sentence] | None = None, vocabulary: Vocabulary | None = None):
    """Suggestions for the sentences of ``source`` (all, or ``only`` these), by sentence start offset."""
    reading = Reading.of(source, vocabulary)
    wanted = None if only is None else {sentence.start for sentence in only}
    found, paragraph = {}, 0
    for sentence in sentence_spans(source.text):
        if sentence.paragraph != paragraph:
            paragraph, reading.recent_treaty = sentence.paragraph, None
        text = source.text[sentence.start : sentence.end]
        # Every sentence is read, so that the ones after it know what it named.
        suggestions = suggest_sentence(reading, text)
        reading.recent_treaty = (reading.vocabulary.treaties_in(text) or [reading.recent_treaty])[-1]
        if suggestions and (wanted is None or sentence.start in wanted):
            found[sentence.start] = suggestions
    return found


def suggest_sentence(reading: Reading, text: str) -> list[Suggestion]:
    """An attributed statement and up to two dated events a sentence may hold."""
    if not FINISHED.search(text):
        return []
    found_dates = dates.dates_in(text, reading.published)
    statement = _statement(reading, text, found_dates)
    return ([statement] if statement else []) + _events(reading, text, found_dates)


def _events(reading: Reading, text: str, found_dates: list[dates.DateFound]) -> list[Suggestion]:
    if not found_dates:
        return []
    states = reading.vocabulary.states_in(text)
    treaty = reading.treaty_for(text)
    if not states and treaty is None:
        return []
    # The most specific action words first (the vocabulary's order), each type once, none inside another's words.
    taken = _actions(text, ACTION_PATTERNS) or _actions(text, FALLBACK_PATTERNS)
    suggestions = []
    for event_type, (start, _) in taken[:2]:
        # The date expression nearest the action word.
        date = min(found_dates, key=lambda found: abs(found.start - start)).date
        roles = [
            (state, ParticipantRole.ACTOR if index == 0 else _other_role(event_type))
            for index, state in enumerate(states)
        ]
        suggestions.append(_event(event_type, date, treaty, roles))
    return suggestions


def _actions(text: str, patterns) -> list[tuple[str, tuple[int, int]]]:
    """(event type, span) of the action words of ``text``, most specific first, each type once, none overlapping."""
    taken: list[tuple[str, tuple[int, int]]] = []
    for event_type, pattern in patterns:
        for match in pattern.finditer(text):
            if event_type in {t for t, _ in taken} or any(
                match.start() < end and match.end() > start for _, (start, end) in taken
            ):
                continue
            taken.append((event_type, match.span()))
    return taken


def _other_role(event_type: str) -> str:
    return ParticipantRole.TARGET if event_type in TARGETED else ParticipantRole.PARTICIPANT


def _event(event_type, date: PartialDate, treaty: Treaty | None, roles) -> Suggestion:
    label = EventType(event_type).label
    actor = roles[0][0] if roles else None
    title = f"{actor.name if actor else treaty.short_name or treaty.name}: {label.lower()}"
    if treaty is not None and actor is not None:
        title += f" ({treaty.short_name or treaty.name})"
    fields = {"type": event_type, "date": date.start, "date_precision": date.precision, "title": title}
    if treaty is not None and (event_type not in _CONTEXT_TYPES):
        fields["treaty"] = treaty
    summary = f"Event: {label.lower()}, {date.display()}" + (
        f", {treaty.short_name or treaty.name}" if "treaty" in fields else ""
    )
    if roles:
        summary += ", " + ", ".join(f"{state.code} ({role})" for state, role in roles)
    return Suggestion("event", summary, fields, list(roles))


_CONTEXT_TYPES = {EventType.MILITARY_EXERCISE, EventType.MEETING}


def _statement(reading: Reading, text: str, found_dates: list[dates.DateFound]) -> Suggestion | None:
    found = speakers.find(text)
    if found is None:
        return None
    phrase = reading.speaker_for(found.phrase)
    if not phrase:
        return None
    states = reading.vocabulary.states_in(phrase)
    speaker, title = speakers.split(phrase, lambda word: bool(reading.vocabulary.states_in(word)))
    if re.search(r"\bjoint (?:statement|declaration)\b", text):
        kind = StatementKind.JOINT_STATEMENT
    elif "commentator" in phrase.lower():
        kind = StatementKind.COMMENTARY
    elif phrase.split()[-1] in speakers.BODIES or re.search(r"\b(?:in|issued) a statement\b", text):
        kind = StatementKind.OFFICIAL_STATEMENT
    else:
        kind = StatementKind.REMARKS
    stance = next((s for s, pattern in STANCES if re.search(pattern, text, re.I)), StatementStance.NEUTRAL)
    fields = {
        "speaker": speaker[:200],
        "speaker_title": title[:200],
        "kind": kind,
        "stance": stance,
        "text": found.words[:1000],
        "is_verbatim": found.verbatim,
    }
    if states:
        fields["on_behalf_of"] = states[0]
    treaty = reading.treaty_for(text)
    if treaty is not None:
        fields["treaty"] = treaty
    summary = (
        f"Statement by {speaker}" + (f" ({title})" if title else "") + f", {StatementStance(stance).label.lower()}"
    )
    if found_dates:
        fields["date"], fields["date_precision"] = found_dates[0].date.start, found_dates[0].date.precision
        summary += f", {found_dates[0].date.display()}"
    return Suggestion("statement", summary, fields)
