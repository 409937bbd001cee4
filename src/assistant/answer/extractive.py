"""The default answerer: picks and orders sentences, lists and steps from the retrieved passages.

It abstains when the evidence does not cover what was asked: the question's focus terms (weighted by
rarity) must be covered by the quoted text, its heading or its document's title, and a question asking
for an e-mail, a number, a date or a duration needs one in the quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import groupby

import numpy as np

from assistant.answer import answer_type
from assistant.answer.abstain import decide, with_confidence
from assistant.answer.base import Case
from assistant.answer.compose import written
from assistant.answer.coverage import Profile, TermMatcher, joined_profile_of, profile_of, weighted
from assistant.answer.draft import Block, Draft
from assistant.answer.evidence import Unit
from assistant.answer.features import UnitFacts, opens_with_participle, unit_matrix
from assistant.errors import AssistantError
from assistant.fitted import LinearModel, packaged_model
from assistant.question import references as refs
from assistant.retrieve.acronyms import (
    EXPANSION_SEPARATOR,
    expansion_of,
    spells_out,
    with_expansions,
)
from assistant.retrieve.query import (
    AUXILIARIES,
    META_WORDS,
    STEPS_HEADING_RE,
    Question,
    Term,
    is_plural,
)
from assistant.retrieve.translate import to_english
from assistant.settings import Settings
from assistant.text import YEAR_RE, content_lemmas, detect_language
from assistant.types import Answer

PRESENT_RE = re.compile(r"\b(at present|currently|presently|at the moment|now)\b", re.I)


@dataclass
class Scored:
    unit: Unit
    score: float
    dense: float
    cover: dict[str, float]
    has_need: bool


@dataclass(frozen=True)
class Evidence:
    """What the answerer gets: units near the retrieved passages, their vectors and context."""

    units: list[Unit]
    vectors: np.ndarray  # one row per unit: "heading: sentence"
    question_vector: np.ndarray
    titles: dict[str, str]
    passage_rank: dict[tuple[str, int], int]  # (doc_id, unit index) → rank of the passage holding it
    siblings: dict[str, list[Unit]]  # doc_id → all units of that document (for whole lists and steps)
    acronyms: dict[str, str] = field(default_factory=dict)  # 'WHO' → 'World Health Organization'
    # body → the short names the documents give it ('CIPM' → 'international committee', 'comité international')
    body_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    passage_score: dict[tuple[str, int], float] = field(default_factory=dict)  # the reranker's score of that passage
    max_rank: int = 10  # the rank given to a unit no passage holds (a sibling pulled in for context)
    languages: dict[str, str] = field(default_factory=dict)  # doc_id → language of the document
    # doc_id → how questions name it: dated title, body names, meeting ordinal, month (matched word for word)
    named: dict[str, str] = field(default_factory=dict)
    # The best cosine of the question and a unit of the first stage's top passages (hybrid search), which the
    # off-topic gate reads; None: the units above (no second stage reordered them).
    relevance: float | None = None
    # How the question names a meeting or year the collection has no record of ('30e CGPM'): the documents
    # cannot say what happened there, whatever else they say about it.
    unrecorded: tuple[str, ...] = ()
    # The documents that are the record of the meeting the question names (a body with a meeting or a year).
    referenced: frozenset[str] = frozenset()
    # The numbered items the question names (('recommendation', '3')): a unit of another item of that kind does
    # not answer when one of the named item's does.
    items: frozenset[tuple[str, str]] = frozenset()
    dates: dict[str, str] = field(default_factory=dict)  # doc_id → the document's date (ISO, '' when undated)
    # The asker's own words (a translated question) embedded: what units in the asker's language are compared
    # with too, as the embedder matches a text best in its own language.
    own_vector: np.ndarray | None = None

    def asked(self, q: Question, unit: Unit) -> Question:
        """The question as a quote from ``unit``'s document must cover it (a French quote: its French words)."""
        return q.for_language(self.lang(unit))

    def lang(self, unit: Unit) -> str:
        return self.languages.get(unit.doc_id, "en")


