"""Gate: no eval question is quoted in src/ or tests/.

Tests must exercise the mechanism with sentences written for them, and product code must not carry a
question it was tuned on (issue #13). The questions (and the user turns of their histories) come from every
question set under evals/; each is compared after normalisation (case-folded, split into words, so a change
of case, punctuation or line breaks does not hide a quote):

- a question of ``MIN_WORDS`` or more words is flagged wherever its word sequence occurs, and so is a
  near-verbatim copy: a run of at least ``NEAR_SHARE`` of its words (and at least ``NEAR_MIN_WORDS``),
  e.g. the question without its trailing "at the BIPM";
- a shorter question (e.g. a two-word keyword query) is flagged only when it stands alone between quote
  marks, as a string literal or a quoted example in a comment, since its words alone are common phrasing.

Reads files only; no model, no index.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Every question set lives in evals/ (a new set is moved there, and frozen, before it is scored).
QUESTION_SETS = sorted((ROOT / "evals").rglob("*.jsonl"))
SCANNED = [
    *sorted((ROOT / "src").rglob("*.py")),
    *sorted((ROOT / "tests").rglob("*.py")),
    *sorted((ROOT / "src" / "assistant" / "data").glob("*.tsv")),
    *sorted((ROOT / "src" / "assistant" / "data").glob("*.json")),
]
# Below this many words a question is ordinary phrasing ("shelf colour") unless quoted on its own.
MIN_WORDS = 4
# A run this long of a longer question's words is a copy of it, not a sentence that happens to share words.
NEAR_SHARE = 0.7
NEAR_MIN_WORDS = 7

_WORD = re.compile(r"\w+")
# A backslash escape inside a string literal ("\nWho ...") must not glue its letter onto the next word.
_ESCAPE = re.compile(r"\\[ntr]")
_QUOTE = "'\"`\u2018\u2019\u201c\u201d\u00ab\u00bb"


def words(text: str) -> tuple[str, ...]:
    """The case-folded word sequence of ``text``; punctuation and whitespace only separate words."""
    return tuple(w.casefold() for w in _WORD.findall(_ESCAPE.sub(" ", text)))


def _shown(path: Path) -> str:
    """``path`` relative to the repo."""
    return str(path.relative_to(ROOT))


def eval_questions() -> dict[tuple[str, ...], str]:
    """Normalised question -> ``set:line`` of its first occurrence, over questions and user history turns."""
    found: dict[tuple[str, ...], str] = {}
    for path in QUESTION_SETS:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            texts = [row["question"]]
            texts += [t["content"] for t in row.get("history") or [] if t.get("role") == "user"]
            for text in texts:
                for key in (words(text), without_opening(words(text))):
                    if key:
                        found.setdefault(key, f"{_shown(path)}:{n}")
    return found


# A follow-up's opening conjunction ('And which …?', 'Et quelle …?') is not part of what a copy keeps.
OPENINGS = frozenset({"and", "et", "but", "mais", "so", "also", "then"})


def without_opening(key: tuple[str, ...]) -> tuple[str, ...]:
    """``key`` without a leading conjunction (unchanged when it has none)."""
    return key[1:] if key[:1] and key[0] in OPENINGS else key


def run_needed(n_words: int) -> int:
    """How many consecutive words of an ``n_words`` question make a quote of it."""
    return min(n_words, max(NEAR_MIN_WORDS, math.ceil(NEAR_SHARE * n_words)))


Runs = dict[tuple[str, ...], list[tuple[tuple[str, ...], str]]]


def quotable_runs(questions: dict[tuple[str, ...], str]) -> Runs:
    """Every word run that counts as a copy of a ``MIN_WORDS``+ question, keyed by its first words."""
    by_head: Runs = defaultdict(list)
    for key, origin in questions.items():
        if len(key) >= MIN_WORDS:
            size = run_needed(len(key))
            for start in range(len(key) - size + 1):
                run = key[start : start + size]
                by_head[run[:MIN_WORDS]].append((run, origin))
    return by_head


def long_quotes(text: str, questions: dict[tuple[str, ...], str], runs: Runs | None = None) -> Iterator[tuple[int, str]]:
    """(offset, origin) of each (near-)verbatim copy of a question of ``MIN_WORDS``+ words in ``text``."""
    by_head = quotable_runs(questions) if runs is None else runs
    cleaned = _ESCAPE.sub("  ", text)  # same length, so offsets stay true
    matches = list(_WORD.finditer(cleaned))
    tokens = [m.group().casefold() for m in matches]
    for i in range(len(tokens) - MIN_WORDS + 1):
        for run, origin in by_head.get(tuple(tokens[i : i + MIN_WORDS]), ()):
            if tuple(tokens[i : i + len(run)]) == run:
                yield matches[i].start(), origin


def short_quotes(text: str, questions: dict[tuple[str, ...], str]) -> Iterator[tuple[int, str]]:
    """(offset, origin) of each shorter question standing alone between quote marks in ``text``."""
    for key, origin in questions.items():
        if len(key) >= MIN_WORDS:
            continue
        # Words apart by a space (not only a hyphen): 'fellowship-eligibility' is an identifier, not a quote.
        body = r"[^\w\s]*\s+[^\w\s]*".join(re.escape(w) for w in key)
        pattern = rf"[{_QUOTE}][^\w{_QUOTE}]*{body}[^\w{_QUOTE}]*[{_QUOTE}]"
        for m in re.finditer(pattern, text, flags=re.IGNORECASE):
            yield m.start(), origin


def offending(paths: list[Path]) -> list[str]:
    """``file:line`` lines, one per quoted eval question, naming the set it comes from."""
    questions = eval_questions()
    runs = quotable_runs(questions)
    report = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        hits = {*long_quotes(text, questions, runs), *short_quotes(text, questions)}
        lines = sorted({(text.count("\n", 0, offset) + 1, origin) for offset, origin in hits})
        report += [f"{path.relative_to(ROOT)}:{line}: quotes {origin}" for line, origin in lines]
    return report


def test_the_gate_reads_the_question_sets() -> None:
    questions = eval_questions()
    assert len(QUESTION_SETS) >= 3
    assert len(questions) >= 300
    assert sum(len(k) >= MIN_WORDS for k in questions) >= 250


def test_a_follow_up_quoted_without_its_opening_and_is_caught(tmp_path: Path, monkeypatch) -> None:
    made_up = tmp_path / "evals" / "made-up.jsonl"
    made_up.parent.mkdir()
    made_up.write_text(json.dumps({"question": "And how many crates fit there?"}) + "\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "QUESTION_SETS", [made_up])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    text = 'ask("How many crates fit there?")'
    assert [origin for _, origin in long_quotes(text, eval_questions())] == ["evals/made-up.jsonl:1"]


def test_normalisation_sees_through_case_punctuation_and_line_breaks(tmp_path: Path) -> None:
    question = words("How many crates, in total, fit on the third shelf?")
    questions = {question: "made-up:1", words("crate colour"): "made-up:2"}
    for variant in [
        'ask("How many crates, in total, fit on the third shelf?")',
        "# how many crates in total fit on the third shelf",
        '("How many crates, in total, "\n    "fit on the THIRD shelf")',
        'q = "\\nHow many crates in total fit on the third shelf ?"',
    ]:
        assert {o for _, o in long_quotes(variant, questions)} == {"made-up:1"}, variant
    assert not list(long_quotes("How many crates fit on the third shelf?", questions))
    # Near-verbatim: the question without its last words is still a copy; a shared opening is not.
    assert {o for _, o in long_quotes('"How many crates, in total, fit on the?"', questions)} == {"made-up:1"}
    assert not list(long_quotes("How many crates, in total, are there?", questions))
    assert [o for _, o in short_quotes("x = 'Crate colour?'", questions)] == ["made-up:2"]
    assert [o for _, o in short_quotes("# e.g. \u201ccrate colour\u201d", questions)] == ["made-up:2"]
    assert not list(short_quotes('"What is the crate colour?"', questions))
    assert not list(short_quotes("# the crate colour is listed", questions))
    assert not list(short_quotes('CATEGORIES = ("crate-colour", "shelf")', questions))


def test_no_eval_question_in_src_or_tests() -> None:
    report = offending(SCANNED)
    assert not report, f"{len(report)} eval question(s) quoted:\n" + "\n".join(report)
