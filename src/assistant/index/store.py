"""Store seam: the Chroma vector store, embedded (PersistentClient) or a `chroma run` server (HttpClient).

Writes go through Chroma's client in batches within its max batch size; dense search goes through
LangChain's Chroma wrapper. Ids are chunk ids; the manifest decides which of them are live.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from assistant.errors import BackendUnavailable

if TYPE_CHECKING:
    from assistant.index.embedder import Embedder
    from assistant.settings import Settings

log = logging.getLogger(__name__)
SPACE = {"hnsw:space": "cosine"}


def chroma_client(settings: Settings) -> Any:
    """A Chroma client for these settings; a server that is down raises `BackendUnavailable`."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:
        path = Path(settings.index_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    try:
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        client.heartbeat()
    except Exception as exc:  # chromadb raises ValueError/ConnectionError/httpx errors, varying by version
        raise BackendUnavailable(
            f"Cannot reach the Chroma server at {settings.chroma_url} ({type(exc).__name__}). Start it with "
            f"`chroma run --path DIR --host {url.hostname} --port {url.port}`, or unset ASSISTANT_CHROMA_URL "
            "to use the embedded index."
        ) from None
    return client


class VectorStore:
    """One Chroma collection holding a vector per chunk id.

    ``embedder`` is only needed for LangChain's wrapper (dense search); ingest writes vectors it
    computed itself, so it can open the store without loading the model.
    """

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.client = chroma_client(settings)
        self.collection = self._guard(
            lambda: self.client.get_or_create_collection(
                name=settings.collection, metadata=SPACE, embedding_function=None
            )
        )
        self.max_batch = int(self.client.get_max_batch_size())

    @cached_property
    def langchain(self) -> Any:
        """LangChain's Chroma wrapper over the same collection."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.settings.collection,
            embedding_function=self.embedder,
            collection_metadata=SPACE,
        )

    def close(self) -> None:
        """Release the client (for the embedded store: its files, once no other client uses them)."""
        close = getattr(self.client, "close", None)
        if close is not None:
            close()

    def existing(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for batch in _batches(list(ids), self.max_batch):
            found.update(self._guard(lambda b=batch: self.collection.get(ids=b, include=[]))["ids"])
        return found

    def all_ids(self) -> set[str]:
        return set(self._guard(lambda: self.collection.get(include=[]))["ids"])

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict]) -> None:
        step = self.max_batch
        for i in range(0, len(ids), step):
            self._guard(
                lambda i=i: self.collection.upsert(
                    ids=ids[i : i + step],
                    embeddings=vectors[i : i + step],
                    documents=texts[i : i + step],
                    metadatas=metas[i : i + step],
                )
            )

    def delete(self, ids: Iterable[str]) -> None:
        for batch in _batches(list(ids), self.max_batch):
            self._guard(lambda b=batch: self.collection.delete(ids=b))

    def count(self) -> int:
        return int(self._guard(self.collection.count))

    def search(self, vector: list[float], k: int, doc_ids: list[str] | None = None) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``k`` nearest chunks, optionally within ``doc_ids``."""
        where = {"doc_id": {"$in": doc_ids}} if doc_ids else None
        k = max(1, min(k, self.count() or 1))
        hits = self._guard(
            lambda: self.langchain.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where)
        )
        return [(str(doc.id), 1.0 - float(distance)) for doc, distance in hits]

    def _guard(self, call: Any) -> Any:
        try:
            return call()
        except BackendUnavailable:
            raise
        except Exception as exc:
            if not self.settings.chroma_url:
                raise
            raise BackendUnavailable(
                f"The Chroma server at {self.settings.chroma_url} failed or went away ({type(exc).__name__}: "
                f"{str(exc)[:120]}). Check that `chroma run` is still running."
            ) from None


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