class ExtractiveAnswerer:
    """Scores units against the question, selects, and checks coverage. Pure given its inputs."""

    name = "extractive"

    def __init__(self, settings: Settings, matcher: TermMatcher, model: LinearModel | None = None) -> None:
        self.settings = settings
        self.matcher = matcher
        self._model = model
        self.use_rules = settings.abstention == "rules"

    @property
    def model(self) -> LinearModel:
        """The evidence scorer (given, else the packaged one ``ASSISTANT_EVIDENCE_SCORER`` names)."""
        name = "evidence" if self.settings.evidence_scorer == "fitted" else "evidence-prior"
        model = self._model or packaged_model(name)
        if model is None:
            raise AssistantError(f"The evidence scorer (assistant/data/{name}.json) is missing: "
                                 "reinstall the package or run `python -m evals.fit --model evidence`.")
        return model

    def answer(self, case: Case, *, stream: bool = False) -> Iterator[str | Answer]:
        """The `Answerer` method: the case's draft written out with its citations, as one delta (the whole
        text) then the `Answer`. The draft itself comes from `draft`, one per part of the question."""
        answer = written(case, self.settings)
        yield answer.text
        yield answer

    def draft(self, q: Question, ev: Evidence, context_terms: tuple[Term, ...] = (),
              answer_terms: tuple[Term, ...] = ()) -> Draft:
        """Which units answer ``q`` and how to show them, or why the evidence does not answer it;
        ``context_terms`` are what a pronoun follow-up points back to, ``answer_terms`` the terms of the earlier
        turn's answer (none for a later part of one message)."""
        if not ev.units:
            return Draft(abstained=True, reason="off_topic", lang=q.lang)
        scored = ranked(q, self._score(q, ev), ev, self.settings.other_language_factor)
        best_dense = max(s.dense for s in scored)
        base = Draft(lang=q.lang, relevance=best_dense, need=q.need)
        if (ev.relevance if ev.relevance is not None else best_dense) < self.settings.min_relevance:
            return _abstain(base, "off_topic")
        if ev.unrecorded:
            # A meeting or year the collection holds no record of ('the CCX in 2016') may still be named in
            # another body's record of that year ('admitted … to the CCX' in a record dated 2016).
            named = _unrecorded_terms(q, ev.unrecorded)
            if not (named and any(all(s.cover.get(t.lemma, 0.0) >= 0.5 for t in named)
                                  for s in scored[:self.settings.alternative_depth])):
                base.missing = list(ev.unrecorded)
                return _abstain(base, "missing_terms")
        scored = _of_record(q, scored, ev)
        scored = _of_item(scored, ev)
        scored = _from_named_source(q, scored, ev)
        primary = self._primary(q, scored, ev)
        if primary is None and q.need in TOLERANT_NEEDS and self.settings.tolerate_missing:
            # No unit of the kind asked for covers every key term: one that leaves out a few of many, as any
            # answer may (the check below names them), rather than none.
            primary = self._primary(q, scored, ev, tolerate=self.settings.tolerate_missing)
        if primary is None:
            return _abstain(base, "missing_need")
        blocks = self._select(q, ev, scored, primary)
        draft = self._check(q, ev, scored, blocks, base, context_terms, answer_terms=answer_terms)
        alternative = self._alternative(q, scored, primary, ev) if draft.abstained and not q.need else None
        if alternative is not None:
            base = Draft(lang=q.lang, relevance=best_dense, need=q.need)
            draft = self._check(q, ev, scored, self._select(q, ev, scored, alternative), base, context_terms,
                                answer_terms=answer_terms)
            primary = alternative
        elif draft.abstained and self.settings.tolerate_missing:
            # No unit covers every key term: the leading quote may leave out a few of many, named in the answer.
            base = Draft(lang=q.lang, relevance=best_dense, need=q.need)
            draft = self._check(q, ev, scored, blocks, base, context_terms, tolerate=self.settings.tolerate_missing,
                                answer_terms=answer_terms)
        draft.signals.update(_draft_signals(q, ev, scored, primary))
        model = packaged_model("abstain")
        if model is None:
            return draft
        # The calibrated probability is the answer's support score either way; it decides only when asked to.
        if self.use_rules:
            return with_confidence(draft, model)
        return decide(draft, model, hybrid=self.settings.abstention == "hybrid")

    def _primary(self, q: Question, scored: list[Scored], ev: Evidence, tolerate: int = 0) -> Scored | None:
        """Best unit to lead with: never a bare heading; with the asked-for e-mail/number/date if any (covering
        every key term but at most ``tolerate`` of them, see `_tolerated`)."""
        if q.need:
            return next((s for s in scored if s.has_need and self._tolerated(
                ev.asked(q, s.unit), _unshared(q, _uncovered_keys(q, s, ev), s.cover), tolerate)), None)
        if q.wants_list:
            return next((s for s in scored if s.unit.kind != "heading" or _has_items(s.unit, ev.siblings[s.unit.doc_id])),
                        scored[0])
        # Nor a record's field ('Date: 1999-10-21'): it matches the meeting and year asked, and says nothing else.
        return next((s for s in scored if s.unit.kind != "heading" and not _is_field(s.unit, ev.siblings[s.unit.doc_id])),
                    scored[0])

    # --- scoring -------------------------------------------------------------
    def _score(self, q: Question, ev: Evidence) -> list[Scored]:
        """Each unit's probability of holding the answer, from the fitted evidence model's features."""
        facts = self.facts(q, ev)
        model = self.model
        scores = model.score(unit_matrix(q, facts, model.features))
        return [Scored(f.unit, float(p), f.dense, f.cover, f.has_need) for f, p in zip(facts, scores, strict=True)]

    def facts(self, q: Question, ev: Evidence) -> list[UnitFacts]:
        """What the evidence scorer's features read, one entry per unit (in ``ev.units`` order)."""
        dense = ev.vectors @ ev.question_vector
        if ev.own_vector is not None and q.own is not None:
            own = np.array([ev.lang(u) == q.own.lang for u in ev.units], dtype=bool)
            dense = np.where(own, np.maximum(dense, ev.vectors @ ev.own_vector), dense)
        # One embedding call for every word the coverage checks below may compare (then cached).
        terms = [*q.terms, *(q.own.terms if q.own else ())]
        contexts = [_context_parts(u, ev) for u in ev.units]  # read once, for the prefetch and the covers below
        self.matcher.prefetch([joined_profile_of(c, ev.lang(u)) for u, c in zip(ev.units, contexts, strict=True)],
                              [t for t in terms if not (t.known and t.key)])
        out = []
        count = answer_type.counted(q)
        for unit, d, context in zip(ev.units, dense, contexts, strict=True):
            uq = ev.asked(q, unit)  # in the words of the unit's language
            classes = [t for t in uq.terms if t.lemma in uq.soft]
            kinds = self._named_kinds(uq, unit.text, ev.lang(unit))  # read once, for both covers below
            cover = self._cover(uq, unit, ev, kinds, context)
            profile = profile_of(unit.text, ev.lang(unit))
            text_cover = self.matcher.coverage(uq.terms, profile)
            text_cover |= _raised(text_cover, kinds)
            # A 'which X' answer names an X ('English' for 'languages'); saying 'X' itself is not naming one.
            text_cover |= {t.lemma: 0.0 for t in classes if profile.exact(t)}
            key = (unit.doc_id, unit.index)
            counts = self._counts(uq, count, ev.lang(unit))
            # A record's field ('Reference: Proceedings …, p. 27') labels the record: its figures answer no
            # question for a figure.
            need = answer_type.has_need(q, unit.text, counts) and not (
                q.need == "number" and _is_field(unit, ev.siblings[unit.doc_id]))
            if need and counts is not None:
                # The figure counts the noun asked about, matched by meaning ('journeys' as 'trips'):
                # the coverage check reads that noun as the count check did.
                counted = {_counted_term(uq, count).lemma: 1.0}
                cover = cover | _raised(cover, counted)
                text_cover |= _raised(text_cover, counted)
            out.append(UnitFacts(
                unit, weighted(text_cover, uq.terms), weighted(cover, uq.terms), float(d),
                ev.passage_rank.get(key, ev.max_rank), ev.passage_score.get(key, 0.0),
                need,
                _dated_bonus(uq, unit), _phrase_bonus(uq, unit),
                _heading_bonus(uq, unit), cover, ev.lang(unit) == q.lang,
            ))
        return out

    def _counts(self, q: Question, count: str | None, lang: str) -> answer_type.Counts | None:
        """Whether a stretch of text names the noun ``count`` a 'how many' question counts (in the words of
        ``q``, the question as a quote in ``lang`` must cover it); None when it counts none."""
        term = _counted_term(q, count)
        if term is None:
            return None
        # Matched by meaning too, even a word the corpus uses: 'trips' are counted as 'instances of travel'.
        loose = replace(term, known=False)
        return lambda text: self.matcher.coverage([loose], profile_of(text, lang))[term.lemma] >= 0.5

    def _named_kinds(self, q: Question, text: str, lang: str) -> dict[str, float]:
        """How far ``text`` names an instance of each class noun of a 'which X' question, by meaning: 'English'
        and 'French' for 'languages', even where the corpus uses the word 'language' itself (which
        `TermMatcher` matches literally). Only for a class the question word determines ('which X'), and only
        the text's names are compared, as an instance is named."""
        classes = [replace(t, known=False) for t in q.terms if t.lemma in q.soft]
        if not classes or not WH_DETERMINER_RE.match(q.text):
            return {}  # 'What are the opening hours …?' names no class to give an instance of
        names = " ".join(NAME_WORD_RE.findall(text))
        return self.matcher.coverage(classes, profile_of(names, lang)) if names else {}

    def _cover(self, q: Question, unit: Unit, ev: Evidence, kinds: dict[str, float] | None = None,
               parts: tuple[str, ...] | None = None) -> dict[str, float]:
        """Coverage by the unit, the sentence before it, its heading, its list's lead and its title (its
        `_context_parts`, read here when not given; and, for a 'which X' question, by the unit's names of an X:
        ``kinds``, read here when not given)."""
        parts = _context_parts(unit, ev) if parts is None else parts
        context = "\n".join(parts)
        cover = self.matcher.coverage(q.terms, joined_profile_of(parts, ev.lang(unit)))
        cover |= _raised(cover, self._named_kinds(q, unit.text, ev.lang(unit)) if kinds is None else kinds)
        # The meeting, year, body or month a question names is checked against the document's metadata.
        named = profile_of(ev.named.get(unit.doc_id, ""), ev.lang(unit))
        cover |= {t.lemma: 1.0 for t in q.terms if cover.get(t.lemma, 0.0) < 1.0 and named.exact(t)}
        lowered = context.lower()
        for t in q.terms:
            # 'BIPM' asked, 'International Bureau of Weights and Measures' written: the documents' own expansion.
            names = expansion_of(t.word, ev.acronyms).split(EXPANSION_SEPARATOR)
            if cover.get(t.lemma, 1.0) < 0.5 and any(n and _writes(n, context, ev.lang(unit)) for n in names):
                cover[t.lemma] = 1.0
            # 'CIPM' asked, 'the International Committee' written: a body's short name in the documents.
            if cover.get(t.lemma, 1.0) < 0.5 and any(name in lowered for name in ev.body_names.get(t.word, ())):
                cover[t.lemma] = 1.0
        translated = [t for t in q.terms if t.english and cover.get(t.lemma, 1.0) < 0.5]
        if translated:  # a French record's English label ('Recommendation 1: …') covers 'recommandation'
            profile = joined_profile_of(parts, "en")
            cover |= {t.lemma: 1.0 for t in translated if profile.exact(replace(t, word=t.english, lemma=t.english))}
        if q.lang != "fr" and any(cover.get(t.lemma, 1.0) < 0.5 for t in q.terms) and _in_french(context):
            # An English question's words in a French passage (an old record filed with English documents, a
            # French document): covered by the passage's glossary rendering.
            rendered = joined_profile_of(tuple(_in_english(p) for p in parts), "en")
            cover |= {t.lemma: 1.0 for t in q.terms if cover.get(t.lemma, 0.0) < 0.5 and rendered.exact(t)}
        for *short, head in q.names:
            # 'Physical Metrology Department' is covered by a page titled 'Physical Metrology: …'
            if cover.get(head, 1.0) < 0.5 and " ".join(short) in context:
                cover[head] = 1.0
        # A 'which X' question's class noun may be paraphrased by the quote that names an X ('trophy' ~ 'cup'):
        # matched by meaning, as a word the corpus does not use is.
        classes = [replace(t, known=False) for t in q.terms if t.lemma in q.soft and cover.get(t.lemma, 0.0) < 0.5]
        if classes:
            cover |= self.matcher.coverage(classes, profile_of(unit.text, ev.lang(unit)))
        return _compound_cover(q, unit, ev, cover)

    # --- selection -------------------------------------------------------------
    def _select(self, q: Question, ev: Evidence, scored: list[Scored], primary: Scored) -> list[Block]:
        """The blocks to quote, led by ``primary``'s."""
        blocks = _as_tables(self._blocks(q, ev, scored, primary), ev, self.settings.short_table_rows)
        return _asked_entries(_with_date_field(blocks, ev, q), q)

    def _blocks(self, q: Question, ev: Evidence, scored: list[Scored], primary: Scored) -> list[Block]:
        if q.wants_steps:
            steps = _steps(primary, scored, ev)
            if steps:
                return steps
        named = _named_section(q, scored, ev)
        if named:
            return named
        records = _record_index(primary.unit, ev)
        # Several records asked about by their kind, or a list asked for while no one record leads.
        if records and (_names_records(q, records[0].units[1:]) or (q.wants_list and _is_header(primary.unit))):
            return records
        if q.wants_list:
            lists = _lists_near(primary.unit, scored, ev)
            if lists:  # a record's heading with its fields is not one of them: what it heads is
                lists = _with_continuation(lists, ev, self.settings.short_section_units, self.settings.operative_units)
                return _with_operative(_with_examples(lists, ev), ev, self.settings.operative_units)
            section = self._whole_section(q, ev, primary.unit)
            if section:
                return section
        blocks = _short_section(_whole_when_several(_with_leads(self._sentences(q, scored, primary, ev), ev), ev,
                                                    self.settings.short_list_items, primary.unit,
                                                    self.settings.short_section_units),
                                primary.unit, ev, self.settings.short_section_units)
        blocks = _with_continuation(blocks, ev, self.settings.short_section_units, self.settings.operative_units)
        blocks = _with_table_below(blocks, ev, self.settings.short_section_units)
        blocks = _with_following(_with_antecedent(blocks, ev), ev, self.settings.follow_sentences)
        # A sentence that came with the lead may announce what follows it too ('These three are:').
        blocks = _with_continuation(blocks, ev, self.settings.short_section_units, self.settings.operative_units)
        blocks = _with_examples(blocks, ev)
        return _with_operative(blocks, ev, self.settings.operative_units)

    def _whole_section(self, q: Question, ev: Evidence, unit: Unit) -> list[Block]:
        """'What are the terms and conditions?' names a section: answer with all of it."""
        heading = profile_of(f"{unit.section}\n{ev.titles.get(unit.doc_id, '')}")
        if not unit.section or not all(heading.exact(t) for t in q.hard_terms):
            return []
        body = [u for u in ev.siblings[unit.doc_id] if u.section == unit.section and u.kind == "sent"]
        return [Block("section", tuple(body[:8]))] if len(body) >= 2 else []

    def _sentences(self, q: Question, scored: list[Scored], primary: Scored, ev: Evidence | None = None) -> list[Unit]:
        """The primary unit plus close runners-up (with the asked-for e-mail/number/date, if one was asked), and
        runners-up a little further behind that cover a question word none of the chosen units covers ('Does it
        pay secondees anything?': 'work with scientists …' leads, 'will normally pay an allowance' says the rest),
        and the leading unit's neighbours that say more (`_neighbours`); ``ev`` gives each unit's language."""
        chosen = [primary]
        for s in scored:
            if len(chosen) >= self.settings.max_answer_sentences:
                break
            if s is primary or s.unit.kind == "heading":
                continue
            if s.score < self.settings.runner_up_share * primary.score and not (
                    s.score >= self.settings.complement_share * primary.score and _adds_terms(q, s, chosen)):
                continue
            if q.need and not s.has_need:
                continue
            if any(_near_duplicate(s.unit.text, c.unit.text) for c in chosen):
                continue
            chosen.append(s)
        chosen += self._neighbours(q, scored, primary, chosen, ev)
        order = {c.unit.block: i for i, c in reversed(list(enumerate(chosen)))}
        return [c.unit for c in sorted(chosen, key=lambda c: (order[c.unit.block], c.unit.index))]

    def _neighbours(self, q: Question, scored: list[Scored], primary: Scored, chosen: list[Scored],
                    ev: Evidence | None = None) -> list[Scored]:
        """The sentences or items just before and after the leading one, in its section, each when its own text
        says a question word that no chosen sentence's own text says: the second half of a two-part answer is often
        the leading sentence's neighbour, whatever it scores alone ('… please post the form first …' before 'The
        office will then send a contract …'), in its paragraph or, in a resolution whose clauses are paragraphs
        and items, the clause next to it. Scores read a unit with its context, so they cannot tell this."""
        lead = primary.unit

        def says(unit: Unit) -> set[str]:  # in the unit's language (a French quote: the question's French words)
            asked, lang = (ev.asked(q, unit), ev.lang(unit)) if ev is not None else (q, "en")
            cover = self.matcher.coverage(asked.terms, profile_of(unit.text, lang))
            return {lemma for lemma, value in cover.items() if value >= 0.5}

        beside = [s for s in scored if s.unit.doc_id == lead.doc_id and s.unit.section == lead.section
                  and s.unit.kind in ("sent", "item") and abs(s.unit.index - lead.index) == 1 and s not in chosen
                  and (not q.need or s.has_need)]
        if not beside:  # most answers: no coverage to read
            return []
        said = set().union(*(says(c.unit) for c in chosen))
        added: list[Scored] = []
        for s in beside:
            if len(chosen) + len(added) >= self.settings.max_answer_sentences:
                break
            if (new := says(s.unit) - said) and not any(_near_duplicate(s.unit.text, c.unit.text) for c in chosen):
                added.append(s)
                said |= new
        return added

    # --- coverage check ------------------------------------------------------
    def _check(self, q: Question, ev: Evidence, scored: list[Scored], blocks: list[Block],
               base: Draft, context_terms: tuple[Term, ...], tolerate: int = 0,
               answer_terms: tuple[Term, ...] = ()) -> Draft:
        """The leading quote (a sentence, a whole list or section) must cover every key term itself.

        Every check's outcome is also recorded in ``base.signals`` (named floats), which the fitted
        abstention model reads; the rules below give ``reason`` and ``missing`` for the wording."""
        main = _main_units(blocks, q)
        enough = self.settings.min_coverage
        q = ev.asked(q, main[0])
        classes = q.soft
        if not any(b.style == "list" for b in blocks) and not any(_enumerates(u.text) for u in main):
            q = q.strict()  # 'which airports…' with no list to show: 'airports' must be in the text
        terms = q.hard_terms
        cover = self._main_cover(q, blocks, scored, ev)
        # 'Which laboratory …?' → '… to help the NIS (Egypt)': one X named covers X. (Plural ones ask for a
        # list, which has its own check.)
        singular = {t.lemma for t in terms if t.lemma in classes and cover.get(t.lemma, 0.0) < 0.5 and not is_plural(t)}
        if singular and answer_type.names_new(q.text, main, _other_kind([t for t in terms if t.lemma in singular], ev)):
            cover = cover | dict.fromkeys(singular, 1.0)
        missing = [t for t in terms if cover.get(t.lemma, 0.0) < 0.5]
        base.blocks = blocks
        base.coverage = weighted(cover, terms)
        keys = [t for t in terms if t.key]
        signals = base.signals
        signals["coverage"] = base.coverage
        signals["missing_share"] = len(missing) / max(len(terms), 1)
        signals["missing_weight"] = 1.0 - base.coverage if missing else 0.0
        signals["key_terms"] = float(len(keys))
        signals["list_answer"] = float(any(b.style in ("list", "steps", "section") for b in blocks))
        if context_terms and not any(t.key for t in q.terms):
            missing, base.coverage = [], max(base.coverage, enough)  # 'What is that for?': the referent decides
        if q.need and not any(t.key for t in terms):
            missing, base.coverage = [], max(base.coverage, enough)  # 'Whom do I write to?': the name answers
        if not any(t.key for t in terms) and base.coverage >= enough:
            missing = []  # no noun to anchor on ('Who decides when a rule changes?'): overall cover
        if missing and _shared_out(q, missing, cover, blocks, scored, ev):
            # 'the chairs of the WCC and the GCC': one quote names each
            base.coverage = weighted(cover, [t for t in terms if t not in missing])
            missing = []
        if missing and (answered := _one_alternative(q, missing, cover)) is not None:
            missing = []  # 'Is it an MoU or a formal agreement?': the quote names one of them
            base.coverage = weighted(cover, [t for t in terms if t.lemma not in answered])
        about_referent = bool(context_terms) and self._context_ok(context_terms, main, ev, answer_terms)
        # A follow-up's few words of its own stand on the earlier turn's: its referent's terms count as its key
        # terms when the quote is about that referent.
        backed = keys + [t for t in context_terms if t.key] if about_referent else keys
        if missing and self._tolerated(q, missing, tolerate, backed):
            base.coverage = weighted(cover, [t for t in terms if t not in missing])
            base.partial = [t.word for t in missing]
            missing = []
        signals["rule_coverage"] = base.coverage
        signals["rule_missing"] = float(bool(missing))
        # A follow-up with key nouns of its own ('Which body does it cooperate with on time signals?') is specific.
        context_fail = bool(context_terms) and len(keys) < 2 and not about_referent
        signals["context_fail"] = float(context_fail)
        # Only the noun asked for must be named: a list question's other plural nouns are soft too ('Which
        # colours … for widgets whose handles …' asks for colours, not for handles).
        # An answer that is only records' headings with their fields lists no members: their titles' words are
        # read as any quote's ('Conditions for …' names no condition).
        listed = any(b.style == "list" for b in blocks) and not all(_is_bare_record(b, ev) for b in blocks)
        given = frozenset(re.findall(r"[\w-]+", q.text.lower()))  # the question's own names answer nothing
        unnamed = "" if listed else answer_type.unnamed(_asked_classes(q, classes), main, given)
        signals["unnamed"] = float(bool(unnamed))
        if missing or base.coverage < enough:
            base.missing = [t.word for t in (missing or terms)]
            return _abstain(base, "missing_terms")
        if _is_header(main[0]) and not _dates_meeting(q, main[0]):
            return _abstain(base, "missing_terms")  # only header lines to lead with: they name the meeting
        if context_fail:
            return _abstain(base, "missing_terms")
        if unnamed:
            base.missing = [unnamed]
            return _abstain(base, "unnamed")  # 'Which airports?' → 'the international airports are within reach'
        if _restates_record(q, blocks[0], ev):
            return _abstain(base, "restated")  # 'What did the widget recommendation recommend?' → its heading
        # What an acronym stands for is no product of the work a quote sets ('asked the ABC chair to …'):
        # a quote that spells it out answers.
        if answer_type.outcome_unreported(q.text, main) and not (q.need == "expansion" and answer_type.has_need(q, main[0].text)):
            return _abstain(base, "unreported")  # 'What did the survey find?' → 'the office to run a survey'
        if answer_type.change_unstated(q.text, main):
            return _abstain(base, "unstated")  # 'What change did it approve?' → 'approved the amendment of Rule 14'
        if answer_type.content_unstated(q.text, main):
            return _abstain(base, "unstated_content")  # 'What does the policy require?' → 'approved the policy'
        if years := answer_type.other_year(q.text, main):
            base.missing = list(years)
            return _abstain(base, "other_year")  # 'the 2013 statements' asked, 'the 2012 statements' quoted
        return base

    def _tolerated(self, q: Question, missing: list[Term], tolerate: int, keys: list[Term] | None = None) -> bool:
        """May a quote leave out the ``missing`` key terms: none, or at most ``tolerate`` of many (at least
        ``keys_per_missing`` key terms each), in a question that is not a yes/no question, and none of them a
        figure, a name or the noun asked for?"""
        if not missing:
            return True
        keys = keys if keys is not None else [t for t in q.hard_terms if t.key]
        return (len(missing) <= tolerate and len(keys) >= self.settings.keys_per_missing * len(missing)
                and not YES_NO_RE.search(q.text)
                and not any(_specific(q, t, self.settings.common_name_weight) for t in missing))

    def _main_cover(self, q: Question, blocks: list[Block], scored: list[Scored], ev: Evidence) -> dict[str, float]:
        by_unit = {(s.unit.doc_id, s.unit.index): s.cover for s in scored}
        units = _main_units(blocks, q)
        if all(b.style == "sentences" for b in blocks):
            # Loose sentences: the best of them must answer alone ('travel' from one sentence and 'costs'
            # from another is not an answer about travel costs).
            rank = {(s.unit.doc_id, s.unit.index): i for i, s in enumerate(scored)}
            units = [min(units, key=lambda u: rank.get((u.doc_id, u.index), len(rank)))]
        covers = [by_unit.get((u.doc_id, u.index)) or self._cover(q, u, ev) for u in units]
        cover = _merge(covers)
        # A quote is read in its section: the instrument or topic a question names is often said once in the
        # section ('The gadget shall be stored as follows:' and, items later, 'the shelf is kept below 5 °C'),
        # so a term the section says is not a detail the quote leaves out. Only the check reads this; the scores
        # that chose the quote read the unit and its immediate context.
        missing = [t for t in q.terms if cover.get(t.lemma, 0.0) < 0.5]
        if missing:
            section = _section_words(units[0], ev)
            cover |= {t.lemma: 1.0 for t in missing if section.exact(t)}
        # The words that name where to look ('In the uncertainty report for radiometric thermometry, …') are the
        # document's to say, anywhere in it: the quote need not repeat them.
        named = [t for t in q.terms if t.lemma in q.source and cover.get(t.lemma, 0.0) < 0.5]
        if named:
            document = _document_words(units[0], ev)
            cover |= {t.lemma: 1.0 for t in named if document.exact(t)}
        return cover

    def _alternative(self, q: Question, scored: list[Scored], tried: Scored, ev: Evidence) -> Scored | None:
        """Another strong unit (among the best ``alternative_depth``, from ``alternative_share`` of the best score)
        whose own text covers every key term."""
        top = scored[0].score
        for s in scored[:self.settings.alternative_depth]:
            if s is tried or s.score < self.settings.alternative_share * top or s.unit.kind == "heading":
                continue
            if all(s.cover.get(t.lemma, 0.0) >= 0.5 for t in ev.asked(q, s.unit).strict().hard_terms):
                return s
        return None

    def _context_ok(self, terms: tuple[Term, ...], units: list[Unit], ev: Evidence,
                    answer_terms: tuple[Term, ...] = ()) -> bool:
        """A follow-up's referent (the earlier question or answer) must be what the quote is about: what the
        quote's context says or, when the leading quote's document is the one the earlier answer came from
        (it covers ``answer_terms`` as a context must cover a referent), what that document says."""
        # Each unit with the sentence before it, its heading and title.
        cover = self.matcher.coverage(terms, joined_profile_of(tuple(p for u in units for p in _context_parts(u, ev))))
        share = self.settings.referent_coverage
        about = _refers(cover, terms, share)
        if about or not answer_terms or not units:
            return about
        # A follow-up goes on from the record the earlier answer quoted ('that same meeting', 'from what date',
        # 'the other laboratories'): another of its decisions names the earlier topic only in its document. A
        # quote from a document the answer did not come from gets no such reach ('What is his e-mail address?'
        # is not answered by another director's). Read only when the context falls short: a document is long.
        document = _document_words(units[0], ev)
        if weighted(self.matcher.coverage(answer_terms, document), answer_terms) < share:
            return False
        return _refers(cover | _raised(cover, self.matcher.coverage(terms, document)), terms, share)


