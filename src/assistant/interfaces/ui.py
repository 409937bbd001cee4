"""The chat UI: a Gradio Blocks app mounted on the FastAPI app of the HTTP API, served by uvicorn.

Every piece of user or document text is HTML-escaped here before it reaches a Gradio component:
the Chatbot renders HTML from messages (render_markdown=False only turns Markdown off), so escaping
is what keeps `<script>`, `<img onerror>` and `javascript:` links inert.
"""

from __future__ import annotations

import html
import logging
import re
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError, IndexNotFound
from assistant.interfaces.feedback import FeedbackLog
from assistant.interfaces.http import (
    Service,
    answer_with_sources,
    clean_input,
    create_api,
    word_pieces,
)
from assistant.interfaces.querylog import QueryLog, record_answer
from assistant.settings import Settings
from assistant.types import Answer, Citation

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.assistant import Assistant
    from assistant.index.embedder import Embedder

log = logging.getLogger(__name__)
TITLE = "BIPM Assistant"
EXAMPLES = (
    "How can I get seconded to the Physical Metrology Department?",
    "Will I be paid during a secondment?",
    "Are there secondment opportunities this year?",
    "Which organizations does the BIPM have memoranda of understanding with?",
)
LANGUAGES = ["any", "en", "fr"]
# Chat events Gradio runs at once. Only the answering inside is CPU-bound, and the Service lets two
# answers run at a time (two cores); the rest of an event is streaming words, which costs nothing,
# so a few more events may stream while two answers are computed.
CONCURRENCY = 2
CHAT_CONCURRENCY = 8
STREAM_SECONDS = 0.4  # the whole answer appears over at most this long
STREAM_UPDATES = 12
# The conversation takes the window's height minus what must stay on screen with it: the header above
# (~110 px) and the question box and buttons below (~130 px). Measured in Chromium at 1280×800 and
# 1920×1080 (tests/test_browser.py::test_conversation_fills_the_viewport); never shorter than CHAT_MIN_PX.
CHAT_CHROME_PX = 250
CHAT_MIN_PX = 360
CSS = """
.header h1 { margin: 0.2em 0 0.1em; font-size: 1.6em; }
.header p { margin: 0 0 0.4em; color: var(--body-text-color-subdued); }
#chat .answer, #chat .question { white-space: pre-wrap; }
#chat .thinking { color: var(--body-text-color-subdued); font-style: italic; }
.badge-row { margin-top: 0.5em; }
.support { display: inline-block; padding: 0.1em 0.6em; border-radius: 999px; font-size: 0.85em;
           font-weight: 600; border: 1px solid transparent; }
.support.supported { background: #e3f4e8; color: #1d6b35; border-color: #a9d9b8; }
.support.partial { background: #fff4dc; color: #8a5a00; border-color: #f0d08a; }
.support.abstained { background: #eef0f3; color: #4a5260; border-color: #cfd4dc; }
details.sources { margin-top: 0.6em; border: 1px solid var(--border-color-primary); border-radius: 6px;
                  padding: 0.3em 0.7em; }
details.sources summary { cursor: pointer; font-weight: 600; }
.sources .citation { margin: 0.5em 0 0.9em; }
.sources .cite-head .n { color: var(--color-accent); font-weight: 700; }
.sources .cite-src, .sources .cite-meta { font-size: 0.85em; color: var(--body-text-color-subdued); }
.sources .cite-meta .k { font-variant: small-caps; }
.sources blockquote.passage { margin: 0.3em 0 0; padding: 0.4em 0.7em; border-left: 3px solid #c9ced6;
           white-space: pre-wrap; font-size: 0.92em; }
.sources mark { background: #ffe58a; color: inherit; padding: 0 0.1em; }
.error { color: #9b1c1c; }
.error code, .sources code, #index-info code { font-size: 0.9em; }
table.timings, table.docs { border-collapse: collapse; }
table.timings td, table.docs td, table.docs th { padding: 0.2em 0.8em; font-size: 0.85em; text-align: left;
           border: none; border-bottom: 1px solid var(--border-color-primary); }
table.timings td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
.note { font-size: 0.9em; }
"""
History = list[dict[str, Any]]
# System fonts: the default theme's bundled Source Sans Pro drew capitals at mixed sizes in Chromium.
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])


# --- escaping ------------------------------------------------------------------
def esc(text: object) -> str:
    """``text`` without control characters, HTML-escaped (quotes too, so it is safe in attributes)."""
    return html.escape(clean_input(str(text)), quote=True)


