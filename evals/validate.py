"""Validate evals/gold.jsonl against the corpus: ``python -m evals.validate``.

Exit status 1 (listing every offender) when a quote no longer occurs in corpus/,
an id repeats, a field is missing/mistyped/unknown, an answerable item lacks
facts or quotes, an unanswerable item has facts or quotes, or a fact group has
no phrasing occurring anywhere in the corpus (an extractive answer could then
never match it).
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from evals.gold import CATEGORIES, OPTIONAL_FIELDS, REQUIRED_FIELDS, read_raw
from evals.textmatch import group_present, text_has_quote

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_QUOTES = 3


def strip_front_matter(text: str) -> str:
    """Drop a leading ``---`` YAML front-matter block."""
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[end + 4:]
    return text


def load_corpus(corpus_dir: Path | Sequence[Path]) -> dict[str, str]:
    """Body text of every .txt/.md file under ``corpus_dir`` (one folder or several), keyed by path."""
    dirs = [Path(corpus_dir)] if isinstance(corpus_dir, (str, Path)) else [Path(d) for d in corpus_dir]
    files = sorted(p for d in dirs for p in d.rglob("*") if p.suffix in {".txt", ".md"})
    return {str(p): strip_front_matter(p.read_text(encoding="utf-8")) for p in files}


def _is_str_list(value: object, allow_empty: bool = True) -> bool:
    return (isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)
            and (allow_empty or bool(value)))


def check_types(raw: dict, categories: tuple[str, ...] | None = CATEGORIES) -> list[str]:
    """Problems with field presence and types of one item (``categories``: the allowed names; None: any)."""
    problems = [f"missing field '{k}'" for k in REQUIRED_FIELDS if k not in raw]
    unknown = set(raw) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS)
    problems += [f"unknown field '{k}'" for k in sorted(unknown)]
    for key in ("id", "category", "question"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            problems.append(f"'{key}' must be a non-empty string")
    if categories is not None and isinstance(raw.get("category"), str) and raw["category"] not in categories:
        problems.append(f"unknown category '{raw['category']}'")
    if "answerable" in raw and not isinstance(raw["answerable"], bool):
        problems.append("'answerable' must be true or false")
    facts = raw.get("facts", [])
    if not (isinstance(facts, list) and all(_is_str_list(g, allow_empty=False) for g in facts)):
        problems.append("'facts' must be a list of non-empty lists of non-empty strings")
    if not _is_str_list(raw.get("quotes", [])):
        problems.append("'quotes' must be a list of non-empty strings")
    if "notes" in raw and not isinstance(raw["notes"], str):
        problems.append("'notes' must be a string")
    return problems + check_history(raw.get("history", []))


def check_history(history: object) -> list[str]:
    """Problems with the optional chat history."""
    if not isinstance(history, list):
        return ["'history' must be a list"]
    for turn in history:
        if not (isinstance(turn, dict) and turn.get("role") in ("user", "assistant")
                and isinstance(turn.get("content"), str) and set(turn) == {"role", "content"}):
            return ["'history' turns must be {role: user|assistant, content: str}"]
    return []


def check_answerability(raw: dict) -> list[str]:
    """Answerable items need facts and 1-3 quotes; unanswerable ones neither."""
    facts, quotes = raw.get("facts"), raw.get("quotes")
    if not isinstance(facts, list) or not isinstance(quotes, list):
        return []
    if raw.get("answerable") is True:
        out = [] if facts else ["answerable item has no facts"]
        if not 1 <= len(quotes) <= MAX_QUOTES:
            out.append(f"answerable item needs 1-{MAX_QUOTES} quotes (has {len(quotes)})")
        return out
    if raw.get("answerable") is False:
        return (["unanswerable item has facts"] if facts else []) + (
            ["unanswerable item has quotes"] if quotes else [])
    return []


def check_against_corpus(raw: dict, corpus: dict[str, str]) -> list[str]:
    """Quotes must occur verbatim; each fact group must be matchable in the corpus."""
    full = "\n".join(corpus.values())
    problems = []
    for quote in raw.get("quotes") or []:
        if isinstance(quote, str) and not any(text_has_quote(quote, t) for t in corpus.values()):
            problems.append(f"quote not found in corpus: {quote!r}")
    for group in raw.get("facts") or []:
        if _is_str_list(group, allow_empty=False) and not group_present(group, full):
            problems.append(f"no phrasing of fact group occurs in corpus: {group!r}")
    return problems


# The seed-page sets report per category of the project's list; other question files (the corpus-extra
# training and blind sets) may name their own categories, as `assistant eval` allows.
LISTED_CATEGORY_SETS = frozenset({"gold", "holdout", "dev", "blind"})


def validate(gold_path: Path, corpus_dir: Path | Sequence[Path]) -> list[str]:
    """Return a list of problems (empty when the gold set is valid)."""
    categories = CATEGORIES if Path(gold_path).stem in LISTED_CATEGORY_SETS else None
    corpus = load_corpus(corpus_dir)
    if not corpus:
        return [f"no corpus files found in {corpus_dir}"]
    rows = read_raw(Path(gold_path))
    if not rows:
        return [f"{gold_path}: gold set is empty"]
    problems: list[str] = []
    ids: Counter[str] = Counter()
    for lineno, raw in rows:
        if not isinstance(raw, dict):
            problems.append(f"line {lineno}: not a JSON object ({raw})")
            continue
        label = f"line {lineno} [{raw.get('id', '?')}]"
        if isinstance(raw.get("id"), str):
            ids[raw["id"]] += 1
        found = check_types(raw, categories) + check_answerability(raw) + check_against_corpus(raw, corpus)
        problems += [f"{label}: {p}" for p in found]
    problems += [f"duplicate id '{i}' ({n} times)" for i, n in ids.items() if n > 1]
    return problems


def summary(gold_path: Path) -> str:
    """One-line counts of the gold set (per category, follow-ups, unanswerable)."""
    rows = [r for _, r in read_raw(Path(gold_path)) if isinstance(r, dict)]
    cats = Counter(r.get("category") for r in rows)
    hist = sum(1 for r in rows if r.get("history"))
    unans = sum(1 for r in rows if r.get("answerable") is False)
    per = ", ".join(f"{c}={n}" for c, n in sorted(cats.items(), key=lambda kv: str(kv[0])))
    return f"{len(rows)} items ({unans} unanswerable, {hist} with history): {per}"


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m evals.validate", description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=REPO_ROOT / "evals" / "gold.jsonl")
    parser.add_argument("--corpus", type=Path, action="append", default=None,
                        help="corpus folder (repeatable; default corpus/)")
    args = parser.parse_args(argv)
    problems = validate(args.gold, args.corpus or [REPO_ROOT / "corpus"])
    for p in problems:
        print(p)
    if problems:
        print(f"FAIL: {len(problems)} problem(s) in {args.gold}")
        return 1
    print(f"OK: {summary(args.gold)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
