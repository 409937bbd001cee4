"""The `assistant` command: ingest, ask, serve, info, eval.

Errors become one line on stderr: exit 1 for failures, 2 for usage errors.
Heavy modules (torch, Chroma, Gradio) are imported inside the commands so `assistant --help` is instant.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.errors import AssistantError, BadFilter
from assistant.safety.terminal import safe
from assistant.settings import Settings, load_settings

app = typer.Typer(
    name="assistant",
    help="Answers questions about BIPM documents with cited passages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

IndexDir = Annotated[Path | None, typer.Option("--index-dir", help="Index folder (env ASSISTANT_INDEX_DIR).")]
ChromaUrl = Annotated[str | None, typer.Option("--chroma-url", help="Chroma server http://HOST:PORT (env ASSISTANT_CHROMA_URL).")]
Provider = Annotated[str | None, typer.Option("--llm-provider", help="extractive | ollama | openai (env ASSISTANT_LLM_PROVIDER).")]
Model = Annotated[str | None, typer.Option("--llm-model", help="LLM model name (env ASSISTANT_LLM_MODEL).")]
BaseUrl = Annotated[str | None, typer.Option("--llm-base-url", help="LLM server URL (env ASSISTANT_LLM_BASE_URL).")]


def _settings(**overrides: object) -> Settings:
    return load_settings(**overrides)


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {safe(message)}", err=True)
    return typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[str] | None, typer.Argument(help="Files, folders or http(s):// page URLs (default: the corpus folder).")] = None,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Glob of files (or sitemap URLs) to take (repeatable).")] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Glob of files (or sitemap URLs) to leave out (repeatable).")] = None,
    sitemap: Annotated[list[str] | None, typer.Option("--sitemap", help="URL of a sitemap.xml whose pages to fetch and ingest (repeatable).")] = None,
    max_pages: Annotated[int | None, typer.Option("--max-pages", min=1, help="Fetch at most this many web pages (default 500).")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress", help="Show a progress bar.")] = None,
) -> None:
    """Build or update the index from documents and web pages.

    Example: assistant ingest corpus/ --exclude '*draft*'
    Example: assistant ingest https://www.bipm.org/en/page.html --sitemap https://example.org/sitemap.xml
    Web pages are cached in the index folder and cited by their URL.
    Exit code 0 when every file was ingested, 3 when some were skipped (listed with the reason).
    """
    from ingest.pipeline import run_ingest
    from ingest.report import print_summary
    from ingest.web import WebOptions, is_url

    sources = paths or []
    urls = [s for s in sources if is_url(s)]
    try:
        settings = _settings(index_dir=index_dir, chroma_url=chroma_url)
        web = WebOptions(max_bytes=int(settings.max_file_mb * 1e6), max_pages=max_pages or 500)
        summary = run_ingest(
            settings, [Path(s) for s in sources if not is_url(s)] or None, include or (), exclude or (),
            progress, urls=urls, sitemaps=sitemap or (), web=web,
        )
    except AssistantError as exc:
        raise _fail(str(exc)) from None
    print_summary(summary, settings)
    if summary.skipped:
        raise typer.Exit(3)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in quotes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    history: Annotated[Path | None, typer.Option("--history", help="JSON file: [{role, content}, ...].")] = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="Filter: language=fr, source='corpus/*', date_from=2020, date_to=2024 (repeatable).")] = None,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    llm_provider: Provider = None,
    llm_model: Model = None,
    llm_base_url: BaseUrl = None,
) -> None:
    """Answer one question from the index, with numbered citations.

    Example: assistant ask "How can I get seconded to the Physical Metrology Department?" --json
    """
    from assistant.assistant import Assistant
    from assistant.question.read import clean_question

    try:
        clean_question(question, load_settings().max_question_chars)  # fail fast, before loading models
        turns = _read_history(history)
        filters = _parse_where(where or [])
        settings = _settings(index_dir=index_dir, chroma_url=chroma_url, llm_provider=llm_provider,
                             llm_model=llm_model, llm_base_url=llm_base_url)
        started = time.perf_counter()
        answer = Assistant.from_settings(settings).ask(question, history=turns, filters=filters)
    except AssistantError as exc:
        raise _fail(str(exc)) from None
    _log_query(settings, question, turns, filters, answer, started)
    if as_json:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return
    from assistant.interfaces.render import answer_as_text

    typer.echo(answer_as_text(answer))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Address to listen on (env ASSISTANT_HOST).")] = None,
    port: Annotated[int | None, typer.Option("--port", help="Port (env ASSISTANT_PORT).")] = None,
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    ingest_first: Annotated[bool, typer.Option("--ingest/--no-ingest", help="Update the index from the corpus folder before serving.")] = False,
    llm_provider: Provider = None,
    llm_model: Model = None,
    llm_base_url: BaseUrl = None,
) -> None:
    """Start the chat UI (and the HTTP API) in the browser.

    Example: assistant serve --port 7860 --ingest
    """
    try:
        settings = _settings(host=host, port=port, index_dir=index_dir, chroma_url=chroma_url,
                             llm_provider=llm_provider, llm_model=llm_model, llm_base_url=llm_base_url)
        if ingest_first:
            from ingest.pipeline import run_ingest
            from ingest.report import print_summary

            print_summary(run_ingest(settings), settings)
        from assistant.interfaces.ui import launch

        launch(settings)
    except AssistantError as exc:
        raise _fail(str(exc)) from None


@app.command()
def info(
    index_dir: IndexDir = None,
    chroma_url: ChromaUrl = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Show what is indexed (documents, chunks, index version, last ingest) and the embedding backend chosen.

    Example: assistant info --json
    """
    from assistant.index.precision import describe, summary_line
    from assistant.interfaces.render import index_info

    try:
        settings = _settings(index_dir=index_dir, chroma_url=chroma_url)
        data = {**index_info(settings), "embed_backend": describe(settings)}
    except AssistantError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    lines = [f"index: {data['index_dir']}  version: {data['version']}  last ingest: {data['last_ingest']}",
             f"{data['documents']} documents, {data['chunks']} chunks, embedder: {data['embedding_model']}",
             f"embedding backend: {summary_line(data['embed_backend'])}"]
    if data["stale_documents"]:
        lines.append(f"warning: {data['stale_documents']} documents were built by an older ingest pipeline "
                     f"(now version {data['pipeline_version']}); run `assistant ingest` again to rebuild them")
    lines += [f"  {doc['chunks']:>5}  {doc['language']}  {doc['date']:<10}  {doc['title']}  ({doc['path']})"
              for doc in data["items"]]
    typer.echo(safe("\n".join(lines)))  # titles and file names come from documents: no terminal escapes


