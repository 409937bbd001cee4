"""Scale: `assistant ingest ../shared/corpus-extra` (268 documents) end to end, then a no-op re-run.

Run alone: .venv/bin/python -m pytest tests/test_scale.py -m scale -q -s   (-s prints the figures)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.assistant import Assistant
from assistant.index.embedder import make_embedder
from assistant.index.manifest import Manifest
from assistant.index.paths import manifest_path
from assistant.settings import Settings
from ingest.pipeline import run_ingest

pytestmark = [pytest.mark.scale, pytest.mark.slow]

EXTRA = Path(__file__).resolve().parents[2] / "shared" / "corpus-extra"
CLI = Path(sys.executable).parent / "assistant"
QUESTION = "What is the fixed numerical value of the Planck constant in the definition of the kilogram?"
PLANCK = "6.62607015"  # verified in si-brochure-en-02-system-of-units.md and the 26th CGPM's Resolution 1


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


@pytest.mark.timeout(3600)
def test_corpus_extra_end_to_end(tmp_path: Path) -> None:
    if not EXTRA.is_dir():
        pytest.skip(f"{EXTRA} is not there")
    expected = sorted(p.name for p in EXTRA.glob("*.md") if p.name != "README.md")
    index = tmp_path / "index"
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(index)}
    done = subprocess.run([str(CLI), "ingest", str(EXTRA), "--no-progress"], env=env, capture_output=True,
                          text=True, timeout=3300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "documents in the index" in done.stdout
    print(f"\n{done.stdout}\nindex size on disk: {disk_mb(index):.1f} MB")

    settings = Settings(index_dir=index)
    manifest = Manifest(manifest_path(settings))
    docs = {d.doc_id: d for d in manifest.documents()}
    manifest.close()
    assert sorted(Path(d.meta["path"]).name for d in docs.values()) == expected

    # The embedder the CLI chose (ASSISTANT_EMBED_PRECISION=auto, measured and cached): answering and the
    # re-run below must use the same one, or the unit vectors stored per embedder are rightly made again.
    embedder = make_embedder(settings)
    answer = Assistant(settings, embedder=embedder).ask(QUESTION)
    assert not answer.abstained, answer.text
    assert any(PLANCK in c.quote for c in answer.citations), answer.citations
    for c in answer.citations:
        doc = docs[c.doc_id]
        assert doc.text[c.start : c.end] == c.quote  # verbatim from the document it names
        assert c.title == doc.title
        source_file = Path(doc.meta["path"])
        assert source_file.resolve().parent == EXTRA.resolve()
        if PLANCK in c.quote:
            assert PLANCK in source_file.read_text(encoding="utf-8")

    again = run_ingest(settings, [EXTRA], progress=False, embedder=embedder)
    print(f"re-run: {again.seconds:.1f} s, {again.unchanged} unchanged, {again.embedded} embedded")
    assert (again.unchanged, again.embedded, again.added, again.updated, again.removed) == (len(expected), 0, 0, 0, 0)
    assert again.skipped == []
