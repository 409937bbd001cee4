"""`ASSISTANT_EMBED_PRECISION=auto`: chosen by measurement, cached per machine and model, shown by `info`.

The probe's logic is tested with deterministic fake backends (which one is faster is set, not timed); the
real backends are tested once (slow) for agreement with sentence-transformers and for the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.index import precision as P
from assistant.settings import Settings


class FakeClock:
    """Stands in for `time` in the probe: only the fake backends advance it, so no test depends on load."""

    now = 0.0

    @classmethod
    def perf_counter(cls) -> float:
        return cls.now


@pytest.fixture(autouse=True)
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "time", FakeClock)


class FakeBackend:
    """Takes ``delay`` fake seconds per call and returns fixed vectors turned by ``angle`` (radians)."""

    def __init__(self, delay: float, angle: float = 0.0) -> None:
        self.delay, self.angle = delay, angle

    def embed(self, texts: list[str]) -> np.ndarray:
        FakeClock.now += self.delay
        out = np.zeros((len(texts), 384), dtype=np.float32)
        out[:, 0], out[:, 1] = np.cos(self.angle), np.sin(self.angle)
        return out


def fake_build(spec: dict[str, FakeBackend]):
    def build(precision: str, threads: int) -> FakeBackend:
        if precision not in spec:
            raise RuntimeError(f"{precision} is not installed")
        return spec[precision]

    return build


def test_probe_picks_the_fastest_backend_that_agrees_with_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "available", lambda candidates, flags, limits: list(candidates))
    spec = {"fp32": FakeBackend(0.03), "bf16": FakeBackend(0.02), "onnx": FakeBackend(0.01),
            "onnx-int8": FakeBackend(0.005, angle=0.3)}  # fastest, but cosine 0.955 < 0.98
    choice = P.probe(2, 0.98, build=fake_build(spec))
    assert choice.precision == "onnx"
    assert choice.figures["onnx-int8"]["agrees"] is False
    assert choice.figures["onnx-int8"]["cos_min"] == pytest.approx(np.cos(0.3), abs=1e-4)
    assert all(choice.figures[p]["agrees"] for p in ("fp32", "bf16", "onnx"))
    assert "onnx" in choice.reason and "fp32" in choice.reason


def test_a_backend_that_fails_is_recorded_and_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "available", lambda candidates, flags, limits: list(candidates))
    choice = P.probe(2, 0.98, build=fake_build({"fp32": FakeBackend(0.02), "onnx-int8": FakeBackend(0.005)}))
    assert choice.precision == "onnx-int8"
    assert "not installed" in choice.figures["onnx"]["error"]


def test_without_torch_onnx_fp32_is_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(P, "available", lambda candidates, flags, limits: ["onnx", "onnx-int8"])
    choice = P.probe(2, 0.98, build=fake_build({"onnx": FakeBackend(0.02), "onnx-int8": FakeBackend(0.005, 0.5)}))
    assert choice.precision == "onnx"
    assert "agreeing with onnx" in choice.reason


def test_bf16_is_a_candidate_only_where_native_and_not_capped_to_avx2() -> None:
    assert P.native_bf16({"avx512_bf16"}, {})
    assert P.native_bf16({"amx_bf16"}, {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_AMX"})
    assert not P.native_bf16({"avx512_bf16"}, {"ONEDNN_MAX_CPU_ISA": "AVX2"})
    assert not P.native_bf16({"avx512_bf16"}, {"ATEN_CPU_CAPABILITY": "avx2"})
    assert not P.native_bf16({"avx2", "fma"}, {})


def test_isa_limits_and_threads_change_the_cache_key(monkeypatch: pytest.MonkeyPatch) -> None:
    base = P.cache_key(P.machine(2), 0.98)
    assert P.cache_key(P.machine(2), 0.98) == base
    assert P.cache_key(P.machine(1), 0.98) != base
    assert P.cache_key(P.machine(2), 0.99) != base
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "avx2")
    assert P.cache_key(P.machine(2), 0.98) != base


def test_choice_is_probed_once_then_read_from_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[int] = []

    def fake_probe(threads: int, min_cosine: float, candidates: object) -> P.Choice:
        calls.append(threads)
        return P.Choice(precision="onnx", reason="test", key=P.cache_key(P.machine(threads), min_cosine),
                        machine=P.machine(threads), figures={"onnx": {"seconds": 0.1, "ms_per_text": 10.0}},
                        min_cosine=min_cosine, measured_at="2026-01-01T00:00:00+00:00")

    monkeypatch.setattr(P, "probe", fake_probe)
    cache = tmp_path / "precision.json"
    settings = Settings(threads=2)
    assert P.cached_choice(settings, cache) is None
    first = P.choose(settings, cache)
    second = P.choose(settings, cache)
    assert calls == [2]
    assert (first.precision, first.cached, second.precision, second.cached) == ("onnx", False, "onnx", True)
    P.choose(Settings(threads=1), cache)  # another thread count is another measurement, kept beside
    assert calls == [2, 1]
    assert len(json.loads(cache.read_text(encoding="utf-8"))["choices"]) == 2


def test_describe_never_probes_and_names_an_explicit_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(P, "probe", lambda *a, **k: pytest.fail("describe must not probe"))
    assert P.describe(Settings(embed_precision="fp32"), tmp_path / "c.json")["source"] == "ASSISTANT_EMBED_PRECISION"
    info = P.describe(Settings(), tmp_path / "c.json")
    assert info["precision"] is None and "not measured" in P.summary_line(info)


def test_min_cosine_is_a_validated_setting() -> None:
    from assistant.errors import SettingsError
    from assistant.settings import load_settings

    with pytest.raises(SettingsError, match="embed_min_cosine"):
        load_settings(embed_min_cosine=1.5)


@pytest.mark.slow
def test_plain_torch_forward_gives_sentence_transformers_vectors(torch_embedder) -> None:
    texts = [*P.PROBE_TEXTS, "metre " * 300]
    reference = torch_embedder.embed(texts) if torch_embedder.precision == "fp32" else None
    if reference is None:
        from assistant.index.embedder import MiniLMEmbedder

        reference = MiniLMEmbedder("fp32", threads=2).embed(texts)
    for precision, floor in (("fp32", 0.99999), ("bf16", 0.999)):
        vectors = P.TorchForward(precision, threads=2).embed(texts)
        assert vectors.shape == (len(texts), 384)
        assert (vectors * reference).sum(axis=1).min() > floor


@pytest.mark.slow
def test_real_probe_is_cached_and_shown_by_info(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from assistant.interfaces.cli import app

    choice = P.choose(Settings(threads=2))
    assert choice.precision in P.CANDIDATES
    assert choice.figures[choice.precision]["agrees"] is True
    assert choice.figures["fp32"]["cos_min"] == 1.0
    ran = [p for p, f in choice.figures.items() if "seconds" in f]
    assert choice.figures[choice.precision]["seconds"] == min(
        choice.figures[p]["seconds"] for p in ran if choice.figures[p]["agrees"])
    monkeypatch.setattr(P, "probe", lambda *a, **k: pytest.fail("a cached choice must not be probed again"))
    assert P.choose(Settings(threads=2)).cached is True

    from assistant.index.embedder import make_embedder

    index = tmp_path / "index"
    from ingest.pipeline import run_ingest

    run_ingest(Settings(index_dir=index, threads=2), [Path(__file__).parents[1] / "corpus"], progress=False)
    assert make_embedder(Settings(threads=2)).name.endswith(f"({choice.precision})")
    result = CliRunner().invoke(app, ["info", "--index-dir", str(index), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)["embed_backend"]
    assert shown["precision"] == choice.precision and shown["source"] == "auto: measured"
    text = CliRunner().invoke(app, ["info", "--index-dir", str(index)]).output
    assert f"embedding backend: {choice.precision} (auto: measured" in text


def test_another_probe_batch_is_measured_again(monkeypatch: pytest.MonkeyPatch) -> None:
    base = P.cache_key(P.machine(2), 0.98)
    monkeypatch.setattr(P, "PROBE_TEXTS", (*P.PROBE_TEXTS, "one more text"))
    assert P.cache_key(P.machine(2), 0.98) != base


@pytest.mark.slow
def test_int8_gives_each_text_one_vector_alone_in_a_list_or_on_parallel_workers() -> None:
    """A long list runs on one worker per core (one text per run each); the vectors are those of the
    texts embedded one at a time on the latency session, bit for bit."""
    from assistant.index.embedder import PARALLEL_MIN_TEXTS, OnnxEmbedder

    embedder = OnnxEmbedder("onnx-int8", threads=2)
    texts = [f"{text} ({n})" for n in range(PARALLEL_MIN_TEXTS // len(P.PROBE_TEXTS) + 1) for text in P.PROBE_TEXTS]
    together = embedder.embed(texts)
    assert embedder.runner._workers_session is not None  # the parallel path ran
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert together.shape == (len(texts), 384) and np.array_equal(together, alone)
