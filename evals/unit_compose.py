"""Could answer units be embedded for less? (a measurement for issue 16, not a product path)

Ingest embeds every answer unit as the string "section: text", so a heading is re-read in every unit under it
(30 % of the unit tokens on corpus/ + corpus-extra). Composing instead embeds each distinct unit text and each
distinct heading once and takes ``normalize(v(text) + w · v(heading))``: about 40 % fewer unit tokens.

For every answerable question with quotes, the answerer's evidence units are ranked by cosine to the question
with vectors composed at each weight of `GRID`, and with the stored "section: text" vectors as the baseline; a
question scores when a unit holding a supporting quote ranks first (hit@1) or in the top 3. It reports the best
weight on the fit sets, grouped cross-validated figures (weight chosen on the other folds) and the check sets
at that weight (never used to choose). Results and why it was not built: docs/benchmark.md (fifth session).

    python -m evals.unit_compose --index-dir LARGE --also-index-dir SEED [--check blind blind6 blind7] [--out F]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from evals.fit import FIT_SETS, FOLDS, file_hashes, fold_group, held_items, load_items, make_bot

GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0, 1.2)
TOP = (1, 3)
BASELINE = "section: text"


def texts_to_embed(units) -> list[str]:
    """Each distinct unit text and section heading of ``units``, once, in first-seen order."""
    return list(dict.fromkeys([u.text for u in units] + [u.section for u in units if u.section]))


def compose(units, vectors: dict[str, np.ndarray], dim: int, weight: float) -> np.ndarray:
    """(len(units), dim): each unit's text vector plus ``weight`` × its heading's, at unit length."""
    if not units:
        return np.zeros((0, dim), dtype=np.float32)
    from assistant.index.embedder import _normalize

    return _normalize(np.stack([vectors[u.text] + (weight * vectors[u.section] if u.section else 0.0) for u in units]))


def question_hits(bot, items: list[dict], cache: dict[str, np.ndarray]) -> list[tuple[dict, dict]]:
    """(item, {weight or BASELINE: (hit@1, hit@3)}) for each question whose evidence holds a supporting unit."""
    from evals.textmatch import quote_matches

    out = []
    for item in items:
        if not item.get("answerable") or not item.get("quotes"):
            continue
        _, ev = bot.evidence(item["question"], history=item.get("history") or [])
        units = list(ev.units)
        y = np.array([any(quote_matches(q, u.text) for q in item["quotes"]) for u in units], dtype=bool)
        if not y.any():
            continue
        whole = [f"{u.section}: {u.text}" for u in units]
        new = [t for t in dict.fromkeys(texts_to_embed(units) + whole) if t not in cache]
        if new:
            cache.update(zip(new, bot.embedder.embed(new), strict=True))
        variants = {w: compose(units, cache, bot.embedder.dim, w) for w in GRID}
        variants[BASELINE] = np.stack([cache[t] for t in whole])
        hits = {}
        for key, m in variants.items():
            order = np.argsort(-(m @ ev.question_vector), kind="stable")
            hits[key] = tuple(bool(y[order[:k]].any()) for k in TOP)
        out.append((item, hits))
    return out


def summary(rows: list[tuple[dict, dict]], key) -> dict[str, float]:
    n = max(len(rows), 1)
    return {f"hit_at_{k}": round(sum(h[key][i] for _, h in rows) / n, 4) for i, k in enumerate(TOP)}


def best_weight(rows: list[tuple[dict, dict]]) -> float:
    """The grid weight with the highest mean of hit@1 and hit@3 (the smaller weight on a tie)."""
    return max(GRID, key=lambda w: (sum(sum(h[w]) for _, h in rows), -w))


def cross_validated(rows: list[tuple[dict, dict]]) -> dict[str, float]:
    """Each fold of documents scored at the weight chosen on the other folds."""
    groups = sorted({fold_group(i) for i, _ in rows})
    fold_of = {g: n % FOLDS for n, g in enumerate(groups)}
    held: list[tuple[dict, dict]] = []
    chosen = []
    for f in range(FOLDS):
        train = [r for r in rows if fold_of[fold_group(r[0])] != f]
        test = [r for r in rows if fold_of[fold_group(r[0])] == f]
        w = best_weight(train)
        chosen.append(w)
        held += [(i, {"cv": h[w]}) for i, h in test]
    return summary(held, "cv") | {"weights_chosen": chosen}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.unit_compose", description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, required=True, help="the index the training sets are about")
    p.add_argument("--also-index-dir", type=Path, action="append", default=[],
                   help="also score the sets whose documents this index holds (seed sets on corpus/)")
    p.add_argument("--sets", nargs="+", default=list(FIT_SETS))
    p.add_argument("--check", nargs="*", default=["blind", "blind6", "blind7"],
                   help="sets reported at the chosen weight, never used to choose it")
    p.add_argument("--out", type=Path, default=None, help="also write the figures here (JSON)")
    args = p.parse_args(argv)
    bots = [make_bot(args.index_dir, [])] + [make_bot(d, []) for d in args.also_index_dir]
    cache: dict[str, np.ndarray] = {}

    def score(names: list[str]) -> list[tuple[dict, dict]]:
        """On the main index all sets; on each other index, again, the sets whose documents it holds."""
        items = load_items(tuple(names))
        rows = question_hits(bots[0], items, cache)
        for bot in bots[1:]:
            rows += question_hits(bot, held_items(bot, items), cache)
        return rows

    rows = score(args.sets)
    weight = best_weight(rows)
    by_set: dict[str, list] = defaultdict(list)
    for r in rows:
        by_set[r[0]["_set"]].append(r)
    check = score(args.check) if args.check else []
    figures = {
        "fit": {"questions": len(rows), "chosen": summary(rows, weight), "baseline": summary(rows, BASELINE),
                "grid": {str(w): summary(rows, w) for w in GRID}},
        "cv": cross_validated(rows),
        "per_set": {s: {"chosen": summary(r, weight), "baseline": summary(r, BASELINE), "questions": len(r)}
                    for s, r in sorted(by_set.items())},
        "check": {"sets": file_hashes(tuple(args.check)), "questions": len(check),
                  "chosen": summary(check, weight), "baseline": summary(check, BASELINE)},
    }
    data = {"best_weight": weight, "measured": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "sets": file_hashes(tuple(args.sets)), "grid": list(GRID),
            "objective": "mean of unit hit@1 and hit@3 of a supporting unit among the answerer's evidence units",
            **figures}
    if args.out:
        args.out.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(data, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
