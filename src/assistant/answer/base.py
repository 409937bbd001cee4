"""The answerer seam: what every answerer (extractive, LLM, or one of your own) is given and returns.

The `Assistant` retrieves passages and drafts the extractive decision (which quotes answer, or why none
do); an answerer turns that `Case` into the text a person reads. Streaming is the iterator it returns.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from assistant.answer.draft import Draft
from assistant.retrieve.condense import Condensed
from assistant.retrieve.corpus import CorpusView
from assistant.types import Answer, Passage, Stamp


@dataclass(frozen=True)
class Case:
    """One question ready to be answered: everything an answerer may read, nothing it must fetch."""

    asked: str  # the question as the user typed it (cleaned)
    question: Condensed  # the question condensed: a follow-up with what it refers to
    passages: list[Passage]  # ranked, as retrieved (the numbered sources an LLM is shown)
    draft: Draft  # the extractive decision: the units to quote, or why the documents do not answer
    corpus: CorpusView  # the index snapshot the passages come from (citations point into its documents)
    stamp: Stamp
    timings: dict[str, float] = field(default_factory=dict)  # steps measured so far (retrieve_ms, answer_ms)


class Answerer(Protocol):
    """Writes the answer to a `Case`.

    ``answer(case, stream=...)`` returns an iterator of text deltas (``str``) followed by exactly one final
    `Answer`, always the last item. The deltas are what a person may be shown while the answer is written;
    they add up to the final ``Answer.text`` unless the answerer fell back to another answer on the way
    (then the final text replaces them). An answerer may yield no delta at all, and with ``stream=False``
    (the non-streaming `Assistant.ask`, which only keeps the last item) it should not pay for producing them.
    Errors are raised by the iterator. ``name`` is what `Stamp.answerer` records for its answers.
    """

    name: str

    def answer(self, case: Case, *, stream: bool = False) -> Iterator[str | Answer]: ...


def final(items: Iterable[str | Answer]) -> Answer:
    """The `Answer` that ends an answerer's iterator (the deltas before it are dropped)."""
    for item in items:
        if isinstance(item, Answer):
            return item
    raise TypeError("an answerer's iterator ended without an Answer")