def _code_spans(escaped: str) -> str:
    """Show `backticked` commands of error messages as code (input is already escaped)."""
    return re.sub(r"`([^`<>]+)`", r"<code>\1</code>", escaped)


def _link(source: str) -> str:
    """A link for web sources, plain code text for anything else (never a javascript: URL)."""
    if re.match(r"https?://[^\s\"'<>]+$", source):
        return f'<a href="{esc(source)}" target="_blank" rel="noopener noreferrer">{esc(source)}</a>'
    return f"<code>{esc(source)}</code>"


# --- rendering -----------------------------------------------------------------
def badge(answer: Answer) -> str:
    label = {"supported": "supported", "partial": "partly supported", "abstained": "not in the documents"}
    return (f'<span class="support {esc(answer.support)}" title="support score">'
            f"{esc(label.get(answer.support, answer.support))} · {answer.support_score:.2f}</span>")


def answer_html(text: str, answer: Answer | None = None) -> str:
    """The (possibly partial) answer text, escaped; once complete, its support badge and sources."""
    body = f'<div class="answer">{esc(text)}</div>'
    if answer is None:
        return body
    return body + f'<div class="badge-row">{badge(answer)}</div>' + sources_html(answer)


def highlighted(c: Citation) -> str:
    """The cited passage with the quoted span marked."""
    i = c.text.find(c.quote) if c.quote else -1
    if i < 0:
        return f"{esc(c.text)}<br><mark>{esc(c.quote)}</mark>" if c.quote else esc(c.text)
    before, after = c.text[:i], c.text[i + len(c.quote):]
    return f"{esc(before)}<mark>{esc(c.quote)}</mark>{esc(after)}"


def citation_html(c: Citation) -> str:
    facts = [("section", c.section), ("date", c.date), ("page", str(c.page) if c.page else "")]
    meta = " · ".join(f'<span class="k">{k}</span> {esc(v)}' for k, v in facts if v)
    return (
        f'<div class="citation" id="cite-{c.n}"><div class="cite-head"><span class="n">[{c.n}]</span> '
        f'<b>{esc(c.title)}</b></div><div class="cite-src">{_link(c.source)}</div>'
        f'<div class="cite-meta">{meta}</div><blockquote class="passage">{highlighted(c)}</blockquote></div>'
    )


def sources_html(answer: Answer) -> str:
    """A collapsible block with the answer's sources (closed until clicked)."""
    if not answer.citations:
        return ""
    title = "Closest passages" if answer.abstained else "Sources"
    body = "".join(citation_html(c) for c in answer.citations)
    return (f'<details class="sources"><summary>{title} ({len(answer.citations)})</summary>'
            f"{body}</details>")


def error_html(exc: AssistantError) -> str:
    return f'<div class="error">⚠ {_code_spans(esc(str(exc)))}</div>'


def timings_html(answer: Answer | None) -> str:
    if answer is None or not answer.timings:
        return ""
    rows = "".join(f"<tr><td>{esc(k)}</td><td>{v:,.0f} ms</td></tr>" for k, v in answer.timings.items())
    return f'<table class="timings">{rows}</table>'


def index_html(service: Service) -> str:
    """The Index accordion: documents, chunks, version, last ingest, one row per document."""
    try:
        data = service.info()
    except AssistantError as exc:
        return error_html(exc)
    head = (f"<p><b>{data['documents']}</b> documents · <b>{data['chunks']}</b> chunks · version "
            f"<code>{esc(data['version'])}</code><br>last ingest {esc(data['last_ingest'])} · "
            f"{esc(data['embedding_model'])}</p>")
    rows = "".join(
        f"<tr><td>{esc(d['title'])}<br><code>{esc(d['path'] or d['source'])}</code></td>"
        f"<td>{esc(d['language'])}</td><td>{esc(d['date'])}</td><td>{d['chunks']}</td></tr>"
        for d in data["items"]
    )
    return head + f'<table class="docs"><tr><th>document</th><th>lang</th><th>date</th><th>chunks</th></tr>{rows}</table>'


# --- chat logic ----------------------------------------------------------------
def _history(turns: History) -> list[dict[str, str]]:
    """Plain-text history for `Assistant.ask`: answered turns only, never the HTML shown."""
    out: list[dict[str, str]] = []
    for t in turns:
        if t.get("answer"):
            out += [{"role": "user", "content": t["question"]},
                    {"role": "assistant", "content": t["answer"]["answer"]}]
    return out


