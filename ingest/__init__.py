"""Ingest: files → load → clean → chunk → embed → store (see `ingest.pipeline.run_ingest`)."""

from __future__ import annotations

__all__ = ["run_ingest"]


def __getattr__(name: str):  # lazy: `assistant --help` must not import torch
    if name == "run_ingest":
        from ingest.pipeline import run_ingest

        return run_ingest
    raise AttributeError(name)
