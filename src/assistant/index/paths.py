"""Where the index's files live inside ``settings.index_dir``, and where derived files live in the user cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from assistant.settings import Settings


def manifest_path(settings: Settings) -> Path:
    return Path(settings.index_dir) / "manifest.sqlite3"


def lock_path(settings: Settings) -> Path:
    Path(settings.index_dir).mkdir(parents=True, exist_ok=True)
    return Path(settings.index_dir) / "ingest.lock"


def user_cache(*parts: str) -> Path:
    """``parts`` inside the per-user cache: files derived from installed packages or from an index (ONNX exports,
    dictionary tries, BM25 caches, the precision choice), rebuilt when absent; never the index itself."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("bipm-assistant", appauthor=False)).joinpath(*parts)