def _refers(cover: dict[str, float], terms: tuple[Term, ...], share: float) -> bool:
    """Does ``cover`` show a referent's ``terms``: ``share`` of them by weight, or three in four by count ('who can
    tell me more about that' → the contact named in the earlier answer's topic)?"""
    return weighted(cover, terms) >= share or sum(v >= 0.5 for v in cover.values()) * 4 >= len(terms) * 3


def _raised(cover: dict[str, float], found: dict[str, float]) -> dict[str, float]:
    """The entries of ``found`` above ``cover``'s for the same term (to merge by the higher)."""
    return {lemma: value for lemma, value in found.items() if value > cover.get(lemma, 0.0)}


NAME_WORD_RE = re.compile(r"\b[A-Z][\w'-]*")  # a capitalised word: a name, or a sentence's first word
# 'Which languages …', 'What two bodies …': the question word is the determiner of the class asked for.
WH_DETERMINER_RE = re.compile(rf"^\W*(what|which)\s+(?!(?:{'|'.join(sorted(AUXILIARIES))})\b)", re.I)


def _section_words(unit: Unit, ev: Evidence) -> Profile:
    """The words of ``unit``'s section: its heading and the text of every unit under it."""
    body = _section_text(ev.siblings[unit.doc_id], unit.section)
    return _section_profile(f"{unit.section} {body}", ev.lang(unit))


def _document_words(unit: Unit, ev: Evidence) -> Profile:
    """The words of ``unit``'s document: its title, what it is named as, and the text of every unit of it."""
    body = " ".join(u.text for u in ev.siblings[unit.doc_id])
    return _section_profile(f"{ev.titles.get(unit.doc_id, '')} {ev.named.get(unit.doc_id, '')} {body}", ev.lang(unit))


