"""BM25 over lemma tokens (bm25s): the lexical half of hybrid retrieval."""

from __future__ import annotations

import logging
import math
from collections import Counter

import bm25s
import numpy as np

from assistant.text import content_lemmas

# bm25s sets its own logger to DEBUG on import, so "Building index from IDs" reached every log handler.
logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    """BM25 over chunk texts; tokens are accent-folded lemmas without stop words."""

    def __init__(self, texts: list[str], languages: list[str]) -> None:
        self.tokens = [content_lemmas(t, lang) or ["∅"] for t, lang in zip(texts, languages, strict=True)]
        self.bm25 = bm25s.BM25()
        self.bm25.index(self.tokens, show_progress=False)
        self.vocab = set(self.bm25.vocab_dict)
        df = Counter(tok for doc in self.tokens for tok in set(doc))
        n = max(len(self.tokens), 1)
        self._idf = {tok: math.log(1 + (n - c + 0.5) / (c + 0.5)) for tok, c in df.items()}
        self._idf_missing = math.log(1 + (n + 0.5) / 0.5)

    def idf(self, token: str) -> float:
        """Rarity of a lemma; lemmas the corpus never uses get the highest weight."""
        return self._idf.get(token, self._idf_missing)

    def search(self, lemmas: list[str], k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) of the best ``k`` chunks for these query lemmas; ``allowed`` is a boolean row mask."""
        known = [t for t in lemmas if t in self.vocab]
        if not known:
            return []
        k = min(k, len(self.tokens))
        mask = None if allowed is None else allowed.astype(np.float32)
        rows, scores = self.bm25.retrieve(
            [known], k=k, show_progress=False, n_threads=1, weight_mask=mask
        )
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if s > 0]
