"""BIPM Assistant: answers questions about BIPM documents with cited passages, offline.

    from assistant import Assistant
    bot = Assistant.from_settings()
    answer = bot.ask("How can I get seconded to the Physical Metrology Department?")
"""

from __future__ import annotations

from assistant.errors import (
    AssistantError,
    BackendUnavailable,
    BadQuestion,
    IndexNotFound,
)
from assistant.settings import Settings, load_settings
from assistant.types import Answer, Citation, Stamp

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "BackendUnavailable",
    "BadQuestion",
    "Citation",
    "IndexNotFound",
    "Settings",
    "Stamp",
    "load_settings",
]


def __getattr__(name: str):  # lazy: importing the package must not load torch or Chroma
    if name == "Assistant":
        from assistant.assistant import Assistant

        return Assistant
    raise AttributeError(name)
