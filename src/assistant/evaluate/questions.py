"""Question files: the data model, loading, and the line-by-line check of a question file.

One JSON object per line (blank lines are skipped)::

    {"id": "q1", "question": "Who signs a secondment agreement?", "answerable": true,
     "facts": [["Director", "Dr Stock"]], "quotes": ["verbatim text"], "doc": "corpus/x.md"}

Required: ``id``, ``question``, ``answerable`` (true/false) and, when answerable, ``facts`` (one or more
groups of alternative phrasings). Optional: ``category`` (default "general"), ``quotes``, ``history``,
``notes``, ``doc`` (path of the document holding the answer; its tail is matched against sources).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

CATEGORIES: tuple[str, ...] = (
    "secondment-eligibility", "secondment-terms", "secondment-languages-experience",
    "secondment-2026", "secondment-apply", "department", "liaison-institutional",
    "liaison-joint-committees", "liaison-rmo", "liaison-time", "liaison-mou",
    "liaison-general", "followup", "french", "list", "procedure", "unanswerable",
)  # the categories of the project's own sets (evals/); other question files may use any name
REQUIRED_FIELDS: tuple[str, ...] = ("id", "category", "question", "answerable", "facts", "quotes")
OPTIONAL_FIELDS: tuple[str, ...] = ("history", "notes", "doc")
DEFAULT_CATEGORY = "general"
DRAFT_HINT = ("a draft from `assistant log export --to-eval`: set \"answerable\" to true (and fill \"facts\") "
              "or false, then run again")


class QuestionFileError(ValueError):
    """A question file that cannot be scored; ``problems`` lists "line N [id]: what is wrong"."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = Path(path), problems
        super().__init__(f"{path}: {len(problems)} problem(s)\n" + "\n".join(problems))


@dataclass(frozen=True)
class GoldItem:
    """One question with what a correct answer must contain."""

    id: str
    category: str
    question: str
    answerable: bool
    facts: list[list[str]]
    quotes: list[str]
    history: list[dict[str, str]] = field(default_factory=list)
    notes: str = ""
    doc: str = ""

    @classmethod
    def from_dict(cls, raw: dict) -> GoldItem:
        """Build an item from a parsed JSON object (assumed valid, see ``check_item``)."""
        return cls(
            id=raw["id"], category=raw.get("category") or DEFAULT_CATEGORY, question=raw["question"],
            answerable=raw["answerable"], facts=[list(g) for g in raw.get("facts") or []],
            quotes=list(raw.get("quotes") or []), history=list(raw.get("history") or []),
            notes=raw.get("notes", ""), doc=raw.get("doc") or "",
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


def _str_lists(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)


def check_item(raw: dict) -> list[str]:
    """What is wrong with one question object (empty when it can be scored)."""
    known = {"id", "category", "question", "answerable", "facts", "quotes", *OPTIONAL_FIELDS}
    problems = [f"unknown field '{k}'" for k in sorted(set(raw) - known)]
    problems += [f"missing field '{k}'" for k in ("id", "question", "answerable") if k not in raw]
    for key in ("id", "question"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            problems.append(f"'{key}' must be a non-empty string")
    for key in ("category", "notes", "doc"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            problems.append(f"'{key}' must be a string")
    answerable = raw.get("answerable")
    if "answerable" in raw and answerable is None:
        problems.append(f"'answerable' is null: {DRAFT_HINT}")
    elif "answerable" in raw and not isinstance(answerable, bool):
        problems.append("'answerable' must be true or false")
    facts = raw.get("facts") or []
    if not (isinstance(facts, list) and all(_str_lists(g) and g for g in facts)):
        problems.append("'facts' must be a list of non-empty lists of non-empty strings")
    elif answerable is True and not facts:
        problems.append("an answerable question needs at least one fact group in 'facts'"
                        + (f" ({DRAFT_HINT})" if "draft" in str(raw.get("notes", "")) else ""))
    elif answerable is False and facts:
        problems.append("an unanswerable question must have no 'facts'")
    if not _str_lists(raw.get("quotes") or []):
        problems.append("'quotes' must be a list of non-empty strings")
    history = raw.get("history") or []
    if not (isinstance(history, list) and all(
            isinstance(t, dict) and set(t) == {"role", "content"} and t["role"] in ("user", "assistant")
            and isinstance(t["content"], str) for t in history)):
        problems.append("'history' must be a list of {\"role\": \"user\"|\"assistant\", \"content\": str}")
    return problems


def load_questions(path: Path) -> list[GoldItem]:
    """Every question of ``path``; raises QuestionFileError naming each bad line and what is wrong."""
    try:
        rows = read_raw(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionFileError(path, [f"cannot read: {exc}"]) from None
    problems: list[str] = []
    seen: set[str] = set()
    for lineno, raw in rows:
        if isinstance(raw, json.JSONDecodeError):
            problems.append(f"line {lineno}: not valid JSON ({raw.msg} at column {raw.colno})")
            continue
        if not isinstance(raw, dict):
            problems.append(f"line {lineno}: not a JSON object")
            continue
        found = check_item(raw)
        if isinstance(raw.get("id"), str):
            if raw["id"] in seen:
                found.append(f"duplicate id '{raw['id']}'")
            seen.add(raw["id"])
        problems += [f"line {lineno} [{raw.get('id', '?')}]: {p}" for p in found]
    if not rows:
        problems.append("no questions in the file")
    if problems:
        raise QuestionFileError(path, problems)
    return [GoldItem.from_dict(raw) for _, raw in rows]  # type: ignore[arg-type]


def load_gold(path: Path) -> list[GoldItem]:
    """Load the project's gold set; raises ValueError on unparsable lines."""
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
