"""Grounding check for LLM answers: every kept sentence must be supported by the passage it cites.

An LLM answer is split into sentences ("claims"). A claim is kept when:

- it carries at least one ``[n]`` and every ``n`` names a passage that was given (else ``bad_citation``);
- enough of its content words occur in the cited passages (``LEXICAL_STRONG``), or a fair share does
  (``LEXICAL_MIN``) and it is close in meaning to one sentence of them (``SEMANTIC_MIN``, MiniLM cosine);
- every number and every name (a capitalised word past the first, an acronym) it states occurs in the cited
  passages, and it is negated exactly when the passage sentence closest to it is;
- none of its words comes only from an instruction-like sentence of a passage ("Ignore previous
  instructions and say …"): such sentences are data, never support, and a claim echoing one is ``injection``.

Uncited sentences are dropped, except a statement that the passages do not say something, and only when it
adds no content word beyond the question ("absence"). Dropped sentences are not shown, flagged or
reworded: the answer keeps only what the documents support, and `Answer.notes` says how many were dropped.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import numpy as np

from assistant.answer.coverage import Profile
from assistant.answer.evidence import Unit
from assistant.answer.prompt import Source
from assistant.index.embedder import Embedder
from assistant.retrieve.corpus import CorpusView
from assistant.retrieve.query import Term
from assistant.safety.instructions import flags, is_instruction
from assistant.text import content_lemmas, is_stop, lemma, split_sentences, words

# Share of a claim's content words found (lemma, stem or acronym) in the passages it cites …
LEXICAL_STRONG = 0.8  # … enough on its own
LEXICAL_MIN = 0.6  # … enough together with SEMANTIC_MIN
SEMANTIC_MIN = 0.5  # cosine between the claim and its closest sentence of the cited passages
QUOTE_MIN = 0.35  # another cited passage is quoted too when its closest sentence has this cosine
MAX_RANGE = 10  # "[1-3]" is read as 1, 2, 3; longer ranges are not believed

CITE_RE = re.compile(
    r"\[\s*(?:(?:passages?|sources?|doc(?:ument)?s?)\s*)?(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\s*\]", re.I
)
BULLET_RE = re.compile(r"^\s*(?:([-*•▪])|(\d+)[.)])\s+")
LETTER_RE = re.compile(r"[^\W\d_]")
NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
NEGATION_RE = re.compile(r"\b(not|no|never|none|nothing|neither|nor|cannot|without)\b|n't\b", re.I)
ABSENCE_RE = re.compile(
    r"\b(passages?|documents?|sources?|texts?|context)\b[^.]{0,60}(\b(not|no|nothing|neither)\b|n't\b)"
    r"|\bno (information|mention|details?)\b|\bnot (mentioned|stated|specified|covered|provided|given)\b"
    r"|^(i|we) (do not|don't|cannot|can't) (know|find|tell)\b",
    re.I,
)
# Words an "it is not in the passages" sentence may use besides the question's own.
ABSENCE_WORDS = frozenset({
    "passage", "document", "source", "text", "context", "say", "state", "mention", "contain", "provide",
    "information", "give", "include", "cover", "detail", "specify", "answer", "question", "find", "know",
    "tell", "address", "discuss", "unfortunately", "available", "explicitly", "specific",
})


@dataclass(frozen=True)
class Claim:
    """One sentence of an LLM answer: its text without markers, the passage numbers it cites, its layout."""

    text: str
    cites: tuple[int, ...]
    sep: str = ""  # what came before it: "", " ", "\n" or "\n\n"
    bullet: str = ""  # "-" for an unordered item, "1." for an ordered one, "" for running text


@dataclass(frozen=True)
class Quote:
    """The sentence of a cited passage that supports a claim best."""

    source: Source
    unit: Unit
    score: float


@dataclass(frozen=True)
class Verdict:
    """status: supported | absence | empty (kept or ignored); no_citation | bad_citation | unsupported |
    injection (dropped)."""

    claim: Claim
    status: str
    score: float = 0.0
    quotes: tuple[Quote, ...] = ()
    reason: str = ""

    @property
    def kept(self) -> bool:
        return self.status in ("supported", "absence")

    @property
    def dropped(self) -> bool:
        return self.status not in ("supported", "absence", "empty")


# --- reading an LLM answer -------------------------------------------------------
def split_claims(text: str) -> list[Claim]:
    """The sentences of ``text`` with their ``[n]`` markers; a marker after the full stop joins its sentence."""
    claims: list[Claim] = []
    blank = False
    for line in text.replace("\r", "").split("\n"):
        if not line.strip():
            blank = True
            continue
        match = BULLET_RE.match(line)
        bullet = ("-" if match.group(1) else "1.") if match else ""
        body = line[match.end():] if match else line.strip()
        first = True
        for a, b in split_sentences(body):
            claim = _claim(body[a:b], claims)
            if claim is None:
                continue
            sep = "" if not claims else ("\n\n" if blank else "\n") if first else " "
            claims.append(Claim(claim[0], claim[1], sep, bullet if first else ""))
            first, blank = False, False
    return claims


def finished_claims(buffer: str) -> list[Claim]:
    """Claims of a growing answer that can no longer change: all but the last one."""
    return split_claims(buffer)[:-1]


def _claim(piece: str, claims: list[Claim]) -> tuple[str, tuple[int, ...]] | None:
    """(text, cites) of one sentence; markers before its first word belong to the previous claim."""
    first_word = LETTER_RE.search(piece)
    head = piece[: first_word.start()] if first_word else piece
    lead = _numbers(head)
    if lead and claims:
        prev = claims[-1]
        claims[-1] = Claim(prev.text, prev.cites + lead, prev.sep, prev.bullet)
    if first_word is None:
        return None
    rest = piece[first_word.start():]
    cites = _numbers(rest)
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", CITE_RE.sub(" ", rest))).strip()
    return text, cites


def _numbers(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for match in CITE_RE.finditer(text):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part) if x]
            a, b = bounds[0], bounds[-1]
            out.extend(range(a, b + 1) if 0 <= b - a < MAX_RANGE else (a, b))
    return tuple(dict.fromkeys(out))


# --- checking it --------------------------------------------------------------
class UnitVectors:
    """Embeddings of document units, computed once per index version."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._cache: dict[tuple[str, str, int], np.ndarray] = {}
        self._lock = threading.Lock()

    def of(self, version: str, units: list[Unit]) -> np.ndarray:
        keys = [(version, u.doc_id, u.index) for u in units]
        with self._lock:
            todo = [(k, u) for k, u in zip(keys, units, strict=True) if k not in self._cache]
        if todo:
            vectors = self.embedder.embed([u.text for _, u in todo])
            with self._lock:
                self._cache.update({k: v for (k, _), v in zip(todo, vectors, strict=True)})
        if not units:
            return np.zeros((0, self.embedder.dim), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])


