"""French questions → English queries, word by word, with the packaged general glossary (data/fr_en.tsv).

The documents are mostly English and no translation model may be downloaded, so a French question is
translated lemma by lemma (longest glossary phrase first); names, acronyms and numbers pass through.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib.resources import files

from assistant.text import (
    FR_STOP,
    QUESTION_WORDS,
    dictionary_lemma,
    english_inflection,
    english_lemmas,
    fold,
    french_infinitive,
    is_stop,
    words,
)

FRENCH_CUES = re.compile(
    r"\b(est-ce|qu'|quel|quelle|quels|quelles|comment|combien|où|pourquoi|quand|qui|que|les|des|une|"
    r"pour|avec|dans|sur|est|sont|faut|peut|y a-t-il|du|au|aux|le|la|un|il|elle|et|de|ce|cette|mon|ma|mes)\b|"
    r"\w-t-(il|elle|on)\b|\w-(ils|elles|je|vous|nous)\b", re.I)
ENGLISH_CUES = re.compile(r"\b(the|is|are|what|which|who|how|does|do|of|and|for|with|can|will)\b", re.I)
# '-t-il', '-ils', '-elle', '-on', '-je' glued to verbs ('verse-t-il') carry no meaning here.
INVERSION_RE = re.compile(r"(?<!\by a)-(t-)?(il|ils|elle|elles|on|je|tu|nous|vous)\b", re.I)
MAX_PHRASE = 5


def _inflect(english: str, token: str, lemma: str) -> str:
    """Keep the past participle ('demandée' → 'asked') and the plural of nouns (see ``_number``)."""
    if token.lower().endswith(("é", "ée", "és", "ées")) and english.isalpha():
        if lemma.endswith("er"):
            return (english_inflection(english, "VBN") or (english,))[0]
        if "NOUN" not in english_lemmas(english):
            return english  # an adjective or participle ('liées' → 'linked'): never a plural
    return _number(english, token, lemma)


def _number(english: str, token: str, lemma: str) -> str:
    """Keep the plural of 'organisations' → 'organizations': it tells a list question from a single one."""
    plural = token.lower().endswith(("s", "x")) and token.lower() != lemma and " " not in english
    plural = plural and not is_stop(english) and english not in QUESTION_WORDS
    return english + "s" if plural and not english.endswith("s") and english.isalpha() else english


def is_french(text: str) -> bool:
    """More French than English function words, or French accents with no English cue."""
    fr = len(FRENCH_CUES.findall(text))
    en = len(ENGLISH_CUES.findall(text))
    return fr > en or (fr == en and bool(re.search(r"[éèêàùçôîœ]", text)) and fr > 0)


def _lemmas(text: str) -> list[str]:
    return [dictionary_lemma(w.lower(), "fr") for w in words(text)]


@lru_cache(maxsize=1)
def glossary() -> tuple[dict[str, str], dict[tuple[str, ...], str]]:
    """(single-word lemma → English, phrase lemmas → English): first English sense of each entry."""
    single: dict[str, str] = {}
    phrases: dict[tuple[str, ...], str] = {}
    text = (files("assistant.data") / "fr_en.tsv").read_text(encoding="utf-8")
    for line in text.splitlines()[1:]:
        fr, _, en = line.partition("\t")
        if not fr or not en:
            continue
        english = en.split("|")[0]
        if len(words(fr)) == 1 and " " not in fr:
            single[fr] = english
            single.setdefault(fold(fr), english)
        else:
            phrases[tuple(_lemmas(fr))] = english
    return single, phrases


@lru_cache(maxsize=1)
def acronyms() -> dict[str, str]:
    """French acronyms of international bodies → the English ones (data/fr_en_acronyms.tsv)."""
    text = (files("assistant.data") / "fr_en_acronyms.tsv").read_text(encoding="utf-8")
    rows = (line.split("\t") for line in text.splitlines()[1:] if "\t" in line)
    return {fr.strip(): en.strip() for fr, en in rows}


def to_english(text: str) -> str:
    """Word-by-word English rendering of a French question (or passage), sentence by sentence (their end marks
    kept)."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    return " ".join(_sentence_to_english(s) for s in sentences if s)


