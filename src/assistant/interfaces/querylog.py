"""The opt-in query log (``ASSISTANT_QUERY_LOG=1``): what was asked, and how it was answered, as JSON lines.

Written by the interfaces (``assistant ask``, the chat, the HTTP API), not by `Assistant` itself: a program
using the Python API decides for itself what to record. One line per question::

    {"id": <answer id>, "time", "interface": "cli"|"chat"|"http", "question", "history", "filters",
     "answer", "abstained", "support", "support_score", "citations": [{"doc_id", "source", "start", "end",
     "section"}], "stamp", "timings", "total_ms"}

and, when a person rates that answer in the chat, ``{"id", "time", "ref": <answer id>, "feedback": {"rating"}}``
or ``{..., "feedback": {"comment"}}``: the file is only ever appended to. No IP address, user name or login is
recorded. The file lives in the index folder and is rotated by size (``ASSISTANT_QUERY_LOG_MAX_MB``, keeping
``ASSISTANT_QUERY_LOG_KEEP`` older files). `to_eval_drafts` turns it into a draft question file for
``assistant eval``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from assistant.errors import AssistantError
from assistant.settings import Settings
from assistant.types import Answer

log = logging.getLogger(__name__)
DRAFT_CATEGORY = "from-log"


class QueryLog:
    """Appends query and feedback records to ``path``, rotating it past ``max_bytes``; thread- and process-safe."""

    def __init__(self, path: Path, max_bytes: int, keep: int) -> None:
        self.path, self.max_bytes, self.keep = Path(path), max_bytes, keep
        self._lock = FileLock(str(self.path) + ".lock", timeout=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryLog | None:
        """The log the settings ask for, or None when logging is off (the default)."""
        if not settings.query_log:
            return None
        return cls(settings.query_log_file, int(settings.query_log_max_mb * 1e6), settings.query_log_keep)

    def question(self, interface: str, question: str, history: list[dict[str, str]] | None,
                 filters: dict[str, str] | None, answer: Answer, total_ms: float) -> str:
        """Record one answered question; returns its answer id (the key feedback refers to)."""
        record = {
            "interface": interface, "question": question, "history": list(history or []),
            "filters": dict(filters or {}), "answer": answer.text, "abstained": answer.abstained,
            "support": answer.support, "support_score": round(answer.support_score, 4),
            "citations": [{"n": c.n, "doc_id": c.doc_id, "source": c.source, "start": c.start, "end": c.end,
                           "section": c.section} for c in answer.citations],
            "stamp": answer.stamp.to_dict() if answer.stamp else None,
            "timings": {k: round(v, 1) for k, v in answer.timings.items()}, "total_ms": round(total_ms, 1),
        }
        return self._append(record)

    def feedback(self, answer_id: str, **feedback: str) -> str:
        """Attach a rating (``rating="up"``) or a comment (``comment="..."``) to the answer ``answer_id``."""
        return self._append({"ref": answer_id, "feedback": feedback})

    def files(self) -> list[Path]:
        """The log files that exist, oldest first (queries.jsonl.N … .1, then queries.jsonl)."""
        rotated = [self._rotated(i) for i in range(self.keep, 0, -1)]
        return [p for p in [*rotated, self.path] if p.exists()]

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable line of every file, oldest first (a torn line after a crash is skipped)."""
        for path in self.files():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def queries(self) -> list[dict[str, Any]]:
        """The question records, each with the feedback given on it folded into ``feedback`` (a list)."""
        records = list(self.records())
        queries = {r["id"]: {**r, "feedback": []} for r in records if "question" in r and "id" in r}
        for r in records:
            if r.get("ref") in queries and isinstance(r.get("feedback"), dict):
                queries[r["ref"]]["feedback"].append(r["feedback"])
        return list(queries.values())

    def _rotated(self, i: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{i}")

    def _rotate(self) -> None:
        """queries.jsonl → .1 → .2 …; the oldest beyond ``keep`` is deleted."""
        if self.keep == 0:
            self.path.unlink()
            return
        self._rotated(self.keep).unlink(missing_ok=True)
        for i in range(self.keep - 1, 0, -1):
            if self._rotated(i).exists():
                self._rotated(i).replace(self._rotated(i + 1))
        self.path.replace(self._rotated(1))

    def _append(self, record: dict[str, Any]) -> str:
        record = {"id": uuid.uuid4().hex[:12], "time": datetime.now(UTC).replace(microsecond=0).isoformat(),
                  **record}
        # "replace": a lone surrogate in a question must not cost the record (it cannot be UTF-8)
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                    self._rotate()
                with self.path.open("ab") as fh:
                    fh.write(line)
        except OSError as exc:
            raise AssistantError(f"Cannot write the query log {self.path}: {exc}. Unset ASSISTANT_QUERY_LOG "
                                 "or make the index folder writable.") from None
        return str(record["id"])


def record_answer(qlog: QueryLog | None, interface: str, question: str, history: list[dict[str, str]] | None,
                  filters: dict[str, str] | None, answer: Answer, started: float) -> str:
    """Log an answer when logging is on; returns its answer id ("" when off or when the log cannot be written).

    A log that cannot be written never costs the person their answer: the failure goes to the server log.
    """
    if qlog is None:
        return ""
    try:
        return qlog.question(interface, question, history, filters, answer, (time.perf_counter() - started) * 1000)
    except AssistantError as exc:
        log.warning("%s", exc)
        return ""


# --- export --------------------------------------------------------------------
def _draft_note(q: dict[str, Any]) -> str:
    sources = sorted({c.get("source", "") for c in q.get("citations") or [] if c.get("source")})
    said = "abstained" if q.get("abstained") else f"answered (support {q.get('support')} {q.get('support_score')})"
    fb = "; ".join(f"{k}: {v}" for f in q.get("feedback") or [] for k, v in f.items())
    return (f"DRAFT from the query log ({q.get('time', '?')}, {q.get('interface', '?')}): the assistant {said}"
            + (f", citing {', '.join(sources)}" if sources else "") + (f"; feedback {fb}" if fb else "")
            + f"; its answer: {' '.join(str(q.get('answer', '')).split())[:300]!r}. To score it, set "
            "\"answerable\" to true and write the \"facts\" a correct answer must contain (and \"quotes\"/"
            "\"doc\" if you like), or set it to false.")


def _turns(history: object) -> list[dict[str, str]]:
    """The user/assistant turns of a logged history (an OpenAI client may have sent system messages)."""
    return [{"role": t["role"], "content": t.get("content", "")} for t in history or []  # type: ignore[union-attr]
            if isinstance(t, dict) and t.get("role") in ("user", "assistant")]


def to_eval_drafts(queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One draft eval item per distinct logged question (with the same history), the latest kept.

    Drafts have ``"answerable": null`` and empty ``facts``: `assistant eval` refuses them, naming each line,
    until a person has decided what a correct answer is.
    """
    latest: dict[str, dict[str, Any]] = {}
    for q in queries:
        key = json.dumps([" ".join(q["question"].casefold().split()), q.get("history") or []])
        latest.pop(key, None)  # re-insert so the order follows the last time it was asked
        latest[key] = q
    return [{"id": f"log-{q['id']}", "category": DRAFT_CATEGORY, "question": q["question"],
             **({"history": _turns(q["history"])} if _turns(q.get("history")) else {}),
             "answerable": None, "facts": [], "quotes": [], "notes": _draft_note(q)} for q in latest.values()]
