"""Resolve a follow-up question against the conversation ('What is his email address?')."""

from __future__ import annotations

import re
from dataclasses import dataclass

PRONOUN_RE = re.compile(
    r"\b(he|him|his|she|her|hers|they|them|their|it|its|this|that|these|those|there|"
    r"il|elle|ils|elles|lui|leur|leurs|son|sa|ses|ce|cette|ces)\b", re.I
)
ELLIPSIS_RE = re.compile(
    r"^\s*(and|what about|how about|and what about|and for|what of|also|et|et pour|et pour le|et la|et le)\b[\s,]*",
    re.I,
)
PROPER_PHRASE_RE = re.compile(r"\b(?:the )?((?:[A-Z][\w'-]*\s+){0,4}[A-Z][\w'-]*)")


@dataclass(frozen=True)
class Condensed:
    """The question to retrieve and answer with, and the earlier question it leans on (if any)."""

    text: str
    context: str = ""

    @property
    def is_followup(self) -> bool:
        return bool(self.context)


def last_user_turn(history: list[dict[str, str]]) -> str:
    for turn in reversed(history):
        if turn.get("role") == "user" and turn.get("content", "").strip():
            return turn["content"].strip()
    return ""


def condense(question: str, history: list[dict[str, str]] | None) -> Condensed:
    """Rewrite an elliptical follow-up from the previous question; mark pronoun follow-ups with context."""
    previous = last_user_turn(history or [])
    if not previous:
        return Condensed(question)
    if ELLIPSIS_RE.match(question) and len(question.split()) <= 8:
        return Condensed(_substitute(previous, ELLIPSIS_RE.sub("", question).strip(" ?.!")), previous)
    if PRONOUN_RE.search(question) and len(question.split()) <= 14:
        return Condensed(question, previous)
    return Condensed(question)


def _substitute(previous: str, phrase: str) -> str:
    """'Who directs the Physical Metrology Department?' + 'the Time Department' → swap the department."""
    phrase = re.sub(r"^(the|le|la|les)\s+", "", phrase, flags=re.I)
    head = phrase.split()[-1].lower() if phrase.split() else ""
    for match in PROPER_PHRASE_RE.finditer(previous):
        candidate = match.group(1)
        if candidate.split()[-1].lower() == head and candidate.lower() != phrase.lower():
            return previous.replace(candidate, phrase)
    return f"{previous.rstrip(' ?')} — {phrase}?"
