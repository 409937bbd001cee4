"""Where the index's files live inside ``settings.index_dir``."""

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
