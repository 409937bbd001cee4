"""Reading a question before retrieval: its text made safe, its language, its parts, its follow-up context.

`read(text, history)` returns the condensed question (a follow-up rewritten with what it refers to, French
turned into an English query) and its parts; the `Assistant` only orchestrates what comes after.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from assistant.errors import BadQuestion
from assistant.retrieve.condense import Condensed, condense
from assistant.retrieve.query import AUXILIARIES, Question, Term, pointed_back, source_words
from assistant.retrieve.translate import aligned, is_french, to_english
from assistant.text import content_lemmas, lemma, only_a_verb, words

History = list[dict[str, str]]
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
TAG_RE = re.compile(r"</?[A-Za-z][^<>]{0,300}>")
# A question word opens a part, alone or after its preposition ('…, and at what temperature?', '…, and to whom?').
_ASKED_AFTER = r"(?:on|by|with|at|in|to|from|for|under|over|into|during|after|before|since|until|within)"
_WH = r"(?:how|what|where|when|who|which|why|pourquoi|comment|où|quand|combien)"  # the question words
_QUESTION_START = (r"(?=(?:" + _WH + r"|is|are|do|does|can|will|quel|quelle)\b|" + _ASKED_AFTER +
                   r"\s+(?:what|which|whom|whose|when|how)\b)")
# After a comma, a past or modal auxiliary opens a yes/no part too ('…, and was it approved?'); without one it
# may go on the clause ('when the board cannot agree and has to vote').
_AFTER_COMMA = r"(?=(?:was|were|did|has|have|had|would|should|could|must|may)\b)"
_CONDITION = r"(?:if (?:not|so),?\s+)?"  # 'and if not, where …', 'If so, what …': the part is what follows
# 'X and how much is it?', 'Any openings now? And if not, where will they be posted?': one part each.
# An adverb may come between 'and' and the question word ('…, and approximately how many …', '…, and also where …').
_ADVERB = r"(?:(?:also|[a-z]+ly),?\s+)?"
PART_SPLIT_RE = re.compile(
    r"\s*(?:,\s*)?\b(?:and|et)\s+" + _CONDITION + _ADVERB + _QUESTION_START +
    r"|\s*,\s*(?:and|et)\s+" + _AFTER_COMMA +
    r"|(?<=\?)\s+(?:(?:and|et)\s+)?" + _CONDITION + _QUESTION_START, re.I)
# A question word alone, or with its preposition and up to three words of its own ('on which day', 'what paint colour').
_WH_PHRASE = rf"(?:{_ASKED_AFTER}\s+)?(?:(?:what|which|how|whose)(?:\s+[\w-]+){{1,3}}|{_WH})"
# A part that is only question phrases ('When and where did the fair open?' → 'When', 'where did the fair open?';
# 'On which day, and in what town, did the fair open?'): they share the clause of the part after them.
BARE_WH_RE = re.compile(rf"^\W*{_WH_PHRASE}(?:\s*,\s*{_WH_PHRASE})*\W*$", re.I)
# A part's question phrase closed by a comma ('in what town, did the fair open?'): the clause follows the comma.
CLOSED_PHRASE_RE = re.compile(rf"^\W*{_WH_PHRASE}\s*,\s+", re.I)
# A part's question phrase up to its auxiliary: 'where ', 'on what day ', 'how many stalls ' (only 'what',
# 'which', 'how' and 'whose' take words of their own before it).
ASKED_PHRASE_RE = re.compile(rf"^\W*(?:{_ASKED_AFTER}\s+)?(?:(?:what|which|how|whose)(?:\s+[\w-]+){{0,3}}?|{_WH})\s+"
                             rf"(?=(?:{'|'.join(sorted(AUXILIARIES))})\b)", re.I)
# How much of an earlier answer is read for what a follow-up points back to: its lead (an answer opens with
# what it found; citations, notes and further quotes follow).
ANSWER_CHARS = 300
# Personal names in a previous answer: 'Dr Jane Smith', 'John Doe, Director'.
NAME_RE = re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Prof)\.? ([A-Z][a-z]+ [A-Z][a-z]+)|\b([A-Z][a-z]+ [A-Z][a-z]+)(?=,)")


def clean_question(question: object, limit: int) -> str:
    """The question as text, or `BadQuestion` saying what is wrong with it."""
    if not isinstance(question, str):
        raise BadQuestion("The question must be text.")
    # Control characters, lone surrogates and HTML tags carry no meaning for the documents.
    text = TAG_RE.sub(" ", CONTROL_RE.sub(" ", question)).strip()
    if not text:
        raise BadQuestion("The question is empty: type a question about the BIPM documents.")
    if len(text) > limit:
        raise BadQuestion(
            f"The question is {len(text):,} characters long; the limit is {limit:,} "
            "(ASSISTANT_MAX_QUESTION_CHARS). Please ask something shorter."
        )
    return re.sub(r"\s+", " ", text)




def read(text: str, history: History | None) -> tuple[Condensed, list[Condensed]]:
    """The condensed question and its parts (one part unless it asks two things at once)."""
    condensed = condense(*in_english(text, clean_history(history)))
    return condensed, split_parts(condensed)


Analyse = Callable[[str], Question]  # text → analysed question (with the index's vocabulary and IDF)


def analysed(condensed: Condensed, analyse: Analyse) -> Question:
    """The analysed question; an elliptical follow-up ('And the other one?') keeps the earlier question's answer
    type, and a follow-up in the asker's own words does not require what it points back to (`pointed_back`)."""
    q = analyse(condensed.text)
    if condensed.mode == "ellipsis" or condensed.elliptical:
        q = q.inherit(analyse(condensed.context))
    if condensed.is_followup and condensed.mode != "ellipsis":  # a rewritten question is not the asker's words
        q = pointed_back(q)
    return q


