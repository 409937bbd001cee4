"""SQLite manifest: which documents are indexed, their cleaned text, and their chunks.

It is the source of truth for what is live: a chunk id in Chroma that the manifest does not list is an
orphan (for example from a killed ingest) and is never shown. A document is switched to its new chunks in
one transaction, after its vectors are written, so a crash at any moment leaves the previous state usable.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from assistant.types import Chunk, Document, Section

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    doc_id TEXT PRIMARY KEY, path TEXT NOT NULL, source TEXT NOT NULL, title TEXT NOT NULL,
    language TEXT NOT NULL, date TEXT NOT NULL, content_hash TEXT NOT NULL, clean_text TEXT NOT NULL,
    sections TEXT NOT NULL, meta TEXT NOT NULL, ingested_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, doc_id TEXT NOT NULL, text TEXT NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, section TEXT NOT NULL, position INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id);
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Manifest:
    """Thin typed access to the manifest database; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- documents -----------------------------------------------------------
    def hashes(self) -> dict[str, tuple[str, str]]:
        """doc_id → (path, content_hash) of every indexed document."""
        rows = self._db.execute("SELECT doc_id, path, content_hash FROM documents")
        return {d: (p, h) for d, p, h in rows}

    def replace_document(self, doc: Document, path: str, chunks: list[Chunk]) -> list[str]:
        """Switch ``doc`` to ``chunks`` atomically; return the chunk ids no longer used by anyone."""
        return self.replace_documents([(doc, path, chunks)])

    def replace_documents(self, items: Iterable[tuple[Document, str, list[Chunk]]]) -> list[str]:
        """Switch each (document, path, chunks) in one transaction; return the chunk ids freed."""
        freed: set[str] = set()
        with self.transaction() as db:
            for doc, path, chunks in items:
                freed |= self._replace(db, doc, path, chunks)
            self._touch(db)
        return sorted(freed)

    def _replace(self, db: sqlite3.Connection, doc: Document, path: str, chunks: list[Chunk]) -> set[str]:
        old = {r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc.doc_id,))}
        db.execute("DELETE FROM chunks WHERE doc_id=?", (doc.doc_id,))
        db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (doc.doc_id, path, doc.source, doc.title, doc.language, doc.date, doc.content_hash,
             doc.text, json.dumps([[s.heading, s.start, s.end] for s in doc.sections]),
             json.dumps(doc.meta, default=str), now_iso()),
        )
        db.executemany(
            "INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?,?,?)",
            [(c.id, c.doc_id, c.text, c.start, c.end, c.section, c.position) for c in chunks],
        )
        return old - {c.id for c in chunks}

    def remove_documents(self, doc_ids: Iterable[str]) -> list[str]:
        """Delete documents and their chunk rows; return the freed chunk ids."""
        freed: list[str] = []
        with self.transaction() as db:
            for doc_id in doc_ids:
                freed += [r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))]
                db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
                db.execute("DELETE FROM documents WHERE doc_id=?", (doc_id,))
            self._touch(db)
        return freed

    def documents(self) -> list[Document]:
        rows = self._db.execute(
            "SELECT doc_id, source, title, clean_text, sections, language, date, content_hash, meta, path"
            " FROM documents ORDER BY path"
        )
        return [_document(row) for row in rows]

    # --- chunks --------------------------------------------------------------
    def chunks(self) -> list[Chunk]:
        rows = self._db.execute(
            'SELECT id, doc_id, text, start, "end", section, position FROM chunks ORDER BY doc_id, position'
        )
        return [Chunk(*row) for row in rows]

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM chunks")}

    # --- info ----------------------------------------------------------------
    def version(self) -> str:
        """Hash of every (document, content hash): two indexes with the same version hold the same text."""
        rows = self._db.execute("SELECT doc_id, content_hash FROM documents ORDER BY doc_id").fetchall()
        return hashlib.sha256(json.dumps(rows).encode()).hexdigest()[:16] if rows else "empty"

    def data_version(self) -> int:
        """Changes whenever another connection commits: cheap 'did the index change?' check."""
        return int(self._db.execute("PRAGMA data_version").fetchone()[0]) + int(self.get("changes", "0"))

    def get(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM info WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO info VALUES (?,?)", (key, value))

    def _touch(self, db: sqlite3.Connection) -> None:
        changes = int(self.get("changes", "0")) + 1
        db.execute("INSERT OR REPLACE INTO info VALUES ('changes', ?)", (str(changes),))


def _document(row: tuple) -> Document:
    doc_id, source, title, text, sections, language, date, content_hash, meta, path = row
    parsed = json.loads(meta)
    parsed.setdefault("path", path)
    return Document(
        doc_id=doc_id, source=source, title=title, text=text,
        sections=tuple(Section(h, s, e) for h, s, e in json.loads(sections)),
        language=language, date=date, content_hash=content_hash, meta=parsed,
    )
