"""Down-weight, in retrieval, the chunks that ingest scored as instructions (see `safety.instructions`)."""

from __future__ import annotations

import threading

from assistant.index.store import VectorStore
from assistant.retrieve.corpus import CorpusView
from assistant.settings import Settings


class InstructionPenalty:
    """Scales the fused score of flagged chunks by ``settings.instruction_penalty``; the one place it happens.

    The flagged chunk ids are read from the store's metadata once per index version (ids are content
    hashes, so a flag never goes stale). Chunks indexed before scores were stored carry none: not flagged.
    """

    def __init__(self, settings: Settings, store: VectorStore) -> None:
        self.settings = settings
        self.store = store
        self._flagged: tuple[str, frozenset[str]] = ("", frozenset())
        self._lock = threading.Lock()

    def rows(self, corpus: CorpusView) -> set[int]:
        """Rows of ``corpus`` whose chunk reads as instructions."""
        with self._lock:
            if self._flagged[0] != corpus.version:
                got = self.store.collection.get(where={"instruction": {"$gte": self.settings.instruction_flag}},
                                                include=[])
                self._flagged = (corpus.version, frozenset(got["ids"]))
            ids = self._flagged[1]
        return {corpus.row_of[i] for i in ids if i in corpus.row_of}

    def factors(self, corpus: CorpusView, chunk_ids: list[str]) -> list[float]:
        """The factor on each chunk's score in a later ranking stage (the reranker): the penalty or 1."""
        flagged = self.rows(corpus)
        penalty = self.settings.instruction_penalty
        return [penalty if corpus.row_of.get(i) in flagged else 1.0 for i in chunk_ids]

    def apply(self, corpus: CorpusView, fused: dict[int, float], *leaders: list[int]) -> tuple[dict[int, float],
                                                                                               list[list[int]]]:
        """``fused`` with flagged rows down-weighted, and each leader list without them (they lead nothing)."""
        flagged = self.rows(corpus)
        if not flagged:
            return fused, [list(rows) for rows in leaders]
        factor = self.settings.instruction_penalty
        fused = {r: s * factor if r in flagged else s for r, s in fused.items()}
        return fused, [[r for r in rows if r not in flagged] for rows in leaders]
