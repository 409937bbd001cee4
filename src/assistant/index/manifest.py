"""SQLite manifest: which documents are indexed, their cleaned text, and their chunks.

It is the source of truth for what is live: a chunk id in Chroma that the manifest does not list is an
orphan (for example from a killed ingest) and is never shown. A document is switched to its new chunks in
one transaction, after its vectors are written, so a crash at any moment leaves the previous state usable.

A server may still be answering from the version before a switch, so the chunk ids a switch frees are
not deleted at once: they are recorded in ``garbage`` with the ingest run that freed them and deleted by
the next run (`Manifest.garbage_due`). The answer units' vectors (``unit_vectors``) and their instruction
scores (``unit_scores``) are keyed by the document's content hash and the embedder, so an unchanged document
costs nothing. The word vectors of the documents' vocabulary (``word_vectors``, for the answerer's term
matching) depend only on the word and the embedder; ``vocab_stored`` lists the documents whose words are in.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

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
CREATE TABLE IF NOT EXISTS garbage (id TEXT PRIMARY KEY, freed_in INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS unit_vectors (
    content_hash TEXT NOT NULL, model TEXT NOT NULL, texts_hash TEXT NOT NULL, rows INTEGER NOT NULL,
    dim INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (content_hash, model));
CREATE TABLE IF NOT EXISTS unit_scores (
    content_hash TEXT NOT NULL, model TEXT NOT NULL, scorer TEXT NOT NULL, texts_hash TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (content_hash, model, scorer));
CREATE TABLE IF NOT EXISTS word_vectors (
    model TEXT NOT NULL, word TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (model, word));
CREATE TABLE IF NOT EXISTS vocab_stored (
    content_hash TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (content_hash, model));
"""
WORDS_PER_QUERY = 900  # bound variables per SQL statement (SQLite's oldest limit is 999)


@dataclass(frozen=True)
class UnitVectors:
    """The vectors of one document's answer units, as computed at ingest.

    ``texts_hash`` is the digest of the exact texts embedded (`texts_digest`), so a reader whose unit
    splitter has changed since sees the mismatch and embeds afresh instead of pairing wrong vectors.
    """

    texts_hash: str
    matrix: np.ndarray  # (rows, dim) float32, read-only
    scores: np.ndarray | None = None  # (rows,) instruction score of each unit, when computed with ``scorer``
    scorer: str = ""


@dataclass(frozen=True)
class WordVectors:
    """Vectors of words of the documents' vocabulary for embedder ``model`` (only the words not stored yet),
    and the content hashes of the documents whose vocabulary is then complete."""

    model: str
    vectors: dict[str, np.ndarray]
    content_hashes: tuple[str, ...]