@app.command("feedback-export")
def feedback_export(
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv.")] = "jsonl",
    index_dir: IndexDir = None,
) -> None:
    """Export the thumbs up/down and comments given in the chat UI (env ASSISTANT_FEEDBACK_PATH).

    Example: assistant feedback-export --format csv --out feedback.csv
    """
    from assistant.interfaces.feedback import FeedbackLog, export

    if fmt not in ("jsonl", "csv"):
        raise _fail(f"Bad --format {fmt!r}: use jsonl or csv.", 2)
    try:
        log = FeedbackLog(_settings(index_dir=index_dir).feedback_file)
        text = export(log, fmt)  # type: ignore[arg-type]
        if out is not None:
            out.write_text(text, encoding="utf-8")
    except (AssistantError, OSError) as exc:
        raise _fail(str(exc)) from None
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"{len(log.votes())} votes written to {out}", err=True)


@app.command("eval", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                       "help_option_names": []}, add_help_option=False)
def eval_(ctx: typer.Context) -> None:
    """Score the assistant on a question file: accuracy, citations, abstention, retrieval, latency.

    Example: assistant eval questions.jsonl --corpus docs/ --min-answer-accuracy 0.8
    Run `assistant eval --help` for every option. Exit code 1 when a --min-/--max- floor is not held.
    """
    from assistant.evaluate.cli import main as eval_main

    code = eval_main(list(ctx.args))
    if code:
        raise typer.Exit(code)