@lru_cache(maxsize=64)
def _section_profile(text: str, lang: str) -> Profile:
    """A section's words (a long text, read for each question about it: a few kept)."""
    return Profile(text, lang)


def _compounds(q: Question) -> list[tuple[Term, ...]]:
    """Runs of two or more key terms written one after the other in the question ('widget calibration database')."""
    lowered = " ".join(q.text.lower().split())
    runs: list[tuple[Term, ...]] = []
    run: list[Term] = []
    for term in q.terms:
        if run and term.key and f"{' '.join(t.word for t in run)} {term.word}".lower() in lowered:
            run.append(term)
            continue
        if len(run) >= 2:
            runs.append(tuple(run))
        run = [term] if term.key else []
    return [*runs, tuple(run)] if len(run) >= 2 else runs


def _section_text(units: list[Unit], section: str) -> str:
    """The text of a document's units filed under ``section``, in document order."""
    return " ".join(u.text for u in units if u.section == section)


def _writes(name: str, text: str, lang: str) -> bool:
    """Does ``text`` write ``name``, in any number: 'the Gadget Committee chairs' writes 'Gadget Committees'?
    (Its content words' lemmas in a row, the stop words between them aside.)"""
    wanted = content_lemmas(name, lang)
    found = content_lemmas(text, lang)
    n = len(wanted)
    return n > 0 and any(found[i:i + n] == wanted for i in range(len(found) - n + 1))


# Passages whose language and English rendering are kept: about one question's evidence units, a few times
# over (the next question about the same documents reads them again).
PASSAGES_KEPT = 4096


@lru_cache(maxsize=PASSAGES_KEPT)
def _in_french(text: str) -> bool:
    """Is the passage (a unit with its context) in French, whatever its document's language?"""
    return detect_language(text) == "fr"


@lru_cache(maxsize=PASSAGES_KEPT)
def _in_english(text: str) -> str:
    """The glossary's word-by-word English rendering of a French passage, worked out once."""
    return to_english(text)


def _compound_cover(q: Question, unit: Unit, ev: Evidence, cover: dict[str, float]) -> dict[str, float]:
    """A compound's modifiers are covered with its head when the unit's section writes the whole compound, or
    its acronym: a section on 'the widget calibration database' (or filed under 'WCD') calls it 'the database'."""
    for *modifiers, head in _compounds(q):
        missing = [t for t in modifiers if cover.get(t.lemma, 0.0) < 0.5]
        if not missing or cover.get(head.lemma, 0.0) < 0.5 or not unit.section:
            continue
        phrase = " ".join(t.word.lower() for t in (*modifiers, head))
        section = _section_text(ev.siblings[unit.doc_id], unit.section).lower()  # only when a modifier is missing
        acronyms = [a for a, names in ev.acronyms.items()
                    if any(n.lower().endswith(phrase) for n in names.split(EXPANSION_SEPARATOR))]
        if re.search(rf"\b{re.escape(phrase)}", section) or any(re.search(rf"\b{a.lower()}\b", section) for a in acronyms):
            cover |= {t.lemma: 1.0 for t in missing}
    return cover


# A paragraph of at most this many words, with no end mark, introduces what follows it: the operative verb of a
# resolution set on its own line ('**decides**', 'sanctions', 'est d'avis'), read with the clauses under it. So
# does a paragraph of any length that ends with a colon ('decides that the dotation … shall be:' before its table).
INTRO_WORDS = 3
ENTRY_TITLE_WORDS = 20  # a numbered entry's title line is short; a numbered clause with its text is not one
ANAPHOR_WORDS = 3  # words before a pointing-back determiner that still open the text ('The chair of this …')


def _introduction(units: list[Unit], index: int) -> str:
    """The introducing paragraph just before unit ``index`` (short, or ending with a colon), if there is one."""
    if index <= 0:
        return ""
    before = units[index - 1]
    text = before.text.strip()
    short = len(text.split()) <= INTRO_WORDS and text[-1:] not in ".?!"
    return text if before.kind != "heading" and (short or text.endswith(":")) else ""


# 'The members of this panel are: …': a text that opens by pointing back ('this', 'these', 'such', 'ces', …)
# is about what the text before it says, even across a paragraph or list-item break.
ANAPHOR_RE = re.compile(rf"^\W*(?:\S+\s+){{0,{ANAPHOR_WORDS}}}(?:this|these|those|such|ce|cet|cette|ces)\b", re.I)


# 'where x is the …', 'which is the make-up of …': a text that opens with a relative word goes on with the
# sentence before it (a formula, a list of values) that the source set on a line of its own.
RELATIVE_OPENER_RE = re.compile(r"^\W*(?:where|which|whose|wherein|whereby|où|dont)\b", re.I)


def _goes_on_with(unit: Unit, before: Unit) -> bool:
    """Does ``unit`` go on with the sentence of ``before`` (a relative word opens it, not a question's)?"""
    return (before.kind != "heading" and bool(RELATIVE_OPENER_RE.match(unit.text))
            and not unit.text.rstrip().endswith("?"))


def _points_back(unit: Unit, before: Unit) -> bool:
    """Does ``unit`` open by pointing back to ``before`` (not a heading: a section's first text points to
    nothing), or go on with its sentence (a relative word, not a question's)?"""
    return (before.kind != "heading" and bool(ANAPHOR_RE.match(unit.text))) or _goes_on_with(unit, before)


def _captions(before: Unit, unit: Unit) -> bool:
    """Is ``before`` the text a table ``unit`` follows ('decides that the budget be raised to' + its rows)? A
    table's rows hold figures and labels; what they are figures of is said in the paragraph before it."""
    return before.kind not in ("heading", "row") and before.section == unit.section and _is_table(unit)


def _is_table(unit: Unit) -> bool:
    """Is ``unit`` a table's row ('| 5 310 000 gold francs | 1977 |'), or a table written on one line by an older
    ingest ('| … | |---| | … |')?"""
    return unit.text.lstrip().startswith("|")


def _caption(siblings: list[Unit], first: Unit) -> str:
    """The text a table whose first row is ``first`` follows in its section (what its figures are of), or ''."""
    before = siblings[first.index - 1] if first.index > 0 else None
    return before.text if before is not None and _captions(before, first) else ""


def _table_rows(unit: Unit, siblings: list[Unit]) -> tuple[Unit, ...]:
    """All rows of the table ``unit`` is a row of, in order."""
    return tuple(u for u in siblings if u.kind == "row" and u.block == unit.block)


def _size(units: tuple[Unit, ...]) -> int:
    """How many units ``units`` are when each table counts once (as its first row)."""
    return sum(1 for u in units if u.kind != "row" or u.lead is None)


def _as_tables(blocks: list[Block], ev: Evidence, short: int) -> list[Block]:
    """Quoted table rows shown as their table: a run of one table's rows among quoted sentences becomes a
    'table' block under the table's first row (which names the columns), and a table is shown once. It is
    shown whole when it has at most ``short`` rows besides its first, or when only its first row was picked
    (which names columns, not an entry); else the rows picked, under the first."""
    out: list[Block] = []
    at: dict[tuple[str, int], int] = {}  # a table (document, block) → its block in ``out``

    def table(rows: list[Unit]) -> None:
        whole = _table_rows(rows[0], ev.siblings[rows[0].doc_id])
        key = (rows[0].doc_id, rows[0].block)
        if key not in at:
            at[key] = len(out)
            out.append(Block("table", ()))
        picked = {*rows, whole[0], *out[at[key]].units}
        shown = whole if len(whole) - 1 <= short or picked == {whole[0]} else tuple(u for u in whole if u in picked)
        out[at[key]] = Block("table", shown)

    for block in blocks:
        if block.style in ("list", "steps"):
            out.append(block)
            continue
        for table_of, run in groupby(block.units, key=lambda u: (u.doc_id, u.block) if u.kind == "row" else None):
            if table_of is None:
                out.append(Block(block.style, tuple(run)))
            else:
                table(list(run))
    return out


def _context_parts(unit: Unit, ev: Evidence) -> tuple[str, str, str, str, str]:
    """The unit with what it leans on: the unit (with its acronyms' expansions), the sentence before it (or the
    line introducing its paragraph or its list) and the text after it that goes on with its sentence ('which is
    the make-up of …'), its heading, its list's lead, its title."""
    siblings = ev.siblings[unit.doc_id]
    # A table's row leans on the row naming its columns and on the caption before the table, not on the rows
    # beside it (whose words are other entries' words).
    row = unit.kind == "row" and unit.lead is not None
    lead = siblings[unit.lead].text if unit.lead is not None else ""
    if unit.lead is not None:
        lead = f"{_caption(siblings, siblings[unit.lead]) if row else _introduction(siblings, unit.lead)}\n{lead}"
    before = siblings[unit.index - 1] if unit.index > 0 else None
    previous = "" if row else before.text if before is not None and (
        before.block == unit.block or _points_back(unit, before) or _captions(before, unit)) \
        else _introduction(siblings, unit.index)
    after = siblings[unit.index + 1] if unit.index + 1 < len(siblings) else None
    if after is not None and after.block != unit.block and _goes_on_with(after, unit):
        previous = f"{previous}\n{after.text}"
    # The text it leans on is read as the unit is: 'CCM' then '- DFM (Denmark) as a member' is the mass committee's.
    text, previous, lead = (with_expansions(part, ev.acronyms) if part else part for part in (unit.text, previous, lead))
    return text, previous, unit.section, lead, ev.titles.get(unit.doc_id, "")


def _of_record(q: Question, scored: list[Scored], ev: Evidence) -> list[Scored]:
    """When the question names a meeting and that meeting's record covers the question (with an answer of the
    kind asked, unless that is a figure or none), only the record's units answer: what a later text recalls of
    the meeting ('recalling that in 1999 its 12th meeting adopted …') is not what the meeting decided."""
    own = [s for s in scored if s.unit.doc_id in ev.referenced]
    if not own:
        return scored
    named = _meeting_terms(q, scored, ev)
    # A record that covers the question but holds no answer of the kind asked (no date in the 12th meeting's
    # record of what it decided) does not set aside a later text that names the meeting and gives one; a figure,
    # which nearly every text holds, is no sign that a later text answers.
    if any(s.unit.kind != "heading" and (s.has_need or q.need not in TOLERANT_NEEDS) and _covers_key_terms(q, s, ev)
           for s in own):
        # An earlier record that names the meeting in the unit itself says what was planned for it ('The 12th
        # meeting will be hosted by …'), which the meeting's own record may not repeat; a later text only recalls.
        held = min((ev.dates.get(d, "") for d in ev.referenced), default="")
        return [s for s in scored if s.unit.doc_id in ev.referenced or (
            "" < ev.dates.get(s.unit.doc_id, "") < held and _says_the_meeting(named[ev.lang(s.unit)], s, ev))]
    # Else a text outside the record answers only if it names the meeting itself: one that does not cannot
    # pass the coverage check, and leading with it hides the record's own best quote.
    return [s for s in scored if s.unit.doc_id in ev.referenced or _names_the_record(named[ev.lang(s.unit)], s, ev)]


