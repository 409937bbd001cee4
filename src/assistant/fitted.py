"""Fitted models the package loads: feature names, weights and how they were fitted, from data files.

`python -m evals.fit` writes them (``assistant/data/<name>.json``); nothing here is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
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


@dataclass(frozen=True)
class TreeModel:
    """Fitted gradient-boosted regression trees over named features (log-loss), evaluated with numpy.

    Every tree is stored as flat node arrays padded to one width (``left``/``right`` child of each node,
    -1 at a leaf; the ``feature`` and ``threshold`` it splits on; ``value``, the leaf's contribution with
    the learning rate already applied). A row goes left when its feature is ``<= threshold``, as in
    scikit-learn, whose ``HistGradientBoostingClassifier`` `evals.fit` exports into this form.
    """

    features: tuple[str, ...]
    left: np.ndarray  # (trees, nodes) int
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray  # (trees, nodes) float
    value: np.ndarray
    bias: float  # the log-odds before any tree (the training prior)
    meta: dict

    @classmethod
    def from_dict(cls, data: dict) -> TreeModel:
        trees = data["trees"]
        width = max(len(t["left"]) for t in trees)

        def pad(key: str, fill: float, dtype: type) -> np.ndarray:
            return np.array([t[key] + [fill] * (width - len(t[key])) for t in trees], dtype=dtype)

        return cls(features=tuple(data["features"]), left=pad("left", -1, np.int64), right=pad("right", -1, np.int64),
                   feature=pad("feature", 0, np.int64), threshold=pad("threshold", 0.0, np.float64),
                   value=pad("value", 0.0, np.float64), bias=float(data["bias"]), meta=data.get("meta", {}))

    def to_dict(self) -> dict:
        trees = []
        for t in range(self.left.shape[0]):
            n = int(np.count_nonzero(self.left[t] != -1) * 2 + 1)  # a binary tree: leaves = splits + 1
            trees.append({"left": self.left[t, :n].tolist(), "right": self.right[t, :n].tolist(),
                          "feature": self.feature[t, :n].tolist(), "threshold": self.threshold[t, :n].round(7).tolist(),
                          "value": self.value[t, :n].round(7).tolist()})
        return {"kind": "trees", "features": list(self.features), "bias": round(self.bias, 7), "trees": trees,
                "meta": self.meta}

    @cached_property
    def _flat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
        """The trees as one node table: children as indices into it (a leaf its own child, so a row that
        reached a leaf stays there), the split feature and threshold, the leaf value, and the deepest leaf's depth."""
        trees, width = self.left.shape
        base = np.arange(trees)[:, None] * width
        here = base + np.arange(width)[None, :]
        leaf = self.left == -1
        left = np.where(leaf, here, self.left + base).ravel()
        right = np.where(leaf, here, self.right + base).ravel()
        depth, frontier = 0, base[:, 0]  # the roots; then every inner node's children, level by level
        while (inner := frontier[~leaf.ravel()[frontier]]).size:
            frontier, depth = np.concatenate([left[inner], right[inner]]), depth + 1
        return left, right, self.feature.ravel(), self.threshold.ravel(), self.value.ravel(), depth

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Log-odds for each row of ``x``: all trees walked at once, one level per step."""
        left, right, feature, threshold, value, depth = self._flat
        trees, width = self.left.shape
        rows = x.shape[0]
        node = np.repeat(np.arange(trees) * width, rows)  # (tree, row) pairs, tree-major
        row_start = np.tile(np.arange(rows) * x.shape[1], trees)  # where each pair's row begins in flat_x
        flat_x = np.ascontiguousarray(x, dtype=np.float64).ravel()
        for _ in range(depth):
            goes_left = flat_x[row_start + feature[node]] <= threshold[node]
            node = np.where(goes_left, left[node], right[node])
        return self.bias + value[node].reshape(trees, rows).sum(axis=0)

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.decision(x)))

    def score(self, x: np.ndarray) -> np.ndarray:
        """The probability: what the answerer ranks units by, as for a logistic model."""
        return self.probability(x)


Model = LinearModel | TreeModel


@cache
def packaged_model(name: str) -> Model | None:
    """The fitted model ``assistant/data/<name>.json``, or None before the first fit."""
    path = resources.files("assistant.data") / f"{name}.json"
    if not path.is_file():
        return None
    return model_from_dict(json.loads(path.read_text(encoding="utf-8")))


def model_from_dict(data: dict) -> Model:
    """A linear model, or boosted trees when the file says ``"kind": "trees"``."""
    return TreeModel.from_dict(data) if data.get("kind") == "trees" else LinearModel.from_dict(data)


