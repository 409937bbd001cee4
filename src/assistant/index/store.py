"""Store seam: the Chroma vector store, embedded (PersistentClient) or a `chroma run` server (HttpClient).

Writes go through Chroma's client in batches within its max batch size; dense search goes through
LangChain's Chroma wrapper. Ids are chunk ids; the manifest decides which of them are live.

An embedded Chroma client keeps the vector index it loaded and never sees what another process (an
`assistant ingest`) writes afterwards: it keeps finding deleted ids, never finds new ones, and fails on
``get`` of an id its index lacks ("Error finding id"). A server therefore opens one `VectorStore` per
index version it answers from (``view``), each a Chroma system of its own over the same files.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlparse

import numpy as np

from assistant.errors import BackendUnavailable

if TYPE_CHECKING:
    from assistant.index.embedder import Embedder
    from assistant.settings import Settings

log = logging.getLogger(__name__)
SPACE = {"hnsw:space": "cosine"}


def chroma_client(settings: Settings, view: int = 0) -> Any:
    """A Chroma client for these settings; a server that is down raises `BackendUnavailable`.

    Embedded clients of different ``view`` numbers load the files afresh: Chroma shares one system per
    path spelling, so view ``n`` spells the same folder with ``n`` trailing "/." segments.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:
        path = Path(settings.index_dir) / "chroma"
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path) + "/." * view, settings=chroma_settings)
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

    def __init__(self, settings: Settings, embedder: Embedder | None = None, view: int = 0) -> None:
        self.settings = settings
        self.embedder = embedder
        self.view = view
        self.client = chroma_client(settings, view)
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

    def vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vector of each of ``ids`` that the store has; ids it lacks are left out, not an error.

        One call for all ids; if Chroma fails on the batch (an id deleted or unknown to this client's view:
        "Error finding id"), each id is asked for alone and the ones that fail are skipped.
        """
        if not ids:
            return {}
        try:
            return self._vectors(ids)
        except BackendUnavailable:
            if self.settings.chroma_url and not self._reachable():
                raise
        except Exception as exc:  # chromadb.errors.InternalError and kin, varying by version
            log.info("vector lookup of %d ids failed (%s); retrying one by one", len(ids), exc)
        found: dict[str, np.ndarray] = {}
        for i in ids:
            try:
                found |= self._vectors([i])
            except Exception as exc:
                log.info("no stored vector for chunk %s (%s)", i, type(exc).__name__)
        return found

    def _vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        got = self._guard(lambda: self.collection.get(ids=ids, include=["embeddings"]))
        return {i: np.asarray(e, dtype=np.float32) for i, e in zip(got["ids"], got["embeddings"], strict=True)}

    def _reachable(self) -> bool:
        try:
            self.client.heartbeat()
        except Exception:
            return False
        return True

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


class StoreViews:
    """Opens one embedded `VectorStore` per index version and closes it once nothing holds that version.

    View numbers are unique in the process for a given index folder (Chroma shares a system between all
    clients of one path spelling, so two assistants must not share a view that one of them loaded
    earlier) and reused once closed, so a long-running server keeps a handful at most: the current
    version's, plus one per older version a question in flight still reads.
    """

    _in_use: ClassVar[dict[str, set[int]]] = {}  # index folder → open view numbers (0: plain spelling)
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, settings: Settings, embedder: Embedder | None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._key = str(Path(settings.index_dir).resolve())

    def open(self, owner: object) -> VectorStore:
        """A fresh view of the vectors as they are now, closed when ``owner`` is garbage collected."""
        with self._lock:
            used = self._in_use.setdefault(self._key, {0})
            view = min(set(range(len(used) + 1)) - used)
            used.add(view)
        try:
            store = VectorStore(self.settings, self.embedder, view)
        except BaseException:
            self._free(view)
            raise
        weakref.finalize(owner, self._release, store)
        return store

    def _release(self, store: VectorStore) -> None:
        try:
            store.close()
        finally:
            self._free(store.view)

    def _free(self, view: int) -> None:
        with self._lock:
            self._in_use.get(self._key, set()).discard(view)


def _batches(items: list[str], size: int) -> Iterable[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