def _from_named_source(q: Question, scored: list[Scored], ev: Evidence) -> list[Scored]:
    """When the question names where to look ('According to the gizmo handbook, …') and the best unit's document
    is not named so, the units of documents whose name (title, or what they are named as) says every word of that
    phrase go first, in their order; ``scored`` is returned as it is when none is, or the best unit's is."""
    if not q.source or not scored:
        return scored

    named: dict[str, bool] = {}  # by document: its name and language are the same for each of its units
    for s in scored:
        if s.unit.doc_id not in named:
            terms = [t for t in ev.asked(q, s.unit).terms if (t.english or t.lemma) in q.source]
            name = profile_of(f"{ev.titles.get(s.unit.doc_id, '')} {ev.named.get(s.unit.doc_id, '')}",
                              ev.lang(s.unit))
            named[s.unit.doc_id] = bool(terms) and all(name.exact(t) for t in terms)
    first = [s for s in scored if named[s.unit.doc_id]]
    if not first or first[0] is scored[0]:
        return scored
    return first + [s for s in scored if not named[s.unit.doc_id]]


def _of_item(scored: list[Scored], ev: Evidence) -> list[Scored]:
    """When the question names a numbered item ('What was Recommendation 3 … about?') and a unit belongs to it,
    the units of other items of that kind ('Recommendation 1: …', in any record of the evidence) are set aside;
    ``scored`` is returned as it is otherwise. Measured per record instead, it answered worse (README)."""
    if not ev.items:
        return scored
    named = [_unit_items(s.unit) for s in scored]
    if not any(items & ev.items for items in named):
        return scored
    kinds = {kind for kind, _ in ev.items}
    # A unit of another item that names the asked one in its own words ('defers action on Decision 7 until …')
    # speaks of it, and stays. A record's header line ('Body: … Date: …') names only the meeting: it goes too.
    return [s for s, items in zip(scored, named, strict=True)
            if items & ev.items or (not {kind for kind, _ in items} & kinds and not _is_header(s.unit))
            or refs.section_items(s.unit.text) & ev.items]


def _unit_items(unit: Unit) -> frozenset[tuple[str, str]]:
    """The numbered items ``unit`` belongs to: its section's, and a heading's own."""
    items = refs.section_items(unit.section)
    return items | refs.section_items(unit.text) if unit.kind == "heading" else items


def _meeting_terms(q: Question, scored: list[Scored], ev: Evidence) -> dict[str, list[Term]]:
    """Per language, the question's terms that name the meeting it asks about (body, ordinal, year)."""
    named: dict[str, list[Term]] = {}
    for s in scored:
        lang = ev.lang(s.unit)
        if lang not in named:
            named[lang] = [t for t in ev.asked(q, s.unit).terms
                           if any(profile_of(ev.named.get(d, ""), lang).exact(t) for d in ev.referenced)]
    return named


def _says_the_meeting(named: list[Term], s: Scored, ev: Evidence) -> bool:
    """Does the unit's own text say every term that names the meeting?"""
    text = profile_of(s.unit.text, ev.lang(s.unit))
    return bool(named) and all(text.exact(t) for t in named)


def _names_the_record(named: list[Term], s: Scored, ev: Evidence) -> bool:
    """Does the unit, in its context or its section, say the terms that name the meeting, as the coverage
    check reads it?"""
    missing = [t for t in named if s.cover.get(t.lemma, 0.0) < 0.5]
    return not missing or all(_section_words(s.unit, ev).exact(t) for t in missing)


# A yes/no question ('Can I …?', 'If I am seconded, will …?', 'Peut-on …?') asks whether what it names holds:
# a quote that leaves out one of its nouns cannot say yes or no to it.
YES_NO_RE = re.compile(r"(?:^\W*|,\s+)(?:(?:and|so|ok|but|et)\W+)?(?:can|could|is|are|was|were|does|do|did|should|"
                       r"may|must|will|would|has|have|est-ce|peut-on|puis-je|faut-il|y a-t-il)\b", re.I)
# The kinds of answer for which a unit of that kind may leave out a key term or two of many (`_tolerated`): not a
# figure, which nearly every unit of these documents holds. Measured on the training sets (README, seventeenth
# session): with figures too, seven 'how many' questions the documents do not answer got some other count.
TOLERANT_NEEDS = frozenset(answer_type.NEED_PATTERNS) - {"number"}

# The words right after 'what' / 'which' / 'how many' (past a verb and an article): what the question asks for
# ('What was the yearly fee …', 'Which bodies …', 'Quel organisme …').
WH_HEAD_RE = re.compile(r"\b(?:what|which|whose|quel(?:le)?s?|how\s+(?:many|much))\s+"
                        r"(?:(?:was|were|is|are|did|does|do)\s+)?(?:(?:the|a|an|its|their|le|la|les|l'|de|des|du)\s+)?"
                        r"((?:[\w'’-]+\s+){0,2}[\w'’-]+)|"
                        # 'who was its treasurer', 'qui en était le président': the role asked for
                        r"\b(?:who|whom|qui)\s+(?:(?:is|was|were|had\s+been|has\s+been|will\s+be|est|était|sont|étaient)\s+)"
                        r"(?:en\s+)?(?:the|its|their|le|la|les|l'|son|sa|ses|leur)\s+([\w'’-]+)|"
                        # a keyword question ('Metre definition, 1927: vote count?'): the words after its colon
                        r":\s+(?!.*\b(?:what|which|who|whom|how|when|where|why|quel\w*|qui|quand|où|combien)\b)"
                        r"((?:[\w'’-]+\s+){0,1}[\w'’-]+)", re.I)


def _specific(q: Question, term: Term, common_weight: float = 0.0) -> bool:
    """A term a quote may not leave out even among many: a figure ('2016', '33'), a name or symbol ('NIST',
    'eV', 'Planck': a capital letter, but for the question's opening word) unless nearly every passage uses it
    (IDF weight below ``common_weight``), or what the question asks for
    (its class noun, the words after 'what' / 'which', the role after 'who was its', the words after a keyword
    question's colon)."""
    word = term.word
    if any(c.isdigit() for c in word):
        return True  # '2016', '33'
    # A name nearly every passage uses (the collection's publisher: 'the ABC's budget') is not one; one the
    # collection never uses has no weight of its own to tell.
    name = any(c.isupper() for c in word[1:]) or (word[:1].isupper() and not q.text.lstrip().startswith(word))
    if name and (term.weight >= common_weight or not term.known):
        return True  # 'NIST', 'eV', 'Planck' (not the question's opening word)
    if term.lemma in q.soft:
        return True
    return word.lower() in {w.lower() for w in re.findall(r"[\w'’-]+", _asked_phrase(q.text))}


def _asked_phrase(text: str) -> str:
    """The words a question asks for: its first ``WH_HEAD_RE`` match ('' when none). A later match is a
    relative clause's ('widgets whose handles …'), not what is asked."""
    first = WH_HEAD_RE.search(text)
    return next(g for g in first.groups() if g) if first else ""


def _asked_classes(q: Question, classes: tuple[str, ...]) -> tuple[str, ...]:
    """The class nouns among the words the question asks for; all of them when it names none that way."""
    asked = _asked_phrase(q.text)
    if not asked:
        return classes
    lemmas = set(content_lemmas(asked, q.lang))
    return tuple(c for c in classes if c in lemmas)


def _counted_term(q: Question, count: str | None) -> Term | None:
    """The term of ``q`` (in its own or its English lemma) that a 'how many' question counts, if any."""
    return next((t for t in q.terms if count in (t.lemma, t.english)), None) if count else None


def _other_kind(asked: list[Term], ev: Evidence) -> Callable[[str], bool]:
    """Is a name of another kind than the ``asked`` class nouns: an acronym whose name in the documents says
    none of them ('Which company …?' → '… approved by the XYZ', where the XYZ is spelled out as a committee)? A
    name the documents do not spell out may be of any kind."""
    def other(name: str) -> bool:
        expansion = expansion_of(name, ev.acronyms)
        return bool(expansion) and not any(profile_of(expansion).exact(t) for t in asked)
    return other


def ranked(q: Question, scored: list[Scored], ev: Evidence, other_language_factor: float) -> list[Scored]:
    """``scored`` best first; for a translated question, a unit in another language than the asker's ranks by
    ``other_language_factor`` of its score (the asker's own language leads when nearly as good)."""
    own = q.own.lang if q.own is not None else None
    return sorted(scored, reverse=True, key=lambda s: s.score * (
        other_language_factor if own is not None and ev.lang(s.unit) != own else 1.0))


def _adds_terms(q: Question, s: Scored, chosen: list[Scored]) -> bool:
    """Does ``s`` cover a question term that none of ``chosen`` covers?"""
    covered = {t.lemma for t in q.terms if any(c.cover.get(t.lemma, 0.0) >= 0.5 for c in chosen)}
    return any(s.cover.get(t.lemma, 0.0) >= 0.5 for t in q.terms if t.lemma not in covered)


def _covers_key_terms(q: Question, s: Scored, ev: Evidence) -> bool:
    """Does the unit, in its context, cover every key term of the question (in the unit's language)?
    A question whose key word is only its answer type ('Whom do I write to?'): then that is the focus."""
    return not _uncovered_keys(q, s, ev)


def _uncovered_keys(q: Question, s: Scored, ev: Evidence) -> list[Term]:
    """The question's key terms (in the unit's language) the unit, in its context, does not cover; the words
    naming where to look are covered by the unit's document, as the coverage check reads them (`_main_cover`)."""
    asked = ev.asked(q, s.unit)
    missing = [t for t in asked.hard_terms if t.key and s.cover.get(t.lemma, 0.0) < 0.5]
    named = [t for t in missing if t.lemma in asked.source and not any(c.isdigit() for c in t.word)]
    if named:  # (a year or number of the source names the record itself: its document's words do not cover it)
        document = _document_words(s.unit, ev)
        missing = [t for t in missing if t not in named or not document.exact(t)]
    return missing


def _unshared(q: Question, missing: list[Term], cover: dict[str, float]) -> list[Term]:
    """``missing`` without the names joined by 'and' that another quote may give, when the unit names one of
    them ('What do ABC and XYZ stand for?' → 'ABC: …'; `_shared_out` checks that the answer names the rest)."""
    if not q.conjuncts or not any(cover.get(lemma, 0.0) >= 0.5 for lemma in q.conjuncts):
        return missing
    return [t for t in missing if t.lemma not in q.conjuncts]


def _unrecorded_terms(q: Question, unrecorded: tuple[str, ...]) -> list[Term]:
    """The question terms of a body and year named with no record ('CCX 2016': 'CCX' and '2016'), which a unit
    of another body's record may cover in its context and its document's metadata; [] when a meeting is named
    by its number ('12th ABC', 'first meeting'): that is answered by its own record alone."""
    words = [w for phrase in unrecorded for w in phrase.split()]
    if not any(YEAR_RE.fullmatch(w) for w in words) or not all(YEAR_RE.fullmatch(w) or w.isupper() for w in words):
        return []
    named = {w.lower() for w in words}
    return [t for t in q.terms if t.word.lower() in named]


def _shared_out(q: Question, missing: list[Term], cover: dict[str, float], blocks: list[Block],
                scored: list[Scored], ev: Evidence) -> bool:
    """Names joined by 'and' that the leading quote names one of, and the answer's other quotes name the
    rest of ('the chairs of the WCC and the GCC': one appointment each)."""
    if not missing or _unshared(q, missing, cover):
        return False  # a missing term that is no such name, or a quote that names none of them
    by_unit = {(s.unit.doc_id, s.unit.index): s.cover for s in scored}
    quoted = _merge([by_unit.get((u.doc_id, u.index), {}) for b in blocks for u in b.units])
    return all(quoted.get(t.lemma, 0.0) >= 0.5 for t in missing)


