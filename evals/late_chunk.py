"""Would late chunking keep the answerer's dense signal? (a measurement for issue 16, not a product path)

Today each answer unit is embedded at ingest as its own text ("section: text"). Late chunking would instead
take the mean of the chunk's contextual token states over the unit's span, so units cost no embedding of their
own. For each answerable question with quotes, this ranks the evidence units by cosine to the question with
both kinds of vectors and reports the unit hit@1/@3 of a supporting unit, and how far the two vectors agree.

    python -m evals.late_chunk --index-dir DIR [--sets gold,holdout,dev]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evals.fit import load_items
from evals.textmatch import quote_matches

TOP = (1, 3)


class Pooler:
    """Unit vectors pooled from the token states of the embedding text of the chunk that holds the unit."""

    def __init__(self, bot) -> None:
        from assistant.index.embedder import load_tokenizer, packaged_model_dir

        self.bot = bot
        self.runner = bot.embedder.runner  # the ONNX embedder (the default on every machine measured)
        self.tokenizer = load_tokenizer(packaged_model_dir())
        self._states: dict[str, tuple[np.ndarray, list[tuple[int, int]]]] = {}

    def states(self, text: str) -> tuple[np.ndarray, list[tuple[int, int]]]:
        if text not in self._states:
            encoding = self.tokenizer.encode(text)
            ids = np.array([encoding.ids], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
            hidden = self.runner.session.run(None, {n: feed[n] for n in self.runner.inputs})[0][0]
            self._states[text] = (hidden, encoding.offsets)
        return self._states[text]

    def vector(self, unit, passages, corpus) -> np.ndarray | None:
        from assistant.index.embedder import _normalize
        from ingest.chunk import embedding_text

        for p in passages:
            c = p.chunk
            if c.doc_id != unit.doc_id or not (c.start <= unit.start and unit.end <= c.end):
                continue
            text = embedding_text(corpus.documents[c.doc_id], c)
            start = text.rfind(c.text) + unit.start - c.start
            end = start + unit.end - unit.start
            hidden, offsets = self.states(text)
            rows = [i for i, (a, b) in enumerate(offsets) if b > a and a >= start and b <= end]
            if rows:
                return _normalize(hidden[rows].mean(axis=0, keepdims=True))[0]
        return None


def measure(bot, items: list[dict]) -> dict[str, float]:
    pooler, corpus = Pooler(bot), bot.corpus()
    hits = {f"{kind}@{k}": 0 for kind in ("stored", "pooled") for k in TOP}
    agreement: list[float] = []
    scored = 0
    for item in items:
        history = item.get("history") or []
        _, ev = bot.evidence(item["question"], history=history)
        passages = bot.retrieve(item["question"], history=history)
        pooled = [pooler.vector(u, passages, corpus) for u in ev.units]
        keep = [i for i, v in enumerate(pooled) if v is not None]
        y = np.array([any(quote_matches(q, ev.units[i].text) for q in item["quotes"]) for i in keep], dtype=bool)
        if not y.any():
            continue
        scored += 1
        stored_m, pooled_m = ev.vectors[keep], np.stack([pooled[i] for i in keep])
        agreement += list(np.sum(stored_m * pooled_m, axis=1))
        for kind, m in (("stored", stored_m), ("pooled", pooled_m)):
            order = np.argsort(-(m @ ev.question_vector))
            for k in TOP:
                hits[f"{kind}@{k}"] += bool(y[order[:k]].any())
    out = {name: round(v / max(scored, 1), 3) for name, v in hits.items()}
    out["questions"] = scored
    out["median_cosine_stored_pooled"] = round(float(np.median(agreement)), 3) if agreement else float("nan")
    return out


def main(argv: list[str] | None = None) -> int:
    from assistant import Assistant
    from assistant.settings import load_settings

    p = argparse.ArgumentParser(prog="python -m evals.late_chunk", description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, required=True, help="an index built with ONNX embeddings")
    p.add_argument("--sets", default="gold,holdout,dev", help="comma-separated question sets of evals/")
    args = p.parse_args(argv)
    bot = Assistant.from_settings(load_settings(index_dir=args.index_dir))
    items = [i for i in load_items(tuple(args.sets.split(","))) if i.get("answerable") and i.get("quotes")]
    print(measure(bot, items))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
