"""Who speaks in a sentence: the speaker of a verb of saying, split into name, office and the state they speak for.

"Russian Presidential Press Secretary Peskov expressed regret": the words just before the verb name the speaker,
office words ("Presidential Press Secretary") apart from the name ("Peskov"), a state's adjective ("Russian") saying
whom they speak for. Also "criticized by Biden", "according to the Russian Ministry of Foreign Affairs", "Media
quoted senior government officials as saying", and "Russian Foreign Minister Lavrov: ..." (a colon opening the
words). Pure functions over a sentence; ``suggestions`` turns what they find into a statement form.
"""

import re
from dataclasses import dataclass

SAYING = re.compile(
    r"\b(?:said|says|stated|states|told|announced|pointed out|emphasi[sz]ed|stressed|expressed|believed|accused|"
    r"accusing|denied|explained|reiterated|urged|claim(?:s|ed)|complained|warned|noted|added|insisted|argued|"
    r"arguing|went on|rejected|refuted|called for|hopes|issued a (?:joint )?(?:statement|declaration))\b"
)
PASSIVE = re.compile(
    r"\b(?:criticized|criticised|opposed|condemned) by (?:the )?(?P<speaker>[A-Z][\w.’'-]*(?: [A-Z][\w.’'-]*)*)"
    # Not an adjective of a lowercase noun ("according to Russian media reports").
    r"|\b[Aa]ccording to (?:the )?(?P<source>[A-Z][\w.’'-]*(?: (?:of |for )?[A-Z][\w.’'-]*)*)(?! (?!and\b)[a-z])"
    r"|\bquoted (?P<quoted>[\w.’' -]{3,80}?) as saying\b"
)
COLON = re.compile(r"^(?P<speaker>[A-Z][^:.\"“]{2,80}?):\s+(?P<words>\S.*)$")
QUOTED = re.compile(r"[“\"]([^”\"]{20,})[”\"]")
# Words of a speaker's office, kept apart from the name ("Russian Foreign Minister" + "Lavrov").
TITLE_WORDS = frozenset(
    "President Presidential Press Secretary Minister Foreign Deputy State Prime Chancellor Ambassador Spokesperson "
    "Spokesman spokesperson spokesman Envoy envoy Special special Senior senior Defense Defence Commentator "
    "commentator Director General Chairman Chief Head Senator Former former Vice Acting Adviser National Security "
    "Affairs candidate".split()
)
# A body that speaks: the last word of a speaker that is not a person.
BODIES = frozenset(
    "Ministry ministry Department department officials government Government administration Administration side "
    "agencies spokesperson Kremlin Commission".split()
)
CONNECTORS = frozenset({"of", "and", "the", "for", "on"})
# Words between a speaker and the verb ("Russia has repeatedly called", "Moscow has categorically denied").
BETWEEN = frozenset("has have had also then further once again is was been".split())
# Capitalised at the head of a sentence, but no part of a name.
OPENERS = frozenset(
    "The A An It This That These In On At By For From After Before When While If Since But And".split()
)
PRONOUNS = frozenset("I We You He She They It".split())


@dataclass(frozen=True)
class Speaker:
    """A speaker as the sentence names them, and the words reported (``verbatim`` when quoted)."""

    phrase: str
    words: str
    verbatim: bool


def find(sentence: str) -> Speaker | None:
    """The speaker of ``sentence`` and their words, or None when no one is reported to speak."""
    colon = COLON.match(sentence)
    if colon and name_words(colon.group("speaker").split()) == colon.group("speaker").split():
        return _checked(colon.group("speaker"), colon.group("words"), verbatim=True)
    passive = PASSIVE.search(sentence)
    if passive:
        phrase = next(group for group in passive.groups() if group)
        found = _checked(phrase.strip(" ,."), sentence, verbatim=False)
        if found:
            return found
    for verb in SAYING.finditer(sentence):
        phrase = _before(sentence[: verb.start()], gerund=verb.group().endswith("ing"))
        found = phrase and _checked(phrase, _reported(sentence, verb.end()), verbatim=False)
        if found:
            return found
    return None


def _checked(phrase: str, words: str, verbatim: bool) -> Speaker | None:
    tokens = phrase.split()
    while tokens and tokens[0] in OPENERS:
        tokens.pop(0)
    if not tokens or tokens[-1] in PRONOUNS or tokens[0] in PRONOUNS:
        return None
    if not any(token[0].isupper() for token in tokens) and tokens[-1] not in BODIES:
        return None
    quoted = QUOTED.search(words)
    if not verbatim and quoted and len(quoted.group(1).split()) >= 4:
        words, verbatim = quoted.group(1).strip().rstrip(","), True
    return Speaker(" ".join(tokens), words, verbatim)


def name_words(tokens: list[str]) -> list[str]:
    """The trailing tokens that can name a speaker: capitalised words, office words, bodies, joined by 'of'."""
    taken: list[str] = []
    for token in reversed(tokens):
        word = token.strip("“”\"'(),;:")
        if token.rstrip("“”\"'").endswith((",", ";", ":")) and taken:
            break
        if word and (word[0].isupper() or word in TITLE_WORDS or word in BODIES):
            taken.insert(0, word)
        elif word in CONNECTORS and taken:
            taken.insert(0, word)
        else:
            break
    while taken and taken[0] in CONNECTORS:
        taken.pop(0)
    return taken


def _before(prefix: str, gerund: bool) -> str | None:
    tokens = prefix.split()
    while tokens and (tokens[-1] in BETWEEN or (tokens[-1].endswith("ly") and tokens[-1].islower())):
        tokens.pop()
    # "Trump pointed a finger at Russia, accusing it": the word before the comma is not who accuses.
    if not tokens or (gerund and tokens[-1].endswith(",")):
        return None
    words = name_words(tokens)
    return " ".join(words) or None


def _reported(sentence: str, after: int) -> str:
    """The reported words: the clause after "that" when the sentence has one, else the sentence."""
    match = re.search(r"\bthat\s+(.+)$", sentence[after:])
    return match.group(1).strip() if match else sentence


def split(phrase: str, is_state) -> tuple[str, str]:
    """(speaker, speaker_title): a body is its whole name; a person's office words and state go to the title.

    ``is_state(word)`` says whether a word names a state (its name, an alias or its adjective).
    """
    tokens = phrase.split()
    if tokens[-1] in BODIES:
        return phrase, ""
    name: list[str] = []
    for token in reversed(tokens):
        if token in TITLE_WORDS or token in CONNECTORS or is_state(token):
            break
        name.insert(0, token)
    if not name:
        return phrase, ""
    return " ".join(name), " ".join(tokens[: len(tokens) - len(name)])
