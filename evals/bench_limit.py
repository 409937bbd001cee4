"""The machine's limit: CPU features, the matmul peak of the kernels each backend really runs (torch fp32 and
bf16 for the torch backends; ONNX Runtime's fp32 MatMul and its int8 MatMulInteger, the u8×s8 QGemm that
the dynamically quantized model runs, for the ONNX backends), and each embedding backend's throughput as a
share of its own kernels' peak.

Run alone: ``.venv/bin/python -m evals.bench_limit --sample 400`` (prints JSON); `evals.bench` runs it in a
child process. Model arithmetic for all-MiniLM-L6-v2: each token passes 6 layers of 4·384² (attention
projections) + 2·384·1536 (feed-forward) weights, 10.6M multiply-adds = 21.2M FLOPs, plus attention
scores and mixing, 2·2·L·384 FLOPs per layer for a sequence of L tokens. Padding is not counted: it is waste.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

LAYERS, HIDDEN, FFN = 6, 384, 1536
WEIGHTS_PER_TOKEN = LAYERS * (4 * HIDDEN**2 + 2 * HIDDEN * FFN)  # 10,616,832
FLAGS_OF_INTEREST = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8",
                     "amx_tile")
# Torch (ATen dispatch) and oneDNN can be capped to a lower ISA by these variables; ONNX Runtime cannot: its
# MLAS kernels pick the ISA from CPUID at start, with no variable or session option to cap it.
ORT_ISA_NOTE = "ONNX Runtime has no ISA cap (MLAS reads CPUID): its figures use the CPU's full ISA"


def isa_limits() -> dict:
    """Torch / oneDNN ISA caps in force, and what they leave uncapped."""
    from assistant.index.precision import isa_limits as limits

    found = limits()
    return {**found, "note": ORT_ISA_NOTE} if found else {}
# Which matmul peak bounds each backend: the kernels its arithmetic runs on.
PEAK_FOR = {"fp32": "torch-fp32", "bf16": "torch-bf16", "onnx": "ort-fp32", "onnx-int8": "ort-int8"}
ORT_OPSET = 17


def flops_per_sequence(tokens: int) -> float:
    """FLOPs to encode one sequence of ``tokens`` tokens (weights plus attention, no padding)."""
    return tokens * (2.0 * WEIGHTS_PER_TOKEN + LAYERS * 2 * 2 * tokens * HIDDEN)


def cpu_info() -> dict:
    """CPU model, core count, the SIMD/matrix flags that matter here, and the load when measured."""
    model, flags = "unknown", set()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return {
        "model": model,
        "cores": os.cpu_count(),
        "flags": {f: f in flags for f in FLAGS_OF_INTEREST},
        "isa_limits": isa_limits(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "cpu_pressure_avg60": cpu_pressure(),
    }


def cpu_pressure() -> float | None:
    """Share of the last minute some task waited for a CPU (PSI, %): other load that slows wall times."""
    try:
        first = Path("/proc/pressure/cpu").read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return None
    fields = dict(part.split("=") for part in first.split()[1:])
    return float(fields["avg60"])


def _timed_loop(step: Callable[[], object], seconds: float) -> tuple[int, float, float]:
    """Run ``step`` repeatedly for about ``seconds``: (runs, wall seconds, CPU seconds of all threads)."""
    step()  # warm-up: kernel selection, allocation
    runs, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        step()
        runs += 1
    return runs, time.perf_counter() - wall0, time.process_time() - cpu0


def matmul_peak(kind: str, seconds: float = 2.0, n: int = 2048, threads: int = 2) -> dict:
    """Sustained n×n matmul throughput in GFLOP/s (GOP/s for int8) of the kernels named by ``kind``."""
    library, dtype = kind.split("-")
    step = _torch_matmul(dtype, n, threads) if library == "torch" else _ort_matmul(dtype, n, threads)
    runs, wall, cpu = _timed_loop(step, seconds)
    work = 2.0 * n**3 * runs / 1e9
    return {"gflops": round(work / wall, 1), "gflops_per_cpu_s": round(work / cpu, 1), "threads": threads,
            "n": n, "kernel": {"torch": "torch.matmul", "ort": "MatMul" if dtype == "fp32" else "MatMulInteger"}[library]}


def _torch_matmul(dtype: str, n: int, threads: int) -> Callable[[], object]:
    import torch

    torch.set_num_threads(threads)
    kind = {"fp32": torch.float32, "bf16": torch.bfloat16}[dtype]
    a, b = torch.randn(n, n, dtype=kind), torch.randn(n, n, dtype=kind)
    return lambda: a @ b


def _ort_matmul(dtype: str, n: int, threads: int) -> Callable[[], object]:
    """One-node ONNX Runtime graph: A (input, as activations are) times B (an initializer, as weights are,
    so ORT prepacks it). int8 is MatMulInteger uint8 × int8 → int32, what quantize_dynamic emits."""
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    if dtype == "int8":
        a = rng.integers(0, 256, (n, n), dtype=np.uint8)
        b = rng.integers(-127, 128, (n, n), dtype=np.int8)
        node, a_type, y_type = helper.make_node("MatMulInteger", ["A", "B"], ["Y"]), TensorProto.UINT8, TensorProto.INT32
    else:
        a, b = rng.standard_normal((n, n), dtype=np.float32), rng.standard_normal((n, n), dtype=np.float32)
        node, a_type, y_type = helper.make_node("MatMul", ["A", "B"], ["Y"]), TensorProto.FLOAT, TensorProto.FLOAT
    graph = helper.make_graph([node], "peak", [helper.make_tensor_value_info("A", a_type, [n, n])],
                              [helper.make_tensor_value_info("Y", y_type, [n, n])],
                              initializer=[numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", ORT_OPSET)])
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # as the embedder runs it
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return lambda: session.run(None, {"A": a})


def make_backend(precision: str, threads: int, batch_size: int = 64):
    """An embedder for ``precision`` (fp32, bf16, onnx, onnx-int8), built directly (no settings, no cache)."""
    from assistant.index.embedder import MiniLMEmbedder, OnnxEmbedder

    if precision.startswith("onnx"):
        return OnnxEmbedder(precision, threads, batch_size)
    return MiniLMEmbedder(precision, threads, batch_size)


def token_lengths(texts: Sequence[str]) -> list[int]:
    """Tokens per text as the model sees them (with [CLS]/[SEP], truncated at its max length)."""
    from assistant.index.embedder import load_tokenizer, packaged_model_dir

    tokenizer = load_tokenizer(packaged_model_dir())
    return [len(e.ids) for e in tokenizer.encode_batch(list(texts))]


def embed_throughput(embedder, texts: list[str], lengths: list[int]) -> tuple[dict, np.ndarray]:
    """Chunks/s, tokens/s and useful GFLOP/s of ``embedder`` on ``texts`` (after a small warm-up)."""
    embedder.embed(texts[:16])
    wall0, cpu0 = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    flops = sum(flops_per_sequence(n) for n in lengths)
    return {
        "chunks": len(texts), "tokens": sum(lengths), "seconds": round(wall, 3), "cpu_seconds": round(cpu, 3),
        "chunks_per_s": round(len(texts) / wall, 1), "tokens_per_s": round(sum(lengths) / wall),
        "gflops": round(flops / wall / 1e9, 1), "gflops_per_cpu_s": round(flops / cpu / 1e9, 1),
    }, vectors


def sample_texts(paths: Sequence[Path], n: int, seed: int = 0) -> list[str]:
    """``n`` distinct chunk texts, exactly as our ingest would embed them, sampled from ``paths``."""
    from ingest.build import build_document
    from ingest.chunk import chunk_document, embedding_text, make_splitter
    from ingest.load import Skip, discover, load

    splitter = make_splitter(800, 100)
    texts: set[str] = set()
    for path in discover(list(paths)):
        try:
            doc = build_document(load(path, 50_000_000), "bench")
        except Skip:
            continue
        texts.update(embedding_text(doc, c) for c in chunk_document(doc, splitter))
    ordered = sorted(texts)
    random.Random(seed).shuffle(ordered)
    return ordered[:n]


def _share(result: dict, peak: dict) -> dict:
    return {
        "share_of_peak": round(result["gflops"] / peak["gflops"], 3),
        "share_of_peak_cpu": round(result["gflops_per_cpu_s"] / peak["gflops_per_cpu_s"], 3),
    }


def runnable(backends: Sequence[str]) -> list[str]:
    """``backends`` without bf16 where the CPU has no native bf16 or an ISA cap hides it: emulated bf16
    is no candidate (auto's probe skips it too), and one emulated 2048² matmul takes minutes."""
    from assistant.index.precision import cpu_model_and_flags, isa_limits, native_bf16

    native = native_bf16(cpu_model_and_flags()[1], isa_limits())
    return [b for b in backends if b != "bf16" or native]


def run_limit(texts: list[str], backends: Sequence[str], seconds: float = 2.0, threads: int = 2) -> dict:
    """Peaks, then each backend's throughput on ``texts``, its share of the peak and its agreement with fp32."""
    info = cpu_info()
    backends = runnable(backends)
    kinds = sorted({PEAK_FOR.get(b, "torch-fp32") for b in backends})
    peaks = {kind: matmul_peak(kind, seconds, threads=threads) for kind in kinds}
    lengths = token_lengths(texts)
    results: dict[str, dict] = {}
    vectors: dict[str, np.ndarray] = {}
    for precision in backends:
        load0 = time.perf_counter()
        embedder = make_backend(precision, threads)
        load_s = time.perf_counter() - load0
        result, vectors[precision] = embed_throughput(embedder, texts, lengths)
        peak_kind = PEAK_FOR.get(precision, "torch-fp32")
        results[precision] = {**result, "load_s": round(load_s, 2), "peak": peak_kind,
                              **_share(result, peaks[peak_kind])}
        del embedder
    if "fp32" in vectors:
        for precision, v in vectors.items():
            cosine = (v * vectors["fp32"]).sum(axis=1)
            results[precision]["cosine_to_fp32"] = {"mean": round(float(cosine.mean()), 5),
                                                    "min": round(float(cosine.min()), 5)}
    info["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    info["cpu_pressure_avg60_after"] = cpu_pressure()
    mean_tokens = sum(lengths) / max(len(lengths), 1)
    return {"cpu": info, "peaks": peaks, "backends": results, "sample": {
        "texts": len(texts), "mean_tokens": round(mean_tokens, 1),
        "gflop_per_text": round(sum(map(flops_per_sequence, lengths)) / max(len(lengths), 1) / 1e9, 3)}}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paths", nargs="+", type=Path, default=[Path("corpus"), Path("../shared/corpus-extra")],
                        help="Documents to sample chunk texts from.")
    parser.add_argument("--sample", type=int, default=400, help="Chunk texts to embed per backend.")
    parser.add_argument("--seconds", type=float, default=2.0, help="Seconds per matmul peak measurement.")
    parser.add_argument("--threads", type=int, default=2, help="Threads for torch and ONNX Runtime.")
    parser.add_argument("--backends", default="fp32,bf16,onnx,onnx-int8", help="Comma-separated precisions.")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = sample_texts(args.paths, args.sample)
    report = run_limit(texts, [b for b in args.backends.split(",") if b], args.seconds, args.threads)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
