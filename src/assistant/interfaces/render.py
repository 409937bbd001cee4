"""Plain-text renderings shared by the CLI and the UI: an answer with its sources, and index facts."""

from __future__ import annotations

import textwrap
from typing import Any

from assistant.safety.terminal import safe
from assistant.settings import Settings
from assistant.types import Answer


def answer_as_text(answer: Answer) -> str:
    """The answer, then one block per citation: [n] title — source (section, date), then the quote; without
    control characters, so a document's name or text cannot drive the terminal it is printed on."""
    lines = [answer.text, ""]
    if answer.citations:
        lines.append("Sources:")
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, f"p. {c.page}" if c.page else "", c.date) if x)
        lines.append(f"[{c.n}] {c.title} — {c.source}" + (f" ({where})" if where else ""))
        lines.append(textwrap.indent(textwrap.fill(f"“{c.quote}”", 96), "    "))
    lines.append(f"support: {answer.support} ({answer.support_score:.2f})")
    return safe("\n".join(lines).rstrip())


def index_info(settings: Settings) -> dict[str, Any]:
    """Documents, chunk counts, version and last ingest of the index (no model is loaded).

    ``stale_documents`` counts the documents an older ingest pipeline built (or one that did not record
    its version): they answer from text cleaned and chunked as that code did until the next ingest.
    """
    from assistant.errors import IndexNotFound
    from assistant.index.manifest import Manifest
    from assistant.index.paths import manifest_path
    from ingest.build import PIPELINE_VERSION

    path = manifest_path(settings)
    if not path.exists():
        raise IndexNotFound(f"No index found in {settings.index_dir}. Build it with `assistant ingest`.")
    manifest = Manifest(path)
    try:
        chunks = manifest.chunks()
        per_doc: dict[str, int] = {}
        for c in chunks:
            per_doc[c.doc_id] = per_doc.get(c.doc_id, 0) + 1
        items = [
            {"doc_id": d.doc_id, "title": d.title, "source": d.source, "path": d.meta.get("path", ""),
             "language": d.language, "date": d.date, "chunks": per_doc.get(d.doc_id, 0),
             "pipeline": str(d.meta.get("pipeline", ""))}
            for d in manifest.documents()
        ]
        return {
            "index_dir": str(settings.index_dir), "version": manifest.version(),
            "last_ingest": manifest.get("last_ingest", "never"), "documents": len(items),
            "chunks": len(chunks), "embedding_model": manifest.get("embedding_model", "?"),
            "pipeline_version": PIPELINE_VERSION,
            "stale_documents": sum(item["pipeline"] != PIPELINE_VERSION for item in items), "items": items,
        }
    finally:
        manifest.close()