def _one_alternative(q: Question, missing: list[Term], cover: dict[str, float]) -> frozenset[str] | None:
    """The side of 'X or Y' holding every missing term, when the other side is covered; else None."""
    if q.either is None:
        return None
    gone = {t.lemma for t in missing}
    for side, other in (q.either, q.either[::-1]):
        if gone <= side and any(cover.get(lemma, 0.0) >= 0.5 for lemma in other):
            return side
    return None


def _draft_signals(q: Question, ev: Evidence, scored: list[Scored], primary: Scored) -> dict[str, float]:
    """What the abstention model reads besides the coverage checks: how strong the evidence is."""
    return {
        "primary_score": primary.score, "best_score": scored[0].score, "primary_dense": primary.dense,
        "best_dense": max(s.dense for s in scored),
        "best_passage": max(ev.passage_score.values(), default=0.0),
        "need_asked": float(q.need is not None), "need_met": float(primary.has_need),
    }


def _abstain(draft: Draft, reason: str) -> Draft:
    draft.abstained = True
    draft.reason = reason
    return draft



def _main_units(blocks: list[Block], q: Question | None = None) -> list[Unit]:
    """The leading quote: a whole list, steps or section, or the first sentence that is no record's header
    line ('Body: … Date: … URL: …' says which meeting, not what it did) unless it gives the date ``q`` asks
    for; the first sentence when all are."""
    first = blocks[0]
    if first.style != "sentences":
        return list(first.units)
    return [next((u for u in first.units if not _is_header(u) or (q is not None and _dates_meeting(q, u))),
                 first.units[0])]


