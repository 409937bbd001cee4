"""Errors the assistant raises, each with a message that says how to fix it.

    AssistantError
    ├── SettingsError        a setting has a bad value
    ├── IndexNotFound        no index yet: run `assistant ingest`
    │   └── IndexEmpty       the index holds no documents (yet): its first ingest is running or found none
    ├── IndexBusy            another process is writing the index
    ├── BadQuestion          empty, too long or unreadable question
    ├── BadFilter            a --where / filters value that cannot be parsed
    ├── BackendUnavailable   a Chroma or LLM server is down or misbehaving
    │   └── LLMUnavailable   the LLM gave no usable reply after its retries
    └── IngestError          a source could not be read at all

The library raises these; the CLI prints the message and exits 1 (2 for usage errors);
the UI shows it in the chat.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: `str(error)` is a one-line message meant for a person."""


class SettingsError(AssistantError):
    pass


class IndexNotFound(AssistantError):
    pass


class IndexEmpty(IndexNotFound):
    """An index with no documents: nothing can be answered from it, which is not the same as an answer the
    documents do not give. A subclass of `IndexNotFound` so every interface treats it as "not ready yet"."""


class IndexBusy(AssistantError):
    pass


class BadQuestion(AssistantError):
    pass


class BadFilter(AssistantError):
    pass


class BackendUnavailable(AssistantError):
    pass


class IngestError(AssistantError):
    pass


class LLMUnavailable(BackendUnavailable):
    """The LLM server could not give a usable reply after all retries."""

    def __init__(self, what: str, attempts: int) -> None:
        self.what, self.attempts = what, attempts
        super().__init__(f"The language model was unavailable: {what} ({attempts} attempt"
                         f"{'s' if attempts > 1 else ''}). Check ASSISTANT_LLM_BASE_URL and that the server runs.")
