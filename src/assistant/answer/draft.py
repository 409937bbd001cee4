"""What an answerer decides, before it is written out: the units to quote and how, or why it abstains."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.answer.evidence import Unit
from assistant.types import Passage


@dataclass(frozen=True)
class Block:
    """Units rendered together: 'sentences', a 'list' (lead + items) or 'steps'."""

    style: str
    units: tuple[Unit, ...]


@dataclass
class Draft:
    blocks: list[Block] = field(default_factory=list)
    abstained: bool = False
    reason: str = ""  # 'off_topic' | 'missing_terms' | 'missing_need' | 'unnamed' | 'empty_index'
    missing: list[str] = field(default_factory=list)
    need: str | None = None
    coverage: float = 0.0
    relevance: float = 0.0
    closest: list[Passage] = field(default_factory=list)
    lang: str = "en"
    partial: list[str] = field(default_factory=list)  # sub-questions left unanswered
    signals: dict[str, float] = field(default_factory=dict)  # named checks the abstention model reads
    confidence: float | None = None  # the abstention model's probability that the quotes answer

    @property
    def units(self) -> list[Unit]:
        return [u for b in self.blocks for u in b.units]
