"""The end-of-ingest summary: a two-column table that fits an 80-column terminal, then what was skipped and
which documents read as instructions to the assistant. Names are printed without control characters."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from assistant.safety.terminal import safe
from assistant.settings import Settings
from ingest.pipeline import IngestSummary


def summary_rows(summary: IngestSummary) -> list[tuple[str, str]]:
    """(label, value) pairs of the summary, in reading order; web rows only when pages were fetched."""
    s = summary
    rows = [
        ("documents in the index", f"{s.documents:,}"),
        ("added", f"{s.added:,}"),
        ("updated", f"{s.updated:,}"),
        ("unchanged", f"{s.unchanged:,}"),
        ("removed", f"{s.removed:,}"),
        ("skipped", f"{len(s.skipped):,}"),
        ("instruction-like documents", f"{len(s.instruction_like):,}"),
        ("chunks added", f"{s.chunks_added:,}"),
        ("chunks kept", f"{s.chunks_kept:,}"),
        ("chunks removed", f"{s.chunks_removed:,}"),
        ("chunks embedded", f"{s.embedded:,}"),
    ]
    if s.fetched or s.not_modified:
        rows += [("web pages fetched", f"{s.fetched:,}"), ("web pages not modified", f"{s.not_modified:,}")]
    rows += [
        ("time", f"{s.seconds:.1f} s"),
        ("documents/s", f"{s.docs_per_second:.1f}"),
        ("chunks/s", f"{s.chunks_per_second:.1f}"),
        ("index version", s.index_version),
    ]
    return rows


def print_summary(summary: IngestSummary, settings: Settings, console: Console | None = None) -> None:
    """Print the table on stdout, then one line per skipped file with the reason (easy to grep)."""
    console = console or Console(highlight=False)
    console.print(f"[bold]Ingest into[/] {escape(safe(settings.chroma_url or str(settings.index_dir)))}",
                  soft_wrap=True)
    table = Table(box=box.SIMPLE, show_header=False, min_width=40)
    table.add_column("what", style="bold")
    table.add_column("value", justify="right", overflow="fold")
    for label, value in summary_rows(summary):
        table.add_row(label, value)
    console.print(table)
    for name, why in summary.skipped:
        console.print(f"[yellow]skipped[/] {escape(safe(name))}: {escape(safe(why))}", soft_wrap=True)
    for name, chunks in sorted(summary.instruction_like.items()):
        console.print(f"[yellow]instructions[/] {escape(safe(name))}: {chunks} chunk(s) address the reader as a "
                      "system (never quoted, down-weighted in retrieval)", soft_wrap=True)
