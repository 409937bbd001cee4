"""What an answerer decides, before it is written out: the units to quote and how, or why it abstains."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.evidence import Unit
from assistant.types import Passage


@dataclass(frozen=True)
class Block:
    """Units rendered together: 'sentences', a 'list' (lead + items), 'steps' or a 'table' (its rows)."""

    style: str
    units: tuple[Unit, ...]


@dataclass
class Draft:
    blocks: list[Block] = field(default_factory=list)
    abstained: bool = False
    # 'off_topic' | 'missing_terms' | 'missing_need' | 'unnamed' | 'unreported' | 'unstated' | 'unstated_content' |
    # 'restated' | 'other_year' | 'empty_index'
    reason: str = ""
    missing: list[str] = field(default_factory=list)
    need: str | None = None
    coverage: float = 0.0
    relevance: float = 0.0
    lang: str = "en"
    partial: list[str] = field(default_factory=list)  # sub-questions left unanswered
    signals: dict[str, float] = field(default_factory=dict)  # named checks the abstention model reads
    confidence: float | None = None  # the abstention model's probability that the quotes answer

    @property
    def units(self) -> list[Unit]:
        return [u for b in self.blocks for u in b.units]


def merged(drafts: list[tuple[Draft, list[Passage]]], parts: list[str]) -> tuple[Draft, list[Passage]]:
    """One draft for a question asked in ``parts`` (each drafted alone, with its passages, in order): the
    quotes of the parts the documents answer, in order and without repeats, and the parts they do not
    answer in ``partial``; the first part's draft when none is answered."""
    answered = [(d, p) for d, p in drafts if not d.abstained]
    if not answered:
        return drafts[0]
    out = answered[0][0]
    for d, _ in answered[1:]:
        seen = {(u.doc_id, u.index) for u in out.units}
        for block in d.blocks:
            fresh = tuple(u for u in block.units if (u.doc_id, u.index) not in seen)
            # A list or steps block is shown whole or not at all; loose sentences may lose repeats.
            if fresh and (block.style == "sentences" or len(fresh) == len(block.units)):
                out.blocks.append(Block(block.style, fresh))
        out.coverage = min(out.coverage, d.coverage)
    out.partial = [text.rstrip(" ?") for (d, _), text in zip(drafts, parts, strict=True) if d.abstained]
    return out, [p for _, ps in answered for p in ps]
