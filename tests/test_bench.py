"""The benchmark's plumbing (evals/bench*.py) and the ONNX embedder backend. Behaviour only, never timing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from evals.bench import growth, ratios, recommend, summarize_ms
from evals.bench_limit import WEIGHTS_PER_TOKEN, flops_per_sequence

ROOT = Path(__file__).resolve().parents[1]


def _side(chunks_per_s: float, p95: float, rss: float) -> dict:
    return {
        "ingest": {"chunks_per_s": chunks_per_s, "docs_per_s": 1.0, "seconds": 10.0, "peak_rss_mb": rss},
        "query": {"retrieve_ms": {"p50": 5.0, "p95": p95}, "answer_ms": {"p50": 10.0, "p95": 2 * p95},
                  "answer_cpu_ms": {"p95": p95}, "cold_start_s": 3.0, "peak_rss_mb": rss},
    }


def test_ratios_are_ours_over_peer_and_growth_is_large_over_small() -> None:
    ours, peer = _side(300.0, 20.0, 400.0), _side(100.0, 40.0, 800.0)
    r = ratios(ours, peer)
    assert r["chunks_per_s"] == 3.0
    assert r["retrieve_p95_ms"] == 0.5
    assert r["ingest_peak_rss_mb"] == 0.5
    g = growth({"small": peer, "large": ours})
    assert g["chunks_per_s"] == 3.0


def test_ratio_is_none_when_a_side_is_missing() -> None:
    ours, peer = _side(300.0, 20.0, 400.0), _side(0.0, 40.0, 800.0)
    assert ratios(ours, peer)["chunks_per_s"] is None


def test_flops_count_weights_twice_per_token_plus_attention() -> None:
    assert WEIGHTS_PER_TOKEN == 6 * (4 * 384**2 + 2 * 384 * 1536)
    assert flops_per_sequence(1) == 2 * WEIGHTS_PER_TOKEN + 6 * 4 * 384
    assert flops_per_sequence(100) == 100 * (2 * WEIGHTS_PER_TOKEN + 6 * 4 * 100 * 384)


def test_summarize_ms_gives_percentiles() -> None:
    s = summarize_ms([float(x) for x in range(1, 101)])
    assert s["p50"] == 50.5 and s["max"] == 100.0 and s["n"] == 100
    assert 95 <= s["p95"] <= 96


def test_recommend_takes_the_fastest_precision_within_one_point_of_fp32() -> None:
    gold = {
        "fp32": {"hit_at_1": 0.80, "hit_at_5": 0.95, "answer_accuracy": 0.70},
        "fast": {"hit_at_1": 0.795, "hit_at_5": 0.95, "answer_accuracy": 0.70},
        "fastest": {"hit_at_1": 0.70, "hit_at_5": 0.95, "answer_accuracy": 0.70},
    }
    speed = {p: {"chunks": 100, "cpu_seconds": s} for p, s in (("fp32", 10.0), ("fast", 5.0), ("fastest", 1.0))}
    best, reason = recommend(gold, speed)
    assert best == "fast"
    assert "'fastest'" not in reason


@pytest.mark.slow
def test_onnx_backends_agree_with_torch_and_reuse_their_export(torch_embedder, tmp_path: Path) -> None:
    from assistant.index.embedder import OnnxEmbedder

    texts = ["What is the SI?", "Qui a le droit de demander un détachement au BIPM ?", "", "metre " * 300]
    reference = torch_embedder.embed(texts)
    fp32 = OnnxEmbedder("onnx", threads=2, cache_dir=tmp_path)
    exported = sorted(tmp_path.rglob("*.onnx"))
    int8 = OnnxEmbedder("onnx-int8", threads=2, cache_dir=tmp_path)
    assert sorted(tmp_path.rglob("*.onnx")) == exported  # int8 came from the same export, no second one
    for backend, floor in ((fp32, 0.999), (int8, 0.95)):
        vectors = backend.embed(texts)
        assert vectors.shape == (4, 384) and vectors.dtype == np.float32
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
        assert (vectors * reference).sum(axis=1).min() > floor
    assert int8.embed([]).shape == (0, 384)
    # int8 quantizes activations per run: one text per run gives each text one vector, whatever its batch.
    alone = np.stack([int8.embed([t])[0] for t in texts])
    assert np.array_equal(int8.embed(texts), alone) and np.array_equal(int8.embed(texts[::-1])[::-1], alone)


@pytest.mark.slow
def test_quick_benchmark_writes_every_figure_and_ratio(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for source in sorted((ROOT / "corpus").glob("*.txt"))[:2]:
        (corpus / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    (corpus / "third.md").write_text("# The metre\n\nThe metre is the SI unit of length.\n", encoding="utf-8")
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "evals.bench", "--quick", "--skip-large", "--small", str(corpus),
           "--backends", "fp32", "--precision", "fp32", "--questions", "2", "--gold-limit", "3", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    for key in ("date", "limit", "precisions", "auto", "corpora", "ours", "peer", "ratios", "targets"):
        assert key in report
    assert report["corpora"]["small"]["documents"] == 3
    ours, peer = report["ours"]["small"], report["peer"]["small"]
    assert ours["ingest"]["documents"] == peer["ingest"]["documents"] == 3
    assert report["ratios"]["small"]["chunks_per_s"] == round(
        ours["ingest"]["chunks_per_s"] / peer["ingest"]["chunks_per_s"], 2)
    assert report["ratios"]["small"]["answer_p95_ms"] == round(
        ours["query"]["answer_ms"]["p95"] / peer["query"]["answer_ms"]["p95"], 2)
    assert set(report["limit"]["peaks"]) == {"torch-fp32"}  # the kernels of the one backend measured
    assert report["limit"]["backends"]["fp32"]["peak"] == "torch-fp32"
    choice = report["choice"]
    assert choice["precision"] in choice["figures"] and choice["figures"][choice["precision"]]["agrees"]
    assert report["auto"]["current"] == choice["precision"]
    assert f"auto chose {choice['precision']}" in proc.stdout and report["limit"]["cpu"]["model"] in proc.stdout
    assert report["auto"]["recommended"] == "fp32"
    assert all(t["met"] in (True, False) for t in report["targets"])
    assert "ours/peer" in proc.stdout


def test_each_backend_is_bounded_by_the_peak_of_its_own_kernels() -> None:
    from evals.bench_limit import PEAK_FOR, matmul_peak

    assert PEAK_FOR == {"fp32": "torch-fp32", "bf16": "torch-bf16", "onnx": "ort-fp32", "onnx-int8": "ort-int8"}
    int8 = matmul_peak("ort-int8", seconds=0.05, n=128, threads=1)
    fp32 = matmul_peak("ort-fp32", seconds=0.05, n=128, threads=1)
    assert (int8["kernel"], fp32["kernel"]) == ("MatMulInteger", "MatMul")
    assert int8["gflops"] > 0 and fp32["gflops"] > 0


def test_the_report_names_the_machine_its_isa_limits_and_auto_choice() -> None:
    from evals.bench import machine_lines

    report = {
        "date": "2026-12-01", "precision": "onnx-int8",
        "limit": {"cpu": {"model": "Some CPU", "cores": 2, "loadavg": [0.1], "cpu_pressure_avg60": 1.0,
                          "flags": {"avx2": True, "avx512f": False},
                          "isa_limits": {"ATEN_CPU_CAPABILITY": "avx2", "note": "ONNX Runtime has no ISA cap"}}},
        "choice": {"precision": "onnx-int8", "cached": False, "probe_seconds": 3.2, "measured_at": "x",
                   "machine": {"flags": ["avx2"]},
                   "figures": {"fp32": {"seconds": 1.0, "ms_per_text": 100.0, "cos_min": 1.0},
                               "onnx-int8": {"seconds": 0.2, "ms_per_text": 20.0, "cos_min": 0.99},
                               "bf16": {"error": "absent"}}},
    }
    text = "\n".join(machine_lines(report))
    assert "cpu Some CPU x2" in text and "flags avx2" in text and "avx512f" not in text
    assert "ISA limits {'ATEN_CPU_CAPABILITY': 'avx2'} (emulated" in text and "no ISA cap" in text
    assert "auto chose onnx-int8" in text and text.index("onnx-int8 20.0") < text.index("fp32 100.0")
    assert "bf16 failed" in text


def test_emulated_bf16_is_not_benchmarked(monkeypatch: pytest.MonkeyPatch) -> None:
    from evals.bench_limit import runnable

    monkeypatch.setattr("assistant.index.precision.cpu_model_and_flags", lambda: ("cpu", {"avx512_bf16"}))
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    assert runnable(["fp32", "bf16", "onnx-int8"]) == ["fp32", "bf16", "onnx-int8"]
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert runnable(["fp32", "bf16", "onnx-int8"]) == ["fp32", "onnx-int8"]


def test_latency_asks_each_question_without_history_once_or_each_follow_up_with_its_history(tmp_path: Path) -> None:
    from evals.latency import questions

    qs = tmp_path / "q.jsonl"
    earlier = [{"role": "user", "content": "Who may take part?"}]
    qs.write_text("\n".join(json.dumps(i) for i in (
        {"question": "Who may take part?"},
        {"question": "And how?", "history": earlier},
        {"question": "Is travel reimbursed?"})) + "\n", encoding="utf-8")
    assert questions([qs]) == [("Who may take part?", []), ("Is travel reimbursed?", [])]
    assert questions([qs], follow_ups=True) == [("And how?", earlier)]


@pytest.mark.slow
def test_latency_reports_one_line_per_fresh_process(built_index: Path, tmp_path: Path) -> None:
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"question": "Who may take part in an exchange?"}) + "\n"
                  + json.dumps({"question": "Is travel reimbursed?"}) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "evals.latency", "--index-dir", str(built_index), str(qs),
                           "--rounds", "2"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=300)
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 2
    for figures in lines:
        assert figures["n"] == 2 and 0 < figures["p50_ms"] <= figures["p95_ms"]
        assert set(figures) == {"n", "p50_ms", "p95_ms", "mean_ms", "cpu_per_question_ms"}
