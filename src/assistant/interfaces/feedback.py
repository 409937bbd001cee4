"""Thumbs up/down (and optional comments) from the chat UI, kept as JSON lines.

Each vote is one line ``{"id", "time", "rating", "question", "answer", ...}``; a comment added later is
its own line ``{"id", "time", "ref": <vote id>, "comment"}``, so the file is only ever appended to.
`export` folds comments into their votes and writes JSONL or CSV.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from assistant.errors import AssistantError

Rating = Literal["up", "down"]
CSV_FIELDS = ("id", "time", "rating", "comment", "question", "answer", "support", "support_score",
              "sources", "index_version", "answer_id")


class FeedbackLog:
    """Appends feedback records to a JSONL file; safe across threads and processes (file lock)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock", timeout=10)

    def vote(self, rating: Rating, question: str, answer: dict[str, Any], comment: str = "",
             answer_id: str = "") -> str:
        """Store a thumbs up/down on ``answer`` (an `Answer.to_dict()`); returns the vote id.

        ``answer_id`` is the answer's id in the query log (when that log is on), so both files can be joined.
        """
        stamp = answer.get("stamp") or {}
        record = {
            "rating": rating, "question": question, "answer": answer.get("answer", ""),
            "support": answer.get("support"), "support_score": answer.get("support_score"),
            "sources": [c.get("source", "") for c in answer.get("citations", [])],
            "index_version": stamp.get("index_version"), "comment": comment,
        }
        if answer_id:
            record["answer_id"] = answer_id
        return self._append(record)

    def comment(self, ref: str, text: str) -> str:
        """Attach a free-text comment to the vote ``ref``."""
        return self._append({"ref": ref, "comment": text})

    def records(self) -> list[dict[str, Any]]:
        """Every line of the file, oldest first (unreadable lines are skipped)."""
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line after a crash must not hide the others
        return out

    def votes(self) -> list[dict[str, Any]]:
        """Votes with the comments made on them merged into their ``comment`` field."""
        records = self.records()
        votes = {r["id"]: dict(r) for r in records if "rating" in r and "id" in r}
        for r in records:
            if r.get("ref") in votes and r.get("comment"):
                vote = votes[r["ref"]]
                vote["comment"] = "\n".join(x for x in (vote.get("comment"), r["comment"]) if x)
        return list(votes.values())

    def _append(self, record: dict[str, Any]) -> str:
        record = {"id": uuid.uuid4().hex[:12], "time": _now(), **record}
        line = json.dumps(record, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock, self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
        except OSError as exc:
            raise AssistantError(f"Cannot write feedback to {self.path}: {exc}. "
                                 "Set ASSISTANT_FEEDBACK_PATH to a writable file.") from None
        return str(record["id"])


def export(log: FeedbackLog, fmt: Literal["jsonl", "csv"] = "jsonl") -> str:
    """All votes (comments merged) as JSONL or CSV text."""
    votes = log.votes()
    if fmt == "jsonl":
        return "".join(json.dumps(v, ensure_ascii=False) + "\n" for v in votes)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for v in votes:
        row = {**v, "sources": " | ".join(v.get("sources") or [])}
        writer.writerow({k: _cell(row.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


def _cell(value: object) -> object:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ would run when opened."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()
