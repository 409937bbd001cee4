"""Write a draft out as answer text with [n] markers and numbered, verifiable citations."""

from __future__ import annotations

import re
import time

from assistant.answer.abstain import support, support_score, support_weights
from assistant.answer.base import Case
from assistant.answer.draft import Draft
from assistant.answer.evidence import Unit
from assistant.retrieve.corpus import CorpusView
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage

NEED_WORDS = {
    "en": {"email": "an e-mail address", "phone": "a phone number", "number": "a figure",
           "date": "a date", "duration": "a duration",
           "expansion": "the full name", "person": "a person's name",
           "eligibility": "who may apply"},
    "fr": {"email": "d'adresse électronique", "phone": "de numéro de téléphone", "number": "de chiffre",
           "date": "de date", "duration": "de durée",
           "expansion": "le nom complet", "person": "de nom de personne",
           "eligibility": "les conditions pour postuler"},
}
CLOSEST_SHOWN = 2  # top passages an abstention offers to read instead
FRENCH_LEAD = "D'après les documents (cités en anglais, langue de la source) :\n\n"
FRENCH_LEAD_FR = "D'après les documents :\n\n"  # every quote is from a French document
FRENCH_LEAD_MIXED = "D'après les documents (en partie cités en anglais, langue de la source) :\n\n"
YEAR_HEADING_RE = re.compile(r"\b(19|20)\d\d\b")


class Citations:
    """Numbers quoted spans in order of first use; one citation per contiguous span."""

    def __init__(self, corpus: CorpusView, passages: list[Passage]) -> None:
        self.corpus = corpus
        self.passages = passages
        self.items: list[Citation] = []

    def cite(self, units: list[Unit], score: float) -> int:
        doc = self.corpus.documents[units[0].doc_id]
        start, end = min(u.start for u in units), max(u.end for u in units)
        for c in self.items:
            if c.doc_id == doc.doc_id and c.start == start and c.end == end:
                return c.n
        p_start, p_end = self._passage_span(doc.doc_id, start, end)
        self.items.append(Citation(
            n=len(self.items) + 1, title=doc.title, source=doc.source, text=doc.text[p_start:p_end],
            quote=doc.text[start:end], score=round(score, 4), doc_id=doc.doc_id, start=start, end=end,
            section=units[0].section, date=doc.date, page=_page(doc.meta.get("pages"), start),
        ))
        return len(self.items)

    def _passage_span(self, doc_id: str, start: int, end: int) -> tuple[int, int]:
        """The retrieved chunk around the quote, widened to hold all of it."""
        for p in self.passages:
            c = p.chunk
            if c.doc_id == doc_id and c.start <= end and start <= c.end:
                return min(c.start, start), max(c.end, end)
        return start, end


def _page(pages: object, offset: int) -> int | None:
    if not isinstance(pages, list) or not pages:
        return None
    page = None
    for number, start in pages:
        if start <= offset:
            page = number
    return page


def written(case: Case, settings: Settings) -> Answer:
    """The case's draft written out as the extractive `Answer` (what every other answerer falls back on)."""
    t0 = time.perf_counter()
    draft = case.draft
    text, citations = compose(draft, case.corpus, case.passages, who_to_ask(settings, draft.lang))
    timings = {**case.timings, "compose_ms": (time.perf_counter() - t0) * 1000}
    return Answer(
        text=text, abstained=draft.abstained, citations=tuple(citations),
        support=support(draft, settings.partial_coverage), support_score=support_score(draft, support_weights()),
        stamp=case.stamp, timings=timings, question=case.asked,
    )


def who_to_ask(settings: Settings, lang: str) -> str:
    """The line an abstention ends with, in the language of the question (French when one is set)."""
    return settings.who_to_ask_fr if lang == "fr" and settings.who_to_ask_fr else settings.who_to_ask


def compose(draft: Draft, corpus: CorpusView, passages: list[Passage], who_to_ask: str) -> tuple[str, list[Citation]]:
    """Answer text and its citations; abstentions name what is missing and offer the closest passages."""
    cites = Citations(corpus, passages)
    if draft.abstained:
        return _abstention(draft, cites, passages[:CLOSEST_SHOWN], who_to_ask), cites.items
    parts = [_render_block(block.style, list(block.units), cites) for block in draft.blocks]
    text = "\n\n".join(p for p in parts if p)
    dated = _dated_note(draft, corpus)
    if dated:
        text += f"\n\n{dated}"
    if draft.partial:
        text += "\n\n" + _partial_note(draft)
    if draft.lang == "fr":
        text = _french_lead(draft, corpus) + text
    return text, cites.items


def _french_lead(draft: Draft, corpus: CorpusView) -> str:
    """How a French answer introduces its quotes: whether they are French, English or both."""
    languages = {corpus.documents[u.doc_id].language == "fr" for u in draft.units if u.doc_id in corpus.documents}
    if languages == {True}:
        return FRENCH_LEAD_FR
    return FRENCH_LEAD_MIXED if languages == {True, False} else FRENCH_LEAD


