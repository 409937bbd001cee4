"""Answer-unit vectors composed from shorter embeddings: each unit's own text and its section heading.

A unit's vector is ``normalize(v(text) + w · v(section))``, where ``w`` is the fitted ``section_weight``
(`assistant/data/compose.json`, written by ``python -m evals.fit_compose``). It replaces embedding the
string ``"section: text"`` for every unit: the heading is embedded once per distinct heading instead of once
per unit, and a sentence repeated under several headings once in all, so an ingest embeds about 40 % fewer
unit tokens (corpus/ + corpus-extra: 1.18 M → 0.75 M). Measured against ``"section: text"`` on the same
index, the supporting unit ranks as high or higher (numbers in the data file and docs/benchmark.md).

The ingest and the answerer (for an index without stored vectors) both call `unit_matrix`, so the two always
agree; `units_digest` names the units *and* the recipe, so vectors stored under another recipe are never read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources

import numpy as np

from assistant.answer.evidence import Unit
from assistant.index.manifest import texts_digest

Embed = Callable[[list[str]], np.ndarray]
RECIPE = "text+section/1"  # bump when the composition (not only its weight) changes


@cache
def section_weight() -> float:
    """The fitted weight of the section heading's vector in a unit's vector."""
    data = json.loads((resources.files("assistant.data") / "compose.json").read_text(encoding="utf-8"))
    return float(data["section_weight"])


def texts_to_embed(units: Sequence[Unit]) -> list[str]:
    """Each distinct unit text and section heading of ``units``, once, in first-seen order."""
    return list(dict.fromkeys([u.text for u in units] + [u.section for u in units if u.section]))


def compose(units: Sequence[Unit], vectors: dict[str, np.ndarray], dim: int, weight: float | None = None) -> np.ndarray:
    """(len(units), dim) unit vectors from ``vectors`` (text → embedding, holding `texts_to_embed`'s texts).

    A unit without a section heading gets its text's vector unchanged; every row has unit length."""
    if not units:
        return np.zeros((0, dim), dtype=np.float32)
    w = section_weight() if weight is None else weight
    out = np.stack([vectors[u.text] + (w * vectors[u.section] if u.section else 0.0) for u in units])
    return (out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def unit_matrix(units: Sequence[Unit], embed: Embed, dim: int, weight: float | None = None) -> np.ndarray:
    """`compose` with each needed text embedded by ``embed`` in one call."""
    texts = texts_to_embed(units)
    vectors = dict(zip(texts, embed(texts), strict=True)) if texts else {}
    return compose(units, vectors, dim, weight)


def units_digest(units: Sequence[Unit]) -> str:
    """Names what a stored unit matrix holds: these units' sections and texts, this recipe and weight."""
    return texts_digest([f"{RECIPE}|{section_weight()!r}", *(f"{u.section}\x00{u.text}" for u in units)])