def referent_terms(condensed: Condensed, analyse: Analyse) -> tuple[Term, ...]:
    """What a pronoun follow-up points back to: the earlier question's nouns and the names in the earlier
    answer (none for any other question)."""
    if condensed.mode != "pronoun":
        return ()
    terms = analyse(condensed.context).hard_terms
    names = previous_names(condensed.previous_answer)
    extra = analyse(" ".join(names)).terms if names else ()
    return tuple({t.lemma: t for t in (*terms, *extra)}.values())


def answer_terms(condensed: Condensed, analyse: Analyse) -> tuple[Term, ...]:
    """The terms of the earlier turn's answer that a pronoun follow-up goes on from (its opening
    ``ANSWER_CHARS``); none for a later part of one message, which has no answer yet, or any other question."""
    if condensed.mode != "pronoun" or not condensed.previous_answer:
        return ()
    return analyse(condensed.previous_answer[:ANSWER_CHARS]).terms


def previous_names(answer: str) -> list[str]:
    """Personal names in a previous answer, which a pronoun may point back to."""
    return [a or b for a, b in NAME_RE.findall(answer[:ANSWER_CHARS])]


def split_parts(condensed: Condensed) -> list[Condensed]:
    """'Where is it and when does it open?' → two questions; each later part is read with the first
    as its context, pronoun or not: the parts of one question are about one subject ('… and when is the second
    one decided?')."""
    texts = _shared_clauses([p.strip() for p in PART_SPLIT_RE.split(condensed.text) if p.strip()])
    if condensed.is_followup:
        # A follow-up's parts each go on from the earlier turn ('How long did it run, and how many
        # took part?'), as the whole did; an elliptical one is a phrase, not parts.
        if len(texts) < 2 or condensed.mode == "ellipsis" or condensed.elliptical:
            return [condensed]
        # A later part may point at the first ('…, and since when?'), so it reads both as its context.
        return [replace(condensed, text=texts[0])] + [
            replace(condensed, text=t, context=f"{condensed.context} {texts[0]}") for t in texts[1:]]
    first = [Condensed(texts[0])] if texts else []
    rest = [Condensed(t, texts[0], "pronoun") for t in texts[1:]]
    return first + rest


def _shared_clauses(texts: list[str]) -> list[str]:
    """'When', 'where did the fair open?' → 'When did the fair open?', 'where did the fair open?': each bare question word of
    the opening parts asks about the clause of the first part that has one."""
    bare = 0
    while bare < len(texts) - 1 and BARE_WH_RE.match(texts[bare]) and _verbless(texts[bare]):
        bare += 1
    if not bare:
        return texts
    # The full part without its own question phrase: past its auxiliary when it has one ('on what day did the fair
    # open?' → 'did the fair open?') or past the comma closing it ('in what town, did …'), else past the question
    # word ('where the fair took place?').
    phrase = ASKED_PHRASE_RE.match(texts[bare]) or CLOSED_PHRASE_RE.match(texts[bare])
    words_after = texts[bare].split(maxsplit=1)[1:]
    clause = texts[bare][phrase.end():] if phrase else (words_after[0] if words_after else "")
    if not clause:
        return texts
    asked = [p for t in texts[:bare] for p in re.split(r"\s*,\s*", t.strip(" ,?")) if p]
    return [f"{w} {clause}" for w in asked] + texts[bare:]


def _verbless(part: str) -> bool:
    """Is ``part`` free of verbs ('on which day', 'what city'; not 'what happened', 'which was it')? Only such
    a phrase lacks a clause of its own."""
    return not any(w.lower() in AUXILIARIES or only_a_verb(w.lower()) for w in re.findall(r"[\w-]+", part))


def in_english(text: str, history: History) -> tuple[str, History]:
    """French question and turns → English queries (the answer is framed in French later)."""
    def english(t: str) -> str:
        return to_english(t) if is_french(t) else t

    return english(text), [{**t, "content": english(t["content"])} for t in history]


def clean_history(history: History | None) -> History:
    if not history:
        return []
    return [t for t in history if isinstance(t, dict) and isinstance(t.get("content"), str)]




def for_quotes(q: Question, condensed: Condensed, asked: str) -> Question:
    """The analysed question as quotes are checked against it: a French question (not a follow-up, whose
    condensed text mixes in earlier turns) also in its own words, for quotes from French documents."""
    if asked and not condensed.is_followup and is_french(asked):
        return in_own_words(q, asked)
    return q


def in_own_words(q: Question, asked: str) -> Question:
    """A translated question with the French words its terms came from, for checking French quotes.

    Each English term keeps its weight and key-ness (read from the English, where nouns can be told from
    verbs) and takes the lemma of the French word it translates ('retirement' ← 'retraite'), or, left
    untranslated, its own French lemma (a name, a number or an acronym reads the same in both languages).
    """
    source: dict[str, str] = {}
    for french, english in aligned(asked):
        for word in words(english):
            source.setdefault(lemma(word), french)
    terms: dict[str, Term] = {}
    for t in q.terms:
        french = source.get(t.lemma) or source.get(lemma(t.word))
        # An untranslated word is read as French too: 'boulons' is no English plural.
        lemmas = content_lemmas(french, "fr") if french else []
        own = Term(french, max(lemmas, key=len), t.weight, t.key, t.known, english=t.lemma) if lemmas else t
        terms.setdefault(own.lemma, own)
    # The phrase naming where to look, read in the asker's words ('Dans la mise en pratique de 1983, …'): the
    # translation drops the comma that ends it.
    named = source_words(asked)
    english = {t.english or t.lemma for t in terms.values() if {w.lower() for w in words(t.word)} <= named}
    return replace(q, source=q.source | english).with_own(tuple(terms.values()))