def _render_block(style: str, units: list[Unit], cites: Citations) -> str:
    """One block's text: a 'list' (its lead, then '- item' lines), 'steps' (numbered), a 'table' (its rows) or
    'sentences' (run on, each with its own marker)."""
    if style == "list":
        n = cites.cite(units, 1.0)
        lead, items = units[0], units[1:]
        return f"{lead.text} [{n}]\n" + "\n".join(f"- {u.text}" for u in items)
    if style == "steps":
        return "\n".join(f"{i}. {u.text} [{cites.cite([u], 1.0)}]" for i, u in enumerate(units, start=1))
    if style == "table":  # rows line by line; rows next to each other in the document are one quote
        runs: list[list[Unit]] = []
        for u in units:
            if runs and u.index == runs[-1][-1].index + 1:
                runs[-1].append(u)
            else:
                runs.append([u])
        return "\n".join("\n".join(u.text for u in run) + f" [{cites.cite(run, 1.0)}]" for run in runs)
    text = ""  # sentences, section: run on, but a table's row quoted among them keeps a line of its own
    for i, (u, group) in enumerate(_groups(units)):
        sep = "" if not i else "\n" if u.kind == "row" or units[i - 1].kind == "row" else " "
        text += f"{sep}{u.text} [{cites.cite(group, 1.0)}]"
    return text


def _groups(units: list[Unit]) -> list[tuple[Unit, list[Unit]]]:
    """Each sentence cites its own span, so every sentence carries its own marker."""
    return [(u, [u]) for u in units]


def _dated_note(draft: Draft, corpus: CorpusView) -> str:
    """Time-bound statements say where they come from: a section whose heading, or a marked heading above it
    ('12th CGPM, 1964 › Resolution 6'), names a year, or any part of a meeting's record (its title names the
    meeting), each under its own document's title."""
    places: dict[str, list[str]] = {}
    for unit in draft.units:
        doc = corpus.documents.get(unit.doc_id)
        if doc is None:
            continue
        reference = corpus.references.get(unit.doc_id)
        meeting = reference is not None and reference.meeting is not None and bool(reference.bodies)
        # '12th CGPM, 1964 › Resolution 6': the year may be said by a heading above the quote's (not the title)
        dated = unit.section if YEAR_HEADING_RE.search(unit.section) else next(
            (h for h in reversed(unit.above) if YEAR_HEADING_RE.search(h) and h != doc.title), "")
        if dated or meeting:  # a body's meeting, not a '9th edition'
            sections = places.setdefault(unit.doc_id, [])
            name = f"{dated} › {unit.section}" if dated and dated != unit.section else unit.section
            if name and name not in sections:
                sections.append(name)
    if not places:
        return ""
    french = draft.lang == "fr"
    parts = []
    for doc_id, sections in places.items():
        title = corpus.documents[doc_id].title
        where = ", ".join(f"« {n} »" if french else f"“{n}”" for n in sections)
        into = f"« {title} »" if french else f"“{title}”"
        parts.append((f"sous {where} dans {into}" if french else f"under {where} in {into}") if sections
                     else (f"dans {into}" if french else f"in {into}"))
    if french:
        return f"(Information datée : elle figure {' ; '.join(parts)}.)"
    return f"(This is a dated statement: it appears {'; '.join(parts)}.)"


def _partial_note(draft: Draft) -> str:
    """What the quotes leave unanswered: a part of the question, or a word of it they do not cover."""
    asked = "; ".join(draft.partial)
    if draft.lang == "fr":
        return f"Non couvert par ces citations : {asked}"
    return f"Not answered by these quotes: {asked}"


def _abstention(draft: Draft, cites: Citations, closest_passages: list[Passage], who_to_ask: str) -> str:
    fr = draft.lang == "fr"
    if draft.reason == "missing_need" and draft.need:
        what = NEED_WORDS["fr" if fr else "en"][draft.need]
        head = f"Les documents ne donnent pas {what} pour cela." if fr else f"The documents don't give {what} for this."
    elif draft.reason == "missing_terms" and draft.missing:
        terms = ", ".join(f"“{m}”" for m in draft.missing[:4])
        head = (f"Les documents ne disent rien sur {terms}." if fr
                else f"The documents don't say anything about {terms} in this context.")
    elif draft.reason == "unnamed" and draft.missing:
        what = draft.missing[0]
        head = (f"Les documents mentionnent « {what} » sans les nommer." if fr
                else f"The documents mention “{what}” but do not name them.")
    elif draft.reason == "unreported":
        head = ("Les documents disent que cela a été demandé ou prévu, pas ce qui en est résulté." if fr
                else "The documents say this was asked for or planned, not what came of it.")
    elif draft.reason == "unstated":
        head = ("Les documents disent que ce changement a été approuvé, pas en quoi il consiste." if fr
                else "The documents say this change was approved, not what it was.")
    elif draft.reason == "unstated_content":
        head = ("Les documents disent que ce texte a été approuvé, pas ce qu'il contient." if fr
                else "The documents say this text was approved, not what it says.")
    elif draft.reason == "restated":
        head = ("Les documents ne donnent de ce texte que son titre, pas ce qu'il contient." if fr
                else "The documents give only this text's title, not what it says.")
    elif draft.reason == "other_year" and len(draft.missing) == 2:
        asked, quoted = draft.missing
        head = (f"Les documents donnent cela pour {quoted}, pas pour {asked}." if fr
                else f"The documents give this for {quoted}, not for {asked}.")
    elif draft.reason == "empty_index":
        head = "The index holds no documents yet: run `assistant ingest`."
    else:
        head = "Les documents ne traitent pas de cette question." if fr else "The documents don't cover this question."
    closest = [cites.cite([_passage_unit(p)], p.score) for p in closest_passages]
    lines = [head]
    if closest:
        refs = " ".join(f"[{n}]" for n in closest)
        lines.append(f"Passages les plus proches : {refs}" if fr else f"Closest passages: {refs}")
    if who_to_ask:
        lines.append(who_to_ask)
    return "\n\n".join(lines)


def _passage_unit(p: Passage) -> Unit:
    c = p.chunk
    return Unit(c.doc_id, -1, "passage", c.text, c.start, c.end, c.section, -1)