def _merge(covers: list[dict[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for cover in covers:
        for key, value in cover.items():
            out[key] = max(out.get(key, 0.0), value)
    return out


def _dated_bonus(q: Question, unit: Unit) -> float:
    """Prefer dated statements (a heading with a year, 'At present …') when the question is about now."""
    years = set(YEAR_RE.findall(unit.section))
    asked = {t.lemma for t in q.terms}
    if years & asked:
        return 1.0
    return 1.0 if q.present and (PRESENT_RE.search(unit.text) or years) else 0.0


def _named_section(q: Question, scored: list[Scored], ev: Evidence) -> list[Block]:
    """A question made only of a section's heading words ('What does the Applied Optics Division do?')."""
    if q.present or q.need:
        return []
    for s in scored[:10]:
        extra = set(content_lemmas(s.unit.section)) - {t.lemma for t in q.terms}
        if s.unit.kind != "heading" and _heading_bonus(q, s.unit) >= 3.0 and len(extra) <= 1:
            body = [u for u in ev.siblings[s.unit.doc_id] if u.section == s.unit.section and u.kind == "sent"]
            return [Block("section", tuple(body[:4]))] if body else []
    return []


def _heading_bonus(q: Question, unit: Unit) -> float:
    """'What does the Applied Optics Division do?' is answered by the section 'About the Applied Optics Division'."""
    keys = [t for t in q.hard_terms if t.key]
    if len(keys) < 2 or not unit.section or unit.kind == "heading":
        return 0.0
    heading = profile_of(unit.section)
    if not all(heading.exact(t) for t in keys):
        return 0.0
    # The heading names everything asked ('What does the Applied Optics Division do?'): its section answers.
    return 3.0 if all(heading.exact(t) for t in q.terms) else 1.0


def _phrase_bonus(q: Question, unit: Unit) -> float:
    """Question terms that stand side by side in the unit too ('Department Director')."""
    lemmas = [t.lemma for t in q.terms]
    pairs = {(a, b) for a, b in zip(lemmas, lemmas[1:], strict=False)}
    if not pairs:
        return 0.0
    seen = content_lemmas(unit.text)
    return 1.0 if pairs & set(zip(seen, seen[1:], strict=False)) else 0.0


def _near_duplicate(a: str, b: str) -> bool:
    wa, wb = set(a.lower().split()), set(b.lower().split())
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > 0.8


def _lists_near(unit: Unit, scored: list[Scored], ev: Evidence) -> list[Block]:
    """Whole lists that answer a 'which …' question: the primary's own list, or lists whose lead scores well."""
    siblings = ev.siblings[unit.doc_id]
    lead_of = {u.lead for u in siblings if u.kind == "item" and u.lead is not None}
    if unit.kind == "heading" and unit.index not in lead_of:
        return []
    score_of = {(s.unit.doc_id, s.unit.index): s.score for s in scored}
    if unit.kind == "item" and unit.lead is not None:
        leads = [unit.lead]
    elif unit.index in lead_of:
        leads = [unit.index]
    else:
        near = [i for i in lead_of if siblings[i].section == unit.section]
        floor = 0.3 * score_of[(unit.doc_id, unit.index)]
        near = [i for i in near if score_of.get((unit.doc_id, i), floor) >= floor]
        if not near:
            return []
        leads = [max(near, key=lambda i: score_of.get((unit.doc_id, i), 0.0))]
        head = [Block("sentences", (unit,))] if unit.index != leads[0] else []
        return head + _whole_lists(leads, siblings)
    best = score_of.get((unit.doc_id, leads[0]), 0.0)
    leads += [i for i in sorted(lead_of) if i not in leads and score_of.get((unit.doc_id, i), 0.0) >= 0.9 * best]
    return _whole_lists(leads[:3], siblings)


def _steps(primary: Scored, scored: list[Scored], ev: Evidence) -> list[Block]:
    """A how-to section ('How to apply') near the top, in document order, as numbered steps."""
    top = scored[0].score
    for s in [primary, *scored[:10]]:
        if STEPS_HEADING_RE.match(s.unit.section) and s.score >= 0.5 * top:
            body = [u for u in ev.siblings[s.unit.doc_id] if u.section == s.unit.section and u.kind == "sent"]
            if len(body) >= 2:
                return [Block("steps", tuple(body[:8]))]
    return []


def _with_leads(units: list[Unit], ev: Evidence) -> list[Block]:
    """A list item quoted alone is shown under the line that introduces its list; when that line was quoted
    already, the list takes its place (a leading sentence that introduces a list still leads). A table's rows
    stay among the sentences: `_as_tables` shows them as their table."""
    blocks: list[Block] = []
    for unit in units:
        if unit.kind == "item" and unit.lead is not None:
            lead = ev.siblings[unit.doc_id][unit.lead]
            if blocks and blocks[-1].style == "list" and blocks[-1].units[0] == lead:
                blocks[-1] = Block("list", (*blocks[-1].units, unit))
                continue
            at = next((i for i, b in enumerate(blocks) if b.style == "sentences" and lead in b.units), None)
            if at is None:
                blocks.append(Block("list", (lead, unit)))
                continue
            quoted = blocks[at].units
            cut = quoted.index(lead)
            blocks[at:at + 1] = [*([Block("sentences", quoted[:cut])] if cut else []), Block("list", (lead, unit)),
                                 *([Block("sentences", quoted[cut + 1:])] if cut + 1 < len(quoted) else [])]
        elif blocks and blocks[-1].style == "sentences":
            blocks[-1] = Block("sentences", (*blocks[-1].units, unit))
        else:
            blocks.append(Block("sentences", (unit,)))
    return blocks


# A record's field ('Date: 2020-09-10', 'Categories: Meetings', 'URL: https://…'), listed under a decision's
# heading: metadata, not one of its clauses. A surface form: a capitalised label of up to three words, a colon.
FIELD_ITEM_RE = re.compile(r"^[A-Z][\w-]*(?: [\w-]+){0,2}: \S")


def _is_field(unit: Unit, siblings: list[Unit]) -> bool:
    """Is ``unit`` a record's field, an item listed right under a heading ('Date: 2020-09-10')?"""
    return (unit.kind == "item" and unit.lead is not None and siblings[unit.lead].kind == "heading"
            and bool(FIELD_ITEM_RE.match(unit.text)))


def _with_date_field(blocks: list[Block], ev: Evidence, q: Question) -> list[Block]:
    """A date asked, and a record's heading quoted with some of its fields: its 'Date:' field is shown too
    ('Reference: Proceedings of the 10th ABC (1954), 1956' dates the printed volume, not the day); a
    meeting's records listed by heading are shown with the header line that dates them."""
    if q.need != "date":
        return blocks
    out = []
    for block in blocks:
        siblings = ev.siblings[block.units[0].doc_id]
        if block.style == "list" and _is_bare_record(block, ev):
            dated = [u for u in siblings if u.lead == block.units[0].index and _is_field(u, siblings)
                     and u.text.startswith("Date:") and u not in block.units]
            if dated:
                block = Block("list", (block.units[0], *sorted((*block.units[1:], *dated), key=lambda u: u.index)))
        out.append(block)
        if block.style == "list" and all(u.kind == "heading" for u in block.units):
            # A meeting's records listed by heading: the header line under the meeting's title dates them.
            header = next((u for u in siblings if _is_header(u) and u.section == block.units[0].text
                           and _dates_meeting(q, u)), None)
            if header is not None and not any(header in b.units for b in blocks):
                out.append(Block("sentences", (header,)))
    return out


def _asked_entries(blocks: list[Block], q: Question) -> list[Block]:
    """A glossary list ('ABC: Association of …', one entry per item) cut to the entries that spell out the
    acronyms an expansion question asks for, under its lead; other blocks as they are. The whole list holds
    every other acronym of the document too."""
    asked = answer_type.asked_acronyms(q)
    if not asked:
        return blocks
    trimmed = []
    for block in blocks:
        items = block.units[1:]
        kept = tuple(u for u in items if any(spells_out(a, u.text) for a in asked))
        trimmed.append(Block(block.style, (block.units[0], *kept)) if block.style == "list" and kept else block)
    return trimmed


def _is_bare_record(block: Block, ev: Evidence) -> bool:
    """Is ``block`` a record's heading shown with its fields only (a list whose every item is a field)?"""
    siblings = ev.siblings[block.units[0].doc_id]
    return block.style == "list" and all(_is_field(u, siblings) for u in block.units[1:])


def _short_section(blocks: list[Block], unit: Unit, ev: Evidence, limit: int) -> list[Block]:
    """Loose sentences from a short structured section (a resolution or decision: an opening, then listed
    premises and operative clauses; a record's field list is not one) become that whole section, as its
    premises and its operative part answer together ('considering …' then 'decides …'); the other sentences
    follow. The coverage check then reads the section as the leading quote."""
    if not limit or not unit.section:
        return blocks
    body = _clauses(ev, unit)
    if _size(body) > limit or not any(u.kind == "item" for u in body):
        return blocks
    inside = set(body)
    # An item shown under its record's heading is one of the record's clauses too (a resolution's premises,
    # listed under its title and fields); any other list keeps its shape.
    if any(b.style != "sentences" and not _clauses_under_record(b, inside, ev) for b in blocks):
        return blocks
    rest = tuple(u for b in blocks for u in b.units if u not in inside and u.kind != "heading")
    return [Block("section", body), *([Block("sentences", rest)] if rest else [])]


def _clauses_under_record(block: Block, clauses: set[Unit], ev: Evidence) -> bool:
    """Is ``block`` a list of some of ``clauses`` led by the heading of their record (one with fields: 'Date:
    …')? A heading without fields leads a plain list, which keeps its shape."""
    lead = block.units[0]
    siblings = ev.siblings[lead.doc_id]
    return (block.style == "list" and lead.kind == "heading" and all(u in clauses for u in block.units[1:])
            and any(u.lead == lead.index and _is_field(u, siblings) for u in siblings))


# A record's header line: several fields in a row ('Body: CCL — … Date: 2001-09-20 URL: https://…').
RECORD_HEADER_RE = re.compile(r"^[A-Z][\w-]*: \S.*\s[A-Z][\w-]*: \S")


def _dates_meeting(q: Question, header: Unit) -> bool:
    """Does a record's header line give the date a date question asks for, in its 'Date:' field ('Body: ABC …
    Date: 2030-04-26 URL: …' for 'On which day did the 16th ABC meet?')?"""
    _, field, value = header.text.partition("Date:")
    return q.need == "date" and bool(field) and answer_type.has_need(q, next(iter(value.split()), ""))


def _is_header(unit: Unit) -> bool:
    return unit.kind == "sent" and bool(RECORD_HEADER_RE.match(unit.text))


def _record_index(unit: Unit, ev: Evidence) -> list[Block]:
    """The headings of a document of bare records (a header line of fields under its title, then decisions
    listed by heading, each with only its fields: 'Recommendation 2: Development of optical comb technology',
    'Date: …', 'Reference: …'), as a list under the heading they sit under, when ``unit`` is one of those
    records, its fields or the header line. [] when the unit is not in such a document, or its records have
    clauses of their own (then the clauses answer), or there is only one record."""
    siblings = ev.siblings[unit.doc_id]
    if unit.kind == "heading":
        record: Unit | None = unit
    elif _is_field(unit, siblings) and unit.lead is not None:  # a field's lead is its record's heading
        record = siblings[unit.lead]
    elif _is_header(unit):
        record = None
    else:
        return []
    above = record.above if record is not None else (*unit.above, unit.section)
    peers = [u for u in siblings if u.kind == "heading" and u.above == above and above]
    if len(peers) < 2 or (record is not None and record not in peers):
        return []
    if any(_clauses(ev, u) or not _has_items(u, siblings) for u in peers):
        return []
    if not any(_is_header(u) and u.section == above[-1] for u in siblings):
        return []  # a glossary's headings with their 'Term: meaning' entries are not records
    parent = next((u for u in siblings if u.kind == "heading" and u.text == above[-1]), None)
    return [Block("list", (parent, *peers))] if parent is not None else []


# 'When …', 'Where …': a record's date and reference answer them.
PARTICULARS_ASKED_RE = re.compile(r"\b(?:when|where|quand|où)\b", re.I)
# 'which meeting …', 'what page …': a noun asked for ('what did …', 'what was …' ask for none).
WH_NOUN_RE = re.compile(rf"\b(what|which)\s+(?!(?:{'|'.join(sorted(AUXILIARIES))})\b)", re.I)
PAGE_REFERENCE_RE = re.compile(r"\bpp?\.\s?\d")  # 'Proceedings …, p. 37': a reference gives a page


def _restates_record(q: Question, block: Block, ev: Evidence) -> bool:
    """Is ``block`` a record's heading with its fields only, whose title says nothing the question does not
    already say ('Recommendation 2: On widget colours' for 'What did the recommendation on widget colours
    recommend?', or an empty title), while the question asks for something besides the record's particulars
    (its number, date, reference, meeting)? Such a record only repeats the question back."""
    if not _is_bare_record(block, ev) or YES_NO_RE.search(q.text) or PARTICULARS_ASKED_RE.search(q.text):
        return False
    heading, fields = block.units[0], block.units[1:]
    kind, colon, title = heading.text.partition(":")
    if not colon:  # a heading without a label ('Acronyms of units') is all title
        kind, title = "", heading.text
    asked = profile_of(q.text, q.lang)
    said = [asked.exact(Term(lemma, lemma, 1.0)) for lemma in content_lemmas(title, q.lang)]
    # The noun a 'what X' question asks for ('What colour values …?' → 'value'); not one naming the heading
    # itself ('What title …?').
    wanted = [w for w in content_lemmas(_asked_phrase(q.text), q.lang) if w not in META_WORDS][-1:] \
        if WH_NOUN_RE.search(q.text) else []
    if not all(said) and not (wanted and 2 * sum(said) >= len(said)
                              and not profile_of(title, q.lang).exact(Term(wanted[0], wanted[0], 1.0))
                              and not answer_type.names_new(q.text, [replace(heading, text=title)])):
        # The title says something new: it may be the answer ('What did it call for?'). Not when the question
        # names the record by most of its title and asks for a noun the title neither names nor gives a new name
        # or figure for ('What colour values went into the colour list?' over 'Updates to the colour list').
        return False
    particulars_text = " ".join([kind, *(u.text for u in fields), *heading.above])
    if PAGE_REFERENCE_RE.search(particulars_text):
        particulars_text += " page"  # 'p. 37' gives a page: 'On which page …?' asks for a particular
    if q.need and answer_type.has_need(q, particulars_text):
        return False  # 'On what date …?': the record's 'Date:' field gives it
    if not WH_NOUN_RE.search(q.text):
        return True  # 'What did the ABC recommend …?', 'What was Recommendation 2 called?': no noun is asked for
    particulars = profile_of(particulars_text, q.lang)
    wanted = content_lemmas(_asked_phrase(q.text), q.lang)
    return not any(particulars.exact(Term(lemma, lemma, 1.0)) for lemma in wanted)


def _names_records(q: Question, records: tuple[Unit, ...]) -> bool:
    """Does ``q`` ask about several of the ``records`` by the noun every one of their headings opens with ('What
    did the recommendations of that meeting cover?' over 'Recommendation 1: …', 'Recommendation 2: …')?"""
    return any(is_plural(t) and all(profile_of(u.text.split(":")[0]).exact(t) for u in records) for t in q.terms)


def _clauses(ev: Evidence, unit: Unit) -> tuple[Unit, ...]:
    """The sentences and items of ``unit``'s section, without its headings and its record's fields."""
    siblings = ev.siblings[unit.doc_id]
    return tuple(u for u in siblings if u.section == unit.section and u.kind != "heading"
                 and not _is_field(u, siblings))


def _introduces(unit: Unit, siblings: list[Unit]) -> bool:
    """The unit announces what comes next: it ends with a colon ('… on the following subjects:'), is a short
    introducing line ('recommends that'), or is a displayed formula whose value follows ('(= 683 lm·W^−1)')."""
    text = unit.text.rstrip()
    after = siblings[unit.index + 1] if unit.index + 1 < len(siblings) else None
    return unit.kind != "heading" and (_colon_ended(unit) or bool(CONJUNCTION_END_RE.search(text))
                                       or _introduction(siblings, unit.index + 1) == text
                                       or (after is not None and _captions(unit, after))
                                       # a sentence that stops before its closing punctuation goes on in the
                                       # next paragraph: a displayed formula ('… is given … as' then 'm_e = …')
                                       or (unit.kind == "sent" and text[-1:].isalpha())
                                       or (after is not None and _goes_on(after))
                                       # a sentence followed by a displayed equation leads into it ('… can be
                                       # calculated from eq-1.' then 'U_2 = 2 sqrt{…}'; '…, i.e.' then 'x = 5 V')
                                       or (unit.kind == "sent" and after is not None
                                           and after.section == unit.section and _displayed_equation(after, siblings))
                                       # a numbered entry's title line ('2.4. Gizmo molecule …, component
                                       # b_2.') heads the paragraph after it, as a heading would
                                       or _entry_title(unit, siblings))


# '1.8. ', '2.1 ', 'A.3.': the number of an entry in a numbered list of entries, opening its line.
ENTRY_NUMBER_RE = re.compile(r"^(?:\d+|[A-Z])(?:\.\d+)+\.?(?:\s|$)")


def _entry_title(unit: Unit, siblings: list[Unit]) -> bool:
    """Is ``unit`` the short title line of a numbered entry ('2.4. Gizmo molecule …, component b_2.'), the
    number opening it or split off before it as a sentence of its own?"""
    if unit.kind != "sent" or len(unit.text.split()) > ENTRY_TITLE_WORDS:
        return False
    before = siblings[unit.index - 1] if unit.index > 0 else None
    numbered = before is not None and before.block == unit.block and bool(ENTRY_NUMBER_RE.match(before.text.strip()))
    return numbered or bool(ENTRY_NUMBER_RE.match(unit.text))


# '(= 683 lm·W^−1 in standard air).', '≈ L(λ) …': a paragraph opening with an equals or approximation sign is the
# rest of the displayed formula before it (its value, its next step).
EQUATION_GOES_ON_RE = re.compile(r"^\s*\(?\s*[=≈]")


EQUATION_WORDS = 20  # a displayed equation is a short line; a sentence with '=' in it is prose


def _displayed_equation(unit: Unit, siblings: list[Unit]) -> bool:
    """Is ``unit`` an equation set on a line of its own ('2e / h = 483597.848416984 GHz/V'): a paragraph of one
    short unit with an equals sign between spaces, not ending as a sentence does?"""
    alone = all(u.block != unit.block for u in siblings[max(unit.index - 1, 0):unit.index + 2] if u is not unit)
    text = unit.text.rstrip()
    return (unit.kind == "sent" and alone and " = " in text and len(text.split()) <= EQUATION_WORDS
            and not text.endswith((".", ":", "?")))


def _goes_on(unit: Unit) -> bool:
    """Does ``unit`` open as the continuation of the formula before it?"""
    return bool(EQUATION_GOES_ON_RE.match(unit.text))


# '… on the WTO Committee on Technical Barriers to Trade, and': a clause cut off at its conjunction goes on.
CONJUNCTION_END_RE = re.compile(r"\s(?:and|or|et|ou)$", re.I)


def _with_continuation(blocks: list[Block], ev: Evidence, short: int, operative: int) -> list[Block]:
    """A quoted unit announcing what follows, without it, goes on with it: the list that unit leads, or else the
    next paragraph of its section (for a list item ending with a colon, the items after it in its list, up to
    ``short``). A sentence block is first cut after each such unit, so what it announces comes right after it.
    'recommends that' or 'appointed the following:' quoted alone says nothing, nor does a record's heading with
    its fields ('Date: …'): that one goes on with the clauses of its section, all of them when there are at most
    ``short``, else its opening and operative clauses (at most ``operative``), not its premises. A unit is quoted
    once."""
    out: list[Block] = []
    shown = {u for b in blocks for u in b.units}
    for block in _split_after_introductions(blocks, ev):
        out.append(block)
        last = block.units[-1]
        siblings = ev.siblings[last.doc_id]
        if _is_bare_record(block, ev):
            body = tuple(u for u in _clauses(ev, last) if u not in shown)
            if _size(body) > short:
                body = tuple(u for u in body if not opens_with_participle(u.text))[:operative + 1]
            if body:
                out.append(Block("sentences", body))
                shown |= set(body)
            continue
        if not _introduces(last, siblings):
            continue
        if _has_items(last, siblings):
            items = tuple(u for u in siblings if u.kind == "item" and u.lead == last.index and u not in shown)
            if items:
                rest = block.units[:-1]
                out[-1:] = [*([Block(block.style, rest)] if rest else []), Block("list", (last, *items))]
                shown |= set(items)
            continue
        after = siblings[last.index + 1] if last.index + 1 < len(siblings) else None
        if after is not None and after.kind == "row" and after.section == last.section and after not in shown:
            rows = tuple(u for u in _table_rows(after, siblings) if u not in shown)  # 'decides to add:' + a table
            out.append(Block("table", rows))
            shown.update(rows)
        elif after is not None and after.kind != "heading" and after.section == last.section and after not in shown:
            run = [after]
            # A formula shown after the announcing unit goes on with its value ('… = K · V' then '(= 683 …)').
            while run[-1].index + 1 < len(siblings) and _goes_on(nxt := siblings[run[-1].index + 1]) \
                    and nxt.section == last.section and nxt not in shown:
                run.append(nxt)
            if last.kind == "item" and after.kind == "item" and _colon_ended(last):
                # An item announcing the items after it in its own list: a nested list, read flat ('- the
                # fee shall be:' then '- 30 euros in 2020', '- 31 euros in 2021'); up to ``short`` of them.
                for nxt in siblings[after.index + 1:after.index + short]:
                    if nxt.kind != "item" or nxt.lead != last.lead or nxt in shown:
                        break
                    run.append(nxt)
            out.append(Block("sentences", tuple(run)))
            shown.update(run)
    return out


# 'The gizmo sizes tabulated below …', 'given in the table below', 'les valeurs ci-dessous': a text pointing to
# what follows it further on.
POINTS_BELOW_RE = re.compile(r"\b(?:below|ci-dessous|ci-après)\b", re.I)


def _with_table_below(blocks: list[Block], ev: Evidence, within: int) -> list[Block]:
    """A quoted sentence pointing to a table below it ('The sizes listed below were agreed') goes on with that
    table: the first one among the next ``within`` units of its section, past a caption or a note between."""
    out: list[Block] = []
    shown = {u for b in blocks for u in b.units}
    for block in blocks:
        out.append(block)
        for unit in block.units:
            if unit.kind != "sent" or _is_table(unit) or not POINTS_BELOW_RE.search(unit.text):
                continue
            siblings = ev.siblings[unit.doc_id]
            later = [u for u in siblings[unit.index + 1:unit.index + 1 + within] if u.section == unit.section]
            table = next((u for u in later if _is_table(u)), None)
            if table is not None and table not in shown:
                rows = _table_rows(table, siblings) if table.kind == "row" else (table,)
                out.append(Block("table" if table.kind == "row" else "sentences", rows))
                shown.update(rows)
    return out


def _split_after_introductions(blocks: list[Block], ev: Evidence) -> list[Block]:
    """Sentence blocks cut after each unit that announces what follows and is not followed by it, so that what
    it announces can go on right after it ('… complemented by its work in:' then its items), not after the
    sentences quoted with it."""
    out: list[Block] = []
    for block in blocks:
        if block.style != "sentences":
            out.append(block)
            continue
        run: list[Unit] = []
        for unit, after in zip(block.units, (*block.units[1:], None), strict=True):
            run.append(unit)
            follows = after is not None and after.doc_id == unit.doc_id and after.index == unit.index + 1
            if after is not None and not follows and _introduces(unit, ev.siblings[unit.doc_id]):
                out.append(Block(block.style, tuple(run)))
                run = []
        if run:
            out.append(Block(block.style, tuple(run)))
    return out


def _in_paragraph(unit: Unit, ev: Evidence, step: int) -> Unit | None:
    """The sentence ``step`` units after ``unit`` (before it when negative), if it is a sentence of the same
    paragraph."""
    siblings = ev.siblings[unit.doc_id]
    index = unit.index + step
    near = siblings[index] if 0 <= index < len(siblings) else None
    return near if near is not None and near.kind == "sent" and near.block == unit.block else None


INLINE_ITEM_RE = re.compile(r"(?:^|[\s:;,])\((?:[a-h]|[ivx]{1,4}|[1-9])\)\s", re.I)


def _enumerates(text: str) -> bool:
    """Does the sentence enumerate inline ('(a) …; (b) …')?"""
    return len(INLINE_ITEM_RE.findall(text)) >= 2


def _colon_ended(unit: Unit) -> bool:
    return unit.text.rstrip().endswith(":")


def _with_following(blocks: list[Block], ev: Evidence, count: int) -> list[Block]:
    """The leading sentence of loose sentences is quoted with up to ``count`` sentences that follow it in its
    paragraph, in order, until one is not a sentence of that paragraph or is quoted already. A sentence is
    read in its paragraph: the figure or the second half of what was asked often comes in the next sentence
    ('A gizmo fee is charged each year.' → 'It is 30 euros for members.'). Blocks that are lists, steps or
    sections are left as they are; a unit is quoted once."""
    if not count or not blocks or blocks[0].style != "sentences":
        return blocks
    lead = blocks[0].units[0]
    shown = {u for b in blocks for u in b.units}
    following: list[Unit] = []
    for step in range(1, count + 1):
        after = _in_paragraph(lead, ev, step)
        if after is None or after in shown:
            break
        following.append(after)
    if not following:
        return blocks
    first = blocks[0].units
    return [Block("sentences", (first[0], *following, *first[1:])), *blocks[1:]]


# 'For example, …', 'Par exemple, …': a sentence that opens by illustrating the one before it.
EXAMPLE_OPENER_RE = re.compile(r"^\W*(?:for example|for instance|e\.\s?g\.|par exemple)\b", re.I)


def _with_examples(blocks: list[Block], ev: Evidence) -> list[Block]:
    """Each quoted loose sentence is followed by the next sentence of its paragraph when that one opens with an
    example ('For example, …'): the example is what the rule quoted covers, and a question often asks for it.
    Lists, steps and sections are left as they are; a unit is quoted once."""
    shown = {u for b in blocks for u in b.units}
    out = []
    for block in blocks:
        if block.style != "sentences":
            out.append(block)
            continue
        units = []
        for unit in block.units:
            units.append(unit)
            after = _in_paragraph(unit, ev, 1)
            if after is not None and after not in shown and EXAMPLE_OPENER_RE.match(after.text):
                units.append(after)
                shown.add(after)
        out.append(Block("sentences", tuple(units)))
    return out


# 'Ce n'est qu'en 1960 que …' ('It was only in 1960 that …'): a French cleft's 'ce' points at nothing before it.
CLEFT_RE = re.compile(r"^\W*ce\s+n['’]est\b", re.I)


def _with_antecedent(blocks: list[Block], ev: Evidence) -> list[Block]:
    """A leading loose sentence that opens by pointing back ('This implies …', 'Cela a eu pour effet …') is
    quoted after the sentence it points back to, when that sentence is a sentence of the same paragraph:
    without it the quote says nothing the reader can check, and what it points to is often what was asked. A
    leading list's items are read likewise, against the item before them in their list."""
    if blocks and blocks[0].style == "list":
        return [_with_item_antecedents(blocks[0], ev), *blocks[1:]]
    if not blocks or blocks[0].style != "sentences":
        return blocks
    lead = blocks[0].units[0]
    before = _in_paragraph(lead, ev, -1)
    shown = {u for b in blocks for u in b.units}
    if before is None or before in shown or not _points_back(lead, before) or CLEFT_RE.match(lead.text):
        return blocks
    return [Block("sentences", (before, *blocks[0].units)), *blocks[1:]]


def _with_item_antecedents(block: Block, ev: Evidence) -> Block:
    """A leading list's item that opens by pointing back ('considering that this effect …') is shown after the
    item of its list it points back to ('considering that the temperature … depends on …'), as a loose sentence
    is after the sentence before it (`_with_antecedent`)."""
    siblings = ev.siblings[block.units[0].doc_id]
    units = list(block.units)
    for unit in block.units[1:]:
        before = siblings[unit.index - 1] if unit.kind == "item" and unit.index > 0 else None
        if (before is not None and before.kind == "item" and before.lead == unit.lead and before not in units
                and _points_back(unit, before)):
            units.insert(units.index(unit), before)
    return Block(block.style, tuple(units))


def _with_operative(blocks: list[Block], ev: Evidence, limit: int) -> list[Block]:
    """A quoted block whose clauses are all premises of a structured section ('considering …') is followed by
    the operative clauses of that section that come after them ('decides …'): a premise says why, and what
    was decided is what a reader asked about, or needs beside the why. A unit is quoted once."""
    if not limit:
        return blocks
    out: list[Block] = []
    shown: set[Unit] = set()
    for block in blocks:
        units = tuple(u for u in block.units if u not in shown)
        if not units:
            continue
        out.append(Block(block.style, units))
        shown |= set(units)
        siblings = ev.siblings[units[-1].doc_id]
        # A record's fields listed with its premises ('Date: …', 'DOI: …') are neither premise nor decision.
        clauses = [u for u in units if u.kind == "item" and not _is_field(u, siblings)] or list(units)
        last = units[-1]
        if not last.section or not all(opens_with_participle(u.text) for u in clauses):
            continue  # a premise opens with a participle ('considering …', 'recalling …')
        following = [u for u in _clauses(ev, last)
                     if u.index > last.index and not opens_with_participle(u.text) and u not in shown]
        for extra in _operative_blocks(following, limit):
            out.append(extra)
            shown |= set(extra.units)
    return out


def _operative_blocks(clauses: list[Unit], limit: int) -> list[Block]:
    """The first ``limit`` operative clauses, in order: plain clauses as sentences, and a clause that leads a
    list ('remarks that this accuracy' → '- can be …', '- allows …') as a list with all its items, which do not
    count against the limit."""
    blocks: list[Block] = []
    taken: set[Unit] = set()
    count = 0
    for unit in clauses:
        if count >= limit:
            break
        if unit in taken:
            continue
        count += 1
        items = tuple(u for u in clauses if u.kind == "item" and u.lead == unit.index)
        if items:
            blocks.append(Block("list", (unit, *items)))
        elif blocks and blocks[-1].style == "sentences":
            blocks[-1] = Block("sentences", (*blocks[-1].units, unit))
        else:
            blocks.append(Block("sentences", (unit,)))
        taken |= {unit, *items}
    return blocks


def _whole_when_several(blocks: list[Block], ev: Evidence, short: int, leading: Unit | None = None,
                        led: int = 0) -> list[Block]:
    """Two or more items of one list were picked: the question is about the list, so show all of it. So too for
    one item of a list of at most ``short`` items announced by a colon ('elected the following:'): the items
    answer together, and a question about one of them often asks about its neighbours ('the Secretary and the
    Vice-President'); and, up to ``led`` items, when that colon's line is the ``leading`` unit: the answer is
    what it announces ('will contact the agency for:'), not only the item that scored best. A record's fields
    ('Date: …', 'Categories: …') are one list too: one of them shows them all, up to ``short``."""
    out = []
    for block in blocks:
        lead = block.units[0]
        fields = len(block.units) > 1 and _is_bare_record(block, ev)
        if block.style == "list" and (len(block.units) > 2 or _colon_ended(lead) or fields):
            whole = _whole_lists([lead.index], ev.siblings[lead.doc_id])[0]
            items = len(whole.units) - 1
            if len(block.units) > 2 or items <= short or (lead == leading and items <= led):
                block = whole
        out.append(block)
    return out


def _has_items(unit: Unit, units: list[Unit]) -> bool:
    return any(u.kind == "item" and u.lead == unit.index and u.doc_id == unit.doc_id for u in units)


def _whole_lists(leads: list[int], siblings: list[Unit]) -> list[Block]:
    return [
        Block("list", (siblings[lead], *[u for u in siblings if u.kind == "item" and u.lead == lead]))
        for lead in leads
    ]
