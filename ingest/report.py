"""The end-of-ingest summary table (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from assistant.settings import Settings
from ingest.pipeline import IngestSummary


def print_summary(summary: IngestSummary, settings: Settings) -> None:
    console = Console(stderr=False, highlight=False)
    table = Table(title=f"Ingest into {settings.chroma_url or settings.index_dir}", show_header=True)
    for col in ("documents", "added", "updated", "unchanged", "removed", "skipped",
                "chunks +", "chunks kept", "chunks −", "embedded", "seconds", "chunks/s"):
        table.add_column(col, justify="right")
    s = summary
    table.add_row(*map(str, (s.documents, s.added, s.updated, s.unchanged, s.removed, len(s.skipped),
                             s.chunks_added, s.chunks_kept, s.chunks_removed, s.embedded,
                             f"{s.seconds:.1f}", f"{s.chunks_per_second:.1f}")))
    console.print(table)
    for path, why in s.skipped:
        console.print(f"[yellow]skipped[/] {path}: {why}")
    console.print(f"index version {s.index_version}")
