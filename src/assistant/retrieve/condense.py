"""Resolve a follow-up question against the conversation ('What is her phone number?', 'And the museum?')."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.question.references import ORDINAL_RE

# ('there' as a place named before, 'described there'; 'the other' one of two named before)
PRONOUN_RE = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|ones|there|the other|"
    r"il|elle|ils|elles|lui|leur|leurs)\b", re.I
)
ELLIPSIS_RE = re.compile(
    r"^\s*(and what about|what about|how about|and for|and|what of|also|et pour|et)\b[\s,]*", re.I
)
# A demonstrative before a noun ('that session', 'those rules', 'the same session') points back however long the
# question is; a 'that' before an article, pronoun or name opens a clause instead ('… accept that the BIPM …').
DEMONSTRATIVE_RE = re.compile(r"\b(?:that|this|these|those|the same)\s+(?!(?:the|a|an|it|its|they|their|he|she|"
                              r"we|you|i|is|was|are|were|has|had|have|will|would|can|could|should|may|might|must|"
                              r"do|does|did|not|no|one|ones)\b)(?-i:[a-z])", re.I)
# A reply may open with an acknowledgement before the question proper ('OK.', 'Right —', 'Thanks, so', 'Alors,'); the
# follow-up is read from after it. Words that also start content ('fine', 'right', 'well', 'now', 'bon') count
# only with punctuation after them ('Fine.' acknowledges, 'fine structure' does not).
ACKNOWLEDGEMENT_RE = re.compile(
    r"^\s*(?:(?:(?:ok(?:ay)?|alright|thanks|thank you|merci|d'accord|alors|so)\b|"
    r"(?:all right|right|fine|well|now|bon)(?=\s*[,.!:;—–-]))[\s,.!:;—–-]*)+", re.I)
PROPER_PHRASE_RE = re.compile(r"\b((?:[A-Z][\w'-]*\s+){0,4}[A-Z][\w'-]*)")


@dataclass(frozen=True)
class Condensed:
    """The question to answer, the earlier question it leans on, and how ('pronoun' or 'ellipsis')."""

    text: str
    context: str = ""
    mode: str = ""
    previous_answer: str = ""
    elliptical: bool = False  # a bare phrase going on from the earlier question ('And the museum?')

    @property
    def is_followup(self) -> bool:
        return bool(self.context)


def last_turn(history: list[dict[str, str]], role: str) -> str:
    for turn in reversed(history):
        if turn.get("role") == role and turn.get("content", "").strip():
            return turn["content"].strip()
    return ""


def condense(question: str, history: list[dict[str, str]] | None) -> Condensed:
    """Rewrite an elliptical follow-up from the previous question; mark pronoun follow-ups with context."""
    history = history or []
    previous = last_turn(history, "user")
    if not previous:
        return Condensed(question)
    answer = last_turn(history, "assistant")
    question = ACKNOWLEDGEMENT_RE.sub("", question) or question
    continues = bool(ELLIPSIS_RE.match(question))
    phrase = ELLIPSIS_RE.sub("", question).strip(" ?.!")
    pointing = bool(PRONOUN_RE.search(_without_existentials(question)))
    if continues and len(question.split()) <= 8 and not PRONOUN_RE.search(phrase):
        substituted = _substitute(previous, phrase)
        if substituted is not None:
            return Condensed(substituted, previous, "ellipsis", answer)
        # No name of the earlier question to swap ('And the canteen?'): the phrase alone would lose what
        # it goes on from, so it is read like a pronoun follow-up, with the earlier question as context (and,
        # as an ellipsis, its answer type).
        return Condensed(question, previous, "pronoun", answer, elliptical=True)
    # 'And what exactly did it adopt?', 'And at which hour did the depot open?': a question that goes on
    # from the last one ('And …') or points back at it keeps it as context, whatever its length.
    if continues or (pointing and len(question.split()) <= 14) or DEMONSTRATIVE_RE.search(question):
        return Condensed(question, previous, "pronoun", answer)
    return Condensed(question)


def _without_existentials(question: str) -> str:
    """'Is there…' / 'Are there…' / 'Is it possible…' do not point back at anything."""
    return re.sub(r"\b(is|are|was|were) (there|it possible)\b|\bthere (is|are)\b", " ", question, flags=re.I)


def _substitute(previous: str, phrase: str) -> str | None:
    """Swap the matching name in the previous question ('Physical Metrology Department' → 'Time Department');
    None without a matching name (`condense` then reads the question as a follow-up that keeps the earlier
    question as context)."""
    phrase = re.sub(r"^(the|le|la|les)\s+", "", phrase, flags=re.I)
    tokens = phrase.split()
    if not tokens:
        return previous
    head = tokens[-1].lower()
    names = [m.group(1) for m in PROPER_PHRASE_RE.finditer(previous) if m.start() > 0]
    for candidate in names:
        if candidate.split()[-1].lower() == head and candidate.lower() != phrase.lower():
            if ORDINAL_RE.match(phrase):  # 'And the 27th CGPM?' after '… the 26th CGPM …': both words go
                numbered = re.search(rf"{ORDINAL_RE.pattern}\s+{re.escape(candidate)}\b", previous, re.I)
                if numbered:
                    return previous.replace(numbered.group(0), phrase)
            return previous.replace(candidate, phrase)
    if len(tokens) == 1 and phrase.isupper():
        acronyms = [n for n in names if n.isupper() and len(n.split()) == 1]
        if acronyms:
            return previous.replace(acronyms[-1], phrase)
    return None