def _filters(language: str | None, source: str | None) -> dict[str, str]:
    out = {}
    if language and language != "any":
        out["language"] = language
    if source and source.strip():
        out["source"] = clean_input(source.strip())
    return out


def _stream(chat: list, text: str) -> Iterator[list]:
    """Reveal the answer a few words at a time (a fresh list each time), all but its last piece: the finished
    message (`_settled`) goes out with the turn's other outputs."""
    words = len(text.split())
    # At most ~STREAM_UPDATES updates per answer: each one costs a diff and a message per client.
    pieces = list(word_pieces(text, max(3, -(-words // STREAM_UPDATES))))
    pause = min(0.03, STREAM_SECONDS / max(len(pieces), 1))
    shown = ""
    for piece in pieces[:-1]:
        shown += piece
        yield [*chat[:-1], {"role": "assistant", "content": answer_html(shown)}]
        time.sleep(pause)


def _settled(chat: list, answer: Answer) -> list:
    """The chat with the whole answer and its badge in place of the message being streamed."""
    return [*chat[:-1], {"role": "assistant", "content": answer_html(answer.text, answer)}]


class ChatHandlers:
    """The event handlers of the Blocks app, bound to one `Service` and feedback file."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.feedback = FeedbackLog(service.settings.feedback_file)

    def respond(self, message: str | None, chat: list | None, turns: History | None, language: str | None,
                source: str | None) -> Iterator[tuple]:
        """Ask, then stream the answer into the chat; outputs: box, chat, turns, json, plain, timings."""
        chat, turns = list(chat or []), list(turns or [])
        question = clean_input(message or "")
        chat += [{"role": "user", "content": f'<div class="question">{esc(question)}</div>'},
                 {"role": "assistant", "content": '<div class="thinking">Searching the documents…</div>'}]
        yield "", chat, turns, None, "", ""
        try:
            answer, answer_id = self._ask(question, _history(turns), _filters(language, source))
        except Exception as exc:  # the chat must keep working whatever went wrong
            error = exc if isinstance(exc, AssistantError) else _unexpected(exc)
            chat[-1] = {"role": "assistant", "content": error_html(error)}
            yield "", chat, [*turns, {"question": question, "error": str(error)}], {"error": str(error)}, "", ""
            return
        data = answer.to_dict()
        turns = [*turns, {"question": question, "answer": data, "answer_id": answer_id}]
        for shown in _stream(chat, answer.text):
            yield gr.skip(), shown, gr.skip(), gr.skip(), gr.skip(), gr.skip()
        # One update settles the turn: its badge (what marks it finished), JSON, plain text and timings together,
        # so nothing that reads the finished turn sees the timings of the turn before.
        yield "", _settled(chat, answer), turns, data, answer_with_sources(answer), timings_html(answer)

    def _ask(self, question: str, history: list[dict[str, str]], filters: dict[str, str]) -> tuple[Answer, str]:
        """The answer, and its query-log id ("" when the service keeps no log)."""
        ask_logged = getattr(self.service, "ask_logged", None)
        if ask_logged is not None:
            return ask_logged(question, history, filters, "chat")
        return self.service.ask(question, history, filters), ""

    def _log_feedback(self, answer_id: str, **feedback: str) -> None:
        log_feedback = getattr(self.service, "feedback", None)
        if answer_id and log_feedback is not None:
            log_feedback(answer_id, **feedback)

    def vote(self, like: gr.LikeData, chat: list | None, turns: History | None) -> tuple[dict[str, str] | str, str]:
        """Store a thumbs up/down on the turn whose bubble was clicked; outputs: {vote id, answer id}, note."""
        turn = _turn_of(like.index, chat or [], turns or [])
        if turn is None or not turn.get("answer"):
            return "", '<span class="note">Only answers can be rated.</span>'
        rating = "up" if like.liked is True or like.liked == "Like" else "down"
        answer_id = str(turn.get("answer_id") or "")
        try:
            vote_id = self.feedback.vote(rating, turn["question"], turn["answer"], answer_id=answer_id)
        except AssistantError as exc:
            return "", error_html(exc)
        self._log_feedback(answer_id, rating=rating)
        return ({"vote": vote_id, "answer": answer_id},
                f'<span class="note">Thanks, feedback saved ({"helpful" if rating == "up" else "not helpful"}). You can add a comment.</span>')

    def comment(self, text: str | None, vote: dict[str, str] | str | None) -> tuple[str, str]:
        """Attach the comment to the last vote (and its logged answer); outputs: comment box, note."""
        text = clean_input(text or "").strip()[:2000]
        vote_id, answer_id = (vote.get("vote", ""), vote.get("answer", "")) if isinstance(vote, dict) else (vote, "")
        if not vote_id:
            return text, '<span class="note">Rate an answer with a thumb first, then add your comment.</span>'
        if not text:
            return "", '<span class="note">The comment is empty.</span>'
        try:
            self.feedback.comment(vote_id, text)
        except AssistantError as exc:
            return text, error_html(exc)
        self._log_feedback(answer_id, comment=text)
        return "", '<span class="note">Comment saved, thank you.</span>'


def _unexpected(exc: Exception) -> AssistantError:
    log.exception("answering failed")
    return AssistantError(f"Something went wrong while answering ({type(exc).__name__}); the server log "
                          "has the details. Please try again or rephrase the question.")


def _turn_of(index: Any, chat: list, turns: History) -> dict[str, Any] | None:
    """The turn a chat message belongs to: each turn starts with exactly one user message."""
    i = index[0] if isinstance(index, list | tuple) else index
    if not isinstance(i, int) or not 0 <= i < len(chat):
        return None
    users = sum(1 for m in chat[: i + 1] if _role(m) == "user")
    return turns[users - 1] if 0 < users <= len(turns) else None


def _role(message: Any) -> str | None:
    return message.get("role") if isinstance(message, dict) else getattr(message, "role", None)


# --- layout --------------------------------------------------------------------
COPY_JS = """(text) => {
  if (!text) return [];
  if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text); return []; }
  const area = document.createElement('textarea'); area.value = text; document.body.appendChild(area);
  area.select(); document.execCommand('copy'); area.remove(); return [];
}"""


def build_blocks(service: Service) -> gr.Blocks:
    """The chat page: conversation, sources, support badge, filters, feedback, index facts."""
    handlers = ChatHandlers(service)
    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_width=False) as blocks:
        gr.HTML(f'<div class="header"><h1>{TITLE}</h1><p>Answers questions about BIPM documents '
                "(secondments, liaison work, …) with the passages they come from. It says so when "
                "the documents do not answer.</p></div>")
        turns, vote_id = gr.State([]), gr.State("")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                chat, box, ask, copy, clear = _chat_column()
            with gr.Column(scale=1, min_width=280):
                language, source, show_timings, timings, comment, send, note = _side_column()
        with gr.Accordion("Index", open=False, elem_id="index"):
            info = gr.HTML(elem_id="index-info")
            refresh = gr.Button("Refresh", size="sm")
        answer_json = gr.JSON(visible=False, label="answer")
        plain = gr.Textbox(visible=False, label="plain answer")
        outputs = [box, chat, turns, answer_json, plain, timings]
        inputs = [box, chat, turns, language, source]
        gr.on([box.submit, ask.click], handlers.respond, inputs, outputs, api_name="ask",
              concurrency_limit=CHAT_CONCURRENCY, concurrency_id="chat")
        chat.example_select(_pick_example, None, box, api_name=False).then(
            handlers.respond, inputs, outputs, api_name=False, concurrency_id="chat")
        chat.like(handlers.vote, [chat, turns], [vote_id, note], api_name=False, concurrency_limit=None)
        send.click(handlers.comment, [comment, vote_id], [comment, note], api_name=False, concurrency_limit=None)
        show_timings.change(lambda on: gr.update(visible=on), show_timings, timings, api_name=False, concurrency_limit=None)
        copy.click(None, [plain], None, js=COPY_JS, api_name=False)
        for event in (clear.click, chat.clear):
            event(_reset, None, [chat, turns, answer_json, plain, timings, vote_id, note], api_name=False, concurrency_limit=None)
        refresh.click(lambda: index_html(service), None, info, api_name=False, concurrency_limit=None)
        blocks.load(lambda: index_html(service), None, info, api_name=False, concurrency_limit=None)
    return blocks.queue(default_concurrency_limit=CONCURRENCY, max_size=256)


def _chat_column() -> tuple[gr.Chatbot, gr.Textbox, gr.Button, gr.Button, gr.Button]:
    chat = gr.Chatbot(
        label="Conversation", elem_id="chat", height=f"max({CHAT_MIN_PX}px, calc(100vh - {CHAT_CHROME_PX}px))",
        render_markdown=False, sanitize_html=True,
        latex_delimiters=[], buttons=[], feedback_options=("Like", "Dislike"), layout="panel",
        examples=[{"text": q} for q in EXAMPLES], allow_tags=False,
        placeholder="<b>Ask about BIPM secondments and liaison work.</b><br>Every answer cites its sources.",
    )
    with gr.Row():
        box = gr.Textbox(placeholder="Ask a question about the BIPM documents…", show_label=False,
                         lines=1, max_lines=6, scale=6, autofocus=True, elem_id="question", max_length=4000)
        ask = gr.Button("Ask", variant="primary", scale=1, min_width=80)
    with gr.Row():
        copy = gr.Button("Copy last answer", size="sm", elem_id="copy-answer")
        clear = gr.Button("Clear chat", size="sm", elem_id="clear-chat")
    return chat, box, ask, copy, clear


def _side_column() -> tuple:
    with gr.Accordion("Filters", open=False):
        language = gr.Dropdown(LANGUAGES, value="any", label="Language of the documents")
        source = gr.Textbox("", label="Only sources matching (glob)", placeholder="e.g. corpus/*secondment*")
    show_timings = gr.Checkbox(label="Show timings", value=False)
    timings = gr.HTML(elem_id="timings", visible=False, min_height=0)
    with gr.Accordion("Feedback", open=True):
        gr.HTML('<span class="note">Rate an answer with the thumbs under it, then add a comment here '
                "if you like.</span>")
        comment = gr.Textbox(label="Comment (optional)", lines=2, max_lines=6, max_length=2000, elem_id="comment")
        send = gr.Button("Send comment", size="sm")
        note = gr.HTML(elem_id="feedback-note", min_height=0)
    return language, source, show_timings, timings, comment, send, note


def _pick_example(selected: gr.SelectData) -> str:
    value = selected.value
    return value.get("text", "") if isinstance(value, dict) else str(value)


def _reset() -> tuple:
    return [], [], None, "", "", "", ""


# --- serving -------------------------------------------------------------------
class LoggedService(Service):
    """The server's `Service` that also writes the query log: ``ask`` (HTTP API routes) and ``ask_logged``
    (the chat, which needs the answer id to link feedback)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.query_log = QueryLog.from_settings(self.settings)

    def ask(self, question: str, history: list[dict[str, str]] | None = None,
            filters: dict[str, str] | None = None) -> Answer:
        return self.ask_logged(question, history, filters, "http")[0]

    def ask_logged(self, question: str, history: list[dict[str, str]] | None = None,
                   filters: dict[str, str] | None = None, interface: str = "chat") -> tuple[Answer, str]:
        """`Service.ask`, and the answer id under which it was logged ("" when the log is off)."""
        started = time.perf_counter()
        answer = super().ask(question, history, filters)
        return answer, record_answer(self.query_log, interface, question, history, filters, answer, started)

    def feedback(self, answer_id: str, **feedback: str) -> None:
        """Attach chat feedback to a logged answer (nothing when the log is off or the id is unknown)."""
        if self.query_log is None or not answer_id:
            return
        try:
            self.query_log.feedback(answer_id, **feedback)
        except AssistantError as exc:
            log.warning("%s", exc)


def build_app(settings: Settings, assistant: Assistant | None = None,
              embedder: Embedder | None = None) -> FastAPI:
    """The FastAPI app serving the API routes and, at /, the Gradio chat."""
    service = LoggedService(settings, assistant, embedder)  # writes the query log when ASSISTANT_QUERY_LOG is on
    api = create_api(service)
    auth = tuple(settings.auth.split(":", 1)) if settings.auth else None
    return gr.mount_gradio_app(
        api, build_blocks(service), path="/", auth=auth, ssr_mode=False, footer_links=["api"],
        run_history=False, css=CSS, theme=THEME, auth_message=f"{TITLE}: please log in.",
        server_name=settings.host, server_port=settings.port,
    )


def launch(settings: Settings) -> None:
    """Serve the chat UI and the HTTP API on settings.host:settings.port until interrupted."""
    import uvicorn

    app = build_app(settings)
    service: Service = app.state.assistant_service
    try:
        service.get()  # load the model now rather than on the first question
    except IndexNotFound as exc:
        print(f"warning: {exc}\nThe chat starts anyway and answers once the index exists.", file=sys.stderr)
    except AssistantError as exc:
        print(f"warning: {exc}\nThe chat starts anyway; questions will retry.", file=sys.stderr)
    print(f"{TITLE}: http://{settings.host}:{settings.port}/  (API docs at /docs)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
