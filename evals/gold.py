"""Gold-set data model and loading."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES: tuple[str, ...] = (
    "secondment-eligibility", "secondment-terms", "secondment-languages-experience",
    "secondment-2026", "secondment-apply", "department", "liaison-institutional",
    "liaison-joint-committees", "liaison-rmo", "liaison-time", "liaison-mou",
    "liaison-general", "followup", "french", "list", "procedure", "unanswerable",
)
REQUIRED_FIELDS: tuple[str, ...] = ("id", "category", "question", "answerable", "facts", "quotes")
OPTIONAL_FIELDS: tuple[str, ...] = ("history", "notes")


@dataclass(frozen=True)
class GoldItem:
    """One gold question."""

    id: str
    category: str
    question: str
    answerable: bool
    facts: list[list[str]]
    quotes: list[str]
    history: list[dict[str, str]] = field(default_factory=list)
    notes: str = ""

    @classmethod
    def from_dict(cls, raw: dict) -> GoldItem:
        """Build an item from a parsed JSON object (assumed valid)."""
        return cls(
            id=raw["id"], category=raw["category"], question=raw["question"],
            answerable=raw["answerable"], facts=[list(g) for g in raw["facts"]],
            quotes=list(raw["quotes"]), history=list(raw.get("history") or []),
            notes=raw.get("notes", ""),
        )


def read_raw(path: Path) -> list[tuple[int, object]]:
    """(line number, parsed JSON or the JSONDecodeError) for each non-blank line."""
    rows: list[tuple[int, object]] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append((lineno, json.loads(line)))
        except json.JSONDecodeError as exc:
            rows.append((lineno, exc))
    return rows


def load_gold(path: Path) -> list[GoldItem]:
    """Load the gold set; raises ValueError on unparsable lines."""
    items = []
    for lineno, raw in read_raw(path):
        if not isinstance(raw, dict):
            raise ValueError(f"{path}:{lineno}: not a JSON object")
        items.append(GoldItem.from_dict(raw))
    return items


def select(items: list[GoldItem], category: str | None = None, limit: int | None = None) -> list[GoldItem]:
    """Filter by category and keep at most ``limit`` items."""
    chosen = [i for i in items if category is None or i.category == category]
    return chosen[:limit] if limit is not None else chosen