# An opening 'Quand …,' / 'Si …,' clause: translated apart and its comma kept, so that the question after it is
# read as the question ('Quand …, comment …?' asks how, not when).
# The clause may hold commas of its own ('Lorsque … l'ampère, l'ohm et le volt, quels …?'): it ends at the comma a
# question word follows, or else at its first.
OPENING_CLAUSE_RE = re.compile(
    r"^\s*(?:lorsqu'|lorsque\b|quand\b|si\b|s'il\b)(?:[^?]*?,(?=\s*(?:que\b|qu'|quel|lequel|laquelle|lesquel|qui\b|"
    r"comment\b|combien\b|où\b|pourquoi\b|quand\b|est-ce\b|à\s+qu|de\s+qu|pour\s+qu|par\s+qu|dans\s+qu|sur\s+qu))|"
    r"[^,?]*,(?=\s*\S+\s+\S+\s+\S))", re.I)
# 'Que faut-il …?', 'Qu'est-il advenu …?': 'que' opening a question asks what (elsewhere it is 'that', left out).
WHAT_OPENER = frozenset({"que", "qu"})


def _sentence_to_english(text: str) -> str:
    """One sentence; unknown words are kept as they are."""
    end = text.rstrip()[-1:]
    clauses = (" ".join(english for _, english in _aligned(c)) for c in _clauses(text))
    return ", ".join(clauses) + (end if end in ".!?" else "")


def _clauses(sentence: str) -> list[str]:
    """The sentence, or its opening 'Quand …,' clause and the rest (translated apart)."""
    opening = OPENING_CLAUSE_RE.match(sentence.replace("’", "'"))
    return [sentence[: opening.end() - 1], sentence[opening.end():]] if opening else [sentence]


def aligned(text: str) -> list[tuple[str, str]]:
    """(French words, their English rendering) for each piece `to_english` translates, in order."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    return [pair for s in sentences if s for c in _clauses(s) for pair in _aligned(c)]


def _aligned(text: str) -> list[tuple[str, str]]:
    single, phrases = glossary()
    # The word before '-t-il' is a verb: 'juge-t-il' is 'juger', not the noun 'juge'.
    text = text.replace("’", "'")
    verbs = {w.lower() for m in INVERSION_RE.finditer(text) for w in re.findall(r"(\w+)$", text[:m.start()])}
    cleaned = INVERSION_RE.sub("", text)
    tokens = words(cleaned)
    lemmas = _lemmas(cleaned)
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        for size in range(min(MAX_PHRASE, len(tokens) - i), 1, -1):
            english = phrases.get(tuple(lemmas[i : i + size]))
            if english:
                out.append((" ".join(tokens[i : i + size]), english))
                i += size
                break
        else:
            token = tokens[i]
            if i == 0 and token.lower() in WHAT_OPENER and len(tokens) > 1:
                out.append((token, "what"))
                i += 1
                continue
            if token.lower() in verbs and lemmas[i] not in single and lemmas[i] + "r" in single:
                lemmas[i] += "r"  # 'juge' → 'juger'
            english = single.get(lemmas[i]) or single.get(token.lower())
            if english is None and token.lower() in FR_STOP:
                i += 1
                continue  # 'du', 'des': folded spellings would collide with other words ('dû' → 'due')
            english = english or single.get(fold(lemmas[i]))
            head, dash, tail = token.partition("-")
            if head in acronyms():
                # 'UIT' → 'ITU', 'UIT-T' → 'ITU-T': the documents use the English acronym
                out.append((token, f"{acronyms()[head]}{dash}{tail}"))
                i += 1
                continue
            keep = token.isupper() or any(ch.isdigit() for ch in token) or "@" in token
            out.append((token, token if keep or not english else _inflect(english, token, lemmas[i])))
            i += 1
    return _infinitives(out)


INFINITIVE_MARKERS = frozenset({"de", "d", "d'", "à", "pour"})  # 'recommandé d'utiliser', 'continuer à utiliser'


def _infinitives(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """'d'utiliser' is 'to use', not 'of use': before an infinitive the preposition is English 'to' (so the
    verb is read as one, not as the noun after 'of')."""
    out = list(pairs)
    for i in range(len(out) - 1):
        french, _ = out[i]
        if french.lower() in INFINITIVE_MARKERS and french_infinitive(out[i + 1][0]):
            out[i] = (french, "to")
    return out
