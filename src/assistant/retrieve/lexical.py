"""BM25 over lemma tokens (bm25s): the lexical half of hybrid retrieval.

Building it means lemmatizing every chunk (~1 ms each) and indexing: 8,000 chunks cost ~9 s on 2 busy
cores. So a built index is saved in the per-user cache under a key of the chunk texts, their languages and
the tokenizer (assistant/text.py and its libraries), and later processes load it (~0.1 s) instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import bm25s
import numpy as np

from assistant import text as text_module
from assistant.index.paths import user_cache
from assistant.text import content_lemmas

log = logging.getLogger(__name__)
CACHE_FORMAT = 1
CACHE_KEEP = 6  # corpus versions kept in the cache (the oldest beyond are deleted)
# Libraries whose output is in a saved index: lemmatizer, stemmer, BM25.
TOKENIZER_LIBS = ("simplemma", "PyStemmer", "bm25s")
# bm25s sets its own logger to DEBUG on import, so "Building index from IDs" reached every log handler.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over chunk texts; tokens are accent-folded lemmas without stop words."""

    def __init__(self, texts: list[str], languages: list[str], cache_dir: Path | None = None) -> None:
        folder = (cache_dir or lexical_cache_dir()) / corpus_key(texts, languages)
        if not self._load(folder):
            self._build(texts, languages)
            self._save(folder)
        self.vocab = set(self.bm25.vocab_dict)
        self._idf_missing = math.log(1 + (self.size + 0.5) / 0.5)

    def _build(self, texts: list[str], languages: list[str]) -> None:
        tokens = [content_lemmas(t, lang) or ["∅"] for t, lang in zip(texts, languages, strict=True)]
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self.size = len(tokens)
        df = Counter(tok for doc in tokens for tok in set(doc))
        n = max(self.size, 1)
        self._idf = {tok: math.log(1 + (n - c + 0.5) / (c + 0.5)) for tok, c in df.items()}

    def _save(self, folder: Path) -> None:
        """Write to a temporary folder, then rename: a reader never sees half an index."""
        tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
        try:
            self.bm25.save(str(tmp), show_progress=False)
            (tmp / "idf.json").write_text(json.dumps({"size": self.size, "idf": self._idf}), encoding="utf-8")
            os.replace(tmp, folder)
        except OSError as exc:  # a read-only or full cache only costs the next process a rebuild
            log.info("BM25 index not cached (%s)", exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        _prune(folder.parent, keep=CACHE_KEEP)

    def _load(self, folder: Path) -> bool:
        try:
            meta = json.loads((folder / "idf.json").read_text(encoding="utf-8"))
            self.bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError):
            return False
        self.size, self._idf = meta["size"], meta["idf"]
        os.utime(folder)  # recently used: kept by the pruning
        return True

    def idf(self, token: str) -> float:
        """Rarity of a lemma; lemmas the corpus never uses get the highest weight."""
        return self._idf.get(token, self._idf_missing)

    def search(self, lemmas: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best ``k`` chunks for these query lemmas; ``allowed`` is a boolean row mask."""
        known = [t for t in lemmas if t in self.vocab]
        if not known:
            return []
        k = min(k, self.size)
        mask = None if allowed is None else allowed.astype(np.float32)
        rows, scores = self.bm25.retrieve(
            [known], k=k, show_progress=False, n_threads=1, weight_mask=mask
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]


def lexical_cache_dir() -> Path:
    return user_cache("bm25")


def tokenizer_fingerprint() -> str:
    """Changes when the tokens could: the source of assistant/text.py or a tokenizing library's version."""
    digest = hashlib.sha1(Path(text_module.__file__).read_bytes())
    for name in TOKENIZER_LIBS:
        try:
            digest.update(f"{name}={version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"{name}=absent".encode())
    return digest.hexdigest()


def corpus_key(texts: list[str], languages: list[str]) -> str:
    """Content address of an index: the texts and languages in order, the tokenizer, the cache format."""
    digest = hashlib.sha1(f"{CACHE_FORMAT}|{tokenizer_fingerprint()}|{len(texts)}".encode())
    for text, lang in zip(texts, languages, strict=True):
        digest.update(f"{lang}\x00{text}\x01".encode())
    return digest.hexdigest()[:20]


def _prune(folder: Path, keep: int) -> None:
    """Delete all but the ``keep`` most recently used saved indexes."""
    saved = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.endswith(".tmp")),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for old in saved[keep:]:
        shutil.rmtree(old, ignore_errors=True)