log_app = typer.Typer(help="The query log (ASSISTANT_QUERY_LOG=1): export what was asked.", no_args_is_help=True)
app.add_typer(log_app, name="log")


@log_app.command("export")
def log_export(
    to_eval: Annotated[bool, typer.Option("--to-eval", help="Write a draft question file for `assistant eval`.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file (default: standard output).")] = None,
    index_dir: IndexDir = None,
) -> None:
    """Export the query log as JSONL (feedback folded in), or with --to-eval as draft eval questions.

    Example: assistant log export --to-eval --out drafts.jsonl
    Drafts have "answerable": null and no facts: `assistant eval` refuses them until a person fills them in.
    """
    from assistant.interfaces.querylog import QueryLog, to_eval_drafts

    try:
        settings = _settings(index_dir=index_dir)
        qlog = QueryLog(settings.query_log_file, int(settings.query_log_max_mb * 1e6), settings.query_log_keep)
        queries = qlog.queries()
        rows = to_eval_drafts(queries) if to_eval else queries
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        if out is not None:
            out.write_text(text, encoding="utf-8")
    except (AssistantError, OSError) as exc:
        raise _fail(str(exc)) from None
    if not queries:
        typer.echo(f"(the query log {settings.query_log_file} is empty or absent: set ASSISTANT_QUERY_LOG=1)", err=True)
    if out is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"{len(rows)} {'draft questions' if to_eval else 'queries'} written to {out}", err=True)


def _log_query(settings: Settings, question: str, turns: list[dict[str, str]], filters: dict[str, str],
               answer: Any, started: float) -> None:
    """Append to the query log when ASSISTANT_QUERY_LOG is on (a failure to write is a warning, not an error)."""
    from assistant.interfaces.querylog import QueryLog, record_answer

    if record_answer(QueryLog.from_settings(settings), "cli", question, turns, filters, answer, started) == "" \
            and settings.query_log:
        typer.echo(f"warning: could not write the query log {settings.query_log_file}", err=True)


def _read_history(path: Path | None) -> list[dict[str, str]]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadFilter(f"Cannot read the history file {path}: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(t, dict) and "role" in t and "content" in t for t in data):
        raise BadFilter(f"{path} must hold a JSON list of {{\"role\": ..., \"content\": ...}} objects.")
    return data


def _parse_where(items: list[str]) -> dict[str, str]:
    keys = {"language", "source", "date_from", "date_to"}
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in keys or not value.strip():
            raise BadFilter(f"Bad --where {item!r}: use one of {', '.join(sorted(keys))} as key=value.")
        out[key.strip()] = value.strip()
    return out


# Commands that answer once and exit. Python's cyclic garbage collector costs them about a sixth of their
# time (measured on a cold `ask`, AMD Zen 3: 3.4 → 3.0 s with it off): it scans the ~1,500 modules' objects
# again and again while they are imported, and once more when the interpreter exits. One question leaves
# little cyclic garbage, and the process is about to end, so they run with the collector off.
ONE_SHOT_COMMANDS = frozenset({"ask"})


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    args = argv if argv is not None else sys.argv[1:]
    if args[:1] and args[0] in ONE_SHOT_COMMANDS:
        gc.disable()
    try:
        app(args=args, standalone_mode=True)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    finally:
        # Every command: what is alive now is left to the exit, not scanned by the collections Python runs
        # while it shuts down (0.5-0.7 s of a cold `ask` on Zen 3; finalizers and atexit still run).
        gc.freeze()