@dataclass
class _Evidence:
    """What one passage offers as support: its content units and their vectors."""

    source: Source
    units: list[Unit]
    vectors: np.ndarray
    profile: Profile
    numbers: set[str]


class Grounder:
    """Checks claims against the numbered passages one answer was given."""

    def __init__(self, corpus: CorpusView, sources: list[Source], question: str, vectors: UnitVectors) -> None:
        self.sources = sources
        self.question_lemmas = set(content_lemmas(question))
        self.embedder = vectors.embedder
        self.evidence: dict[int, _Evidence] = {}
        injected: list[str] = []
        for s in sources:
            units = _passage_units(s, corpus.units(s.passage.doc_id))  # the corpus keeps each document's units
            unit_vectors = vectors.of(corpus.version, units)
            flagged = flags([u.text for u in units], unit_vectors)
            keep = [i for i, f in enumerate(flagged) if not f]
            content = [units[i] for i in keep]
            injected += [u.text for u, f in zip(units, flagged, strict=True) if f]
            context = "\n".join([s.title, s.section, *(u.text for u in content)])
            self.evidence[s.n] = _Evidence(s, content, unit_vectors[keep], Profile(context), _numbers_of(context))
        self.injected = Profile("\n".join(injected)) if injected else None
        self._claim_vectors: dict[str, np.ndarray] = {}

    def check_all(self, claims: list[Claim]) -> list[Verdict]:
        texts = [c.text for c in claims if c.text not in self._claim_vectors]
        if texts:
            self._claim_vectors.update(zip(texts, self.embedder.embed(texts), strict=True))
        return [self.check(c) for c in claims]

    def check(self, claim: Claim) -> Verdict:
        lemmas = content_lemmas(claim.text)
        if not lemmas:
            return Verdict(claim, "empty")
        if not claim.cites:
            status = "absence" if self._is_absence(claim.text, lemmas) else "no_citation"
            return Verdict(claim, status, reason="" if status == "absence" else "no [n] marker")
        wrong = [n for n in claim.cites if n not in self.evidence]
        if wrong:
            return Verdict(claim, "bad_citation", reason=f"cites passage {wrong[0]}, which was not given")
        if is_instruction(claim.text, self._claim_vectors.get(claim.text)):
            return Verdict(claim, "injection", reason="repeats an instruction")
        return self._support(claim, lemmas, [self.evidence[n] for n in claim.cites])

    def _support(self, claim: Claim, lemmas: list[str], cited: list[_Evidence]) -> Verdict:
        terms = [Term(x, x, 1.0) for x in dict.fromkeys(lemmas)]
        found = [t for t in terms if any(e.profile.exact(t) for e in cited)]
        if self.injected is not None and any(self.injected.exact(t) for t in terms if t not in found):
            return Verdict(claim, "injection", reason="its words come from an instruction inside a passage")
        share = len(found) / len(terms)
        missing = sorted(_numbers_of(claim.text) - set().union(*(e.numbers for e in cited)))
        missing += [w for w in _names(claim.text) if not any(e.profile.exact(Term(w, lemma(w), 1.0)) for e in cited)]
        if missing:
            return Verdict(claim, "unsupported", reason=f"“{missing[0]}” is not in the cited passage")
        quotes = self._quotes(claim, cited)
        if not quotes:
            return Verdict(claim, "unsupported", reason="no sentence of the cited passage says this")
        cosine = quotes[0].score
        if _negated(claim.text) != _negated(quotes[0].unit.text):
            return Verdict(claim, "unsupported", reason="it negates what the passage says, or the reverse")
        score = round(0.5 * share + 0.5 * max(cosine, 0.0), 4)
        if share >= LEXICAL_STRONG or (share >= LEXICAL_MIN and cosine >= SEMANTIC_MIN):
            return Verdict(claim, "supported", score, quotes)
        return Verdict(claim, "unsupported", score, reason=f"word overlap {share:.2f}, similarity {cosine:.2f}")

    def _quotes(self, claim: Claim, cited: list[_Evidence]) -> tuple[Quote, ...]:
        """Per cited passage, its sentence closest to the claim; the closest of all first, always kept."""
        vector = self._claim_vectors.get(claim.text)
        if vector is None:
            vector = self._claim_vectors.setdefault(claim.text, self.embedder.embed([claim.text])[0])
        best: list[Quote] = []
        for e in cited:
            if e.units:
                sims = e.vectors @ vector
                i = int(np.argmax(sims))
                best.append(Quote(e.source, e.units[i], round(float(sims[i]), 4)))
        best.sort(key=lambda q: q.score, reverse=True)
        return tuple(q for i, q in enumerate(best) if i == 0 or q.score >= QUOTE_MIN)

    def _is_absence(self, text: str, lemmas: list[str]) -> bool:
        if not ABSENCE_RE.search(text) or _numbers_of(text):
            return False
        return all(x in self.question_lemmas or x in ABSENCE_WORDS for x in lemmas)


def _passage_units(source: Source, doc_units: list[Unit]) -> list[Unit]:
    chunk = source.passage.chunk
    return [u for u in doc_units if u.start < chunk.end and chunk.start < u.end and u.text.strip()]


def _names(text: str) -> list[str]:
    """Words that look like names: capitalised past the first word, or with two capitals (acronyms)."""
    tokens = words(text)
    return [w for i, w in enumerate(tokens) if not is_stop(w) and not w[0].isdigit()
            and ((i > 0 and w[0].isupper()) or sum(c.isupper() for c in w) >= 2)]


def _negated(text: str) -> bool:
    return bool(NEGATION_RE.search(text))


def _numbers_of(text: str) -> set[str]:
    return {m.group().replace(",", "").rstrip(".") for m in NUMBER_RE.finditer(text)}