def texts_digest(texts: Iterable[str]) -> str:
    """A digest of an ordered list of texts (which unit vectors belong to)."""
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


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

    def replace_documents(self, items: Iterable[tuple[Document, str, list[Chunk]]],
                          unit_vectors: dict[tuple[str, str], UnitVectors] | None = None,
                          words: WordVectors | None = None) -> list[str]:
        """Switch each (document, path, chunks) in one transaction, with the unit vectors keyed by
        (content hash, embedder name) and the new words of their vocabulary; return the chunk ids freed
        (recorded as garbage of this run)."""
        freed: set[str] = set()
        with self.transaction() as db:
            for doc, path, chunks in items:
                freed |= self._replace(db, doc, path, chunks)
            for (content_hash, model), uv in (unit_vectors or {}).items():
                _put_unit_vectors(db, content_hash, model, uv)
            if words is not None:
                _put_words(db, words)
            self._free(db, freed)
            self._touch(db)
        return sorted(freed)

    def _replace(self, db: sqlite3.Connection, doc: Document, path: str, chunks: list[Chunk]) -> set[str]:
        old = {r[0] for r in db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc.doc_id,))}
        db.execute("DELETE FROM chunks WHERE doc_id=?", (doc.doc_id,))
        db.execute(
            "INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (doc.doc_id, path, doc.source, doc.title, doc.language, doc.date, doc.content_hash,
             doc.text, json.dumps([[s.heading, s.start, s.end, s.level] for s in doc.sections]),
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
            self._free(db, set(freed))
            self._touch(db)
        return freed

    # --- deferred deletion of freed vectors -------------------------------------
    def begin_run(self) -> int:
        """Number a new ingest run; ids freed from now on are garbage of this run."""
        run = int(self.get("run", "0")) + 1
        self.set("run", str(run))
        return run

    def _free(self, db: sqlite3.Connection, freed: set[str]) -> None:
        run = int(self.get("run", "0"))
        db.executemany("INSERT OR REPLACE INTO garbage VALUES (?,?)", [(i, run) for i in sorted(freed)])
        # An id that is live again (the same text came back) is no longer garbage.
        db.execute("DELETE FROM garbage WHERE id IN (SELECT id FROM chunks)")

    def garbage(self) -> set[str]:
        """Every freed chunk id whose vector is kept for readers of the previous version."""
        return {r[0] for r in self._db.execute("SELECT id FROM garbage")}

    def garbage_due(self, run: int) -> list[str]:
        """Ids freed by runs before ``run``: no reader can still hold a version that uses them."""
        rows = self._db.execute(
            "SELECT id FROM garbage WHERE freed_in < ? AND id NOT IN (SELECT id FROM chunks)", (run,))
        return [r[0] for r in rows]

    def forget_garbage(self, ids: Iterable[str]) -> None:
        """Drop ``ids`` from the garbage list once their vectors are deleted."""
        with self.transaction() as db:
            db.executemany("DELETE FROM garbage WHERE id=?", [(i,) for i in ids])

    # --- unit vectors ------------------------------------------------------------
    def unit_vectors(self, model: str) -> dict[str, UnitVectors]:
        """content hash → unit vectors of the live documents, for embedder ``model``."""
        rows = self._db.execute(
            "SELECT u.content_hash, u.texts_hash, u.rows, u.dim, u.data FROM unit_vectors u"
            " JOIN documents d ON d.content_hash = u.content_hash WHERE u.model=?", (model,))
        return {h: UnitVectors(t, _matrix(data, n, dim)) for h, t, n, dim, data in rows}

    def unit_texts_hashes(self) -> dict[str, set[str]]:
        """content hash → the texts hashes (`texts_digest`) its stored unit vectors were made for, for any
        embedder, of the live documents."""
        rows = self._db.execute("SELECT u.content_hash, u.texts_hash FROM unit_vectors u"
                                " JOIN documents d ON d.content_hash = u.content_hash")
        out: dict[str, set[str]] = {}
        for content_hash, texts_hash in rows:
            out.setdefault(content_hash, set()).add(texts_hash)
        return out

    def forget_unit_vectors(self, content_hashes: Iterable[str]) -> None:
        """Drop the unit vectors and instruction scores stored for these documents, for every embedder."""
        with self.transaction() as db:
            for content_hash in content_hashes:
                db.execute("DELETE FROM unit_vectors WHERE content_hash=?", (content_hash,))
                db.execute("DELETE FROM unit_scores WHERE content_hash=?", (content_hash,))
            self._touch(db)

    def missing_unit_vectors(self, model: str | None) -> list[str]:
        """doc ids of live documents with no stored unit vectors for ``model`` (None: for any model)."""
        rows = self._db.execute(
            "SELECT doc_id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM unit_vectors u"
            " WHERE u.content_hash = d.content_hash AND (?1 IS NULL OR u.model=?1)) ORDER BY path", (model,))
        return [r[0] for r in rows]

    def put_unit_vectors(self, vectors: dict[tuple[str, str], UnitVectors], words: WordVectors | None = None) -> None:
        with self.transaction() as db:
            for (content_hash, model), uv in vectors.items():
                _put_unit_vectors(db, content_hash, model, uv)
            if words is not None:
                _put_words(db, words)
            self._touch(db)

    def unit_scores(self, model: str, scorer: str) -> dict[str, tuple[str, np.ndarray]]:
        """content hash → (texts hash, instruction score per unit) of the live documents, for this embedder
        and instruction scorer."""
        rows = self._db.execute(
            "SELECT s.content_hash, s.texts_hash, s.data FROM unit_scores s JOIN documents d"
            " ON d.content_hash = s.content_hash WHERE s.model=? AND s.scorer=?", (model, scorer))
        return {h: (t, np.frombuffer(data, dtype=np.float32)) for h, t, data in rows}

    def missing_unit_scores(self, scorer: str) -> list[tuple[str, str]]:
        """(doc id, embedder) of live documents with stored unit vectors but no instruction scores by
        ``scorer`` for them (they are computed from the stored vectors: no embedding needed)."""
        rows = self._db.execute(
            "SELECT d.doc_id, u.model FROM documents d JOIN unit_vectors u ON u.content_hash = d.content_hash"
            " WHERE NOT EXISTS (SELECT 1 FROM unit_scores s WHERE s.content_hash = d.content_hash"
            " AND s.model = u.model AND s.scorer=?) ORDER BY d.path", (scorer,))
        return [(d, m) for d, m in rows]

    # --- word vectors of the vocabulary -------------------------------------------
    def word_vectors(self, model: str, words: Iterable[str]) -> dict[str, np.ndarray]:
        """word → stored vector for embedder ``model``, for those of ``words`` the ingest stored."""
        wanted = list(dict.fromkeys(words))
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(wanted), WORDS_PER_QUERY):
            part = wanted[start : start + WORDS_PER_QUERY]
            rows = self._db.execute(
                f"SELECT word, data FROM word_vectors WHERE model=? AND word IN ({','.join('?' * len(part))})",
                (model, *part)).fetchall()
            out.update((w, np.frombuffer(data, dtype=np.float32)) for w, data in rows)
        return out

    def stored_words(self, model: str, words: Iterable[str]) -> set[str]:
        """Those of ``words`` whose vector for ``model`` is stored."""
        wanted = list(dict.fromkeys(words))
        found: set[str] = set()
        for start in range(0, len(wanted), WORDS_PER_QUERY):
            part = wanted[start : start + WORDS_PER_QUERY]
            found.update(r[0] for r in self._db.execute(
                f"SELECT word FROM word_vectors WHERE model=? AND word IN ({','.join('?' * len(part))})",
                (model, *part)))
        return found

    def missing_vocabulary(self, model: str | None) -> list[str]:
        """doc ids of live documents whose vocabulary has no stored vectors for ``model`` (None: any model)."""
        rows = self._db.execute(
            "SELECT doc_id FROM documents d WHERE NOT EXISTS (SELECT 1 FROM vocab_stored v"
            " WHERE v.content_hash = d.content_hash AND (?1 IS NULL OR v.model=?1)) ORDER BY path", (model,))
        return [r[0] for r in rows]

    def drop_unused_unit_vectors(self) -> None:
        """Vectors and scores of content no live document has (old versions of changed documents).
        Word vectors stay: they depend on the word alone, and a later document may use the word again."""
        with self.transaction() as db:
            for table in ("unit_vectors", "unit_scores", "vocab_stored"):
                db.execute(f"DELETE FROM {table} WHERE content_hash NOT IN (SELECT content_hash FROM documents)")

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

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reads inside see one committed version, whatever other connections commit meanwhile."""
        self._db.execute("BEGIN")
        try:
            yield
        finally:
            self._db.execute("COMMIT")

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


def _put_unit_vectors(db: sqlite3.Connection, content_hash: str, model: str, uv: UnitVectors) -> None:
    matrix = np.ascontiguousarray(uv.matrix, dtype=np.float32)
    db.execute("INSERT OR REPLACE INTO unit_vectors VALUES (?,?,?,?,?,?)",
               (content_hash, model, uv.texts_hash, matrix.shape[0], matrix.shape[1], matrix.tobytes()))
    if uv.scores is not None:
        db.execute("INSERT OR REPLACE INTO unit_scores VALUES (?,?,?,?,?)",
                   (content_hash, model, uv.scorer, uv.texts_hash,
                    np.ascontiguousarray(uv.scores, dtype=np.float32).tobytes()))


def _put_words(db: sqlite3.Connection, words: WordVectors) -> None:
    db.executemany("INSERT OR REPLACE INTO word_vectors VALUES (?,?,?)",
                   [(words.model, w, np.ascontiguousarray(v, dtype=np.float32).tobytes())
                    for w, v in words.vectors.items()])
    db.executemany("INSERT OR REPLACE INTO vocab_stored VALUES (?,?)",
                   [(h, words.model) for h in words.content_hashes])


def _matrix(data: bytes, rows: int, dim: int) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32).reshape(rows, dim)


def _document(row: tuple) -> Document:
    doc_id, source, title, text, sections, language, date, content_hash, meta, path = row
    parsed = json.loads(meta)
    parsed.setdefault("path", path)
    return Document(
        doc_id=doc_id, source=source, title=title, text=text,
        sections=tuple(Section(*row) for row in json.loads(sections)),  # [heading, start, end(, level)]
        language=language, date=date, content_hash=content_hash, meta=parsed,
    )
