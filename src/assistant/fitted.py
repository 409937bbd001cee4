"""Fitted models the package loads: feature names, weights and how they were fitted, from data files.

`python -m evals.fit` writes them (``assistant/data/<name>.json``); nothing here is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic model over named features (standardised with the fitted mean and scale)."""

    features: tuple[str, ...]
    weights: np.ndarray
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    meta: dict

    @classmethod
    def from_dict(cls, data: dict) -> LinearModel:
        return cls(
            features=tuple(data["features"]), weights=np.asarray(data["weights"], dtype=np.float64),
            bias=float(data["bias"]), mean=np.asarray(data["mean"], dtype=np.float64),
            scale=np.asarray(data["scale"], dtype=np.float64), meta=data.get("meta", {}),
        )

    def to_dict(self) -> dict:
        return {"features": list(self.features), "weights": self.weights.round(6).tolist(),
                "bias": round(self.bias, 6), "mean": self.mean.round(6).tolist(),
                "scale": self.scale.round(6).tolist(), "meta": self.meta}

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Log-odds for each row of ``x`` (columns in ``self.features`` order)."""
        return ((x - self.mean) / self.scale) @ self.weights + self.bias

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(x)))

    def score(self, x: np.ndarray) -> np.ndarray:
        """The model's score: the probability, or the plain weighted sum for a model whose ``meta`` says
        ``"link": "identity"``; ``meta["multiply_when"]`` scales rows where a named feature is set."""
        out = self.decision(x) if self.meta.get("link") == "identity" else self.probability(x)
        for name, factor in self.meta.get("multiply_when", {}).items():
            out = np.where(x[:, self.features.index(name)] > 0, out * float(factor), out)
        return out


@cache
def packaged_model(name: str) -> LinearModel | None:
    """The fitted model ``assistant/data/<name>.json``, or None before the first fit."""
    path = resources.files("assistant.data") / f"{name}.json"
    if not path.is_file():
        return None
    return LinearModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


