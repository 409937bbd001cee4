"""Report building and rendering: JSON, Markdown, PNG chart, compare, floors."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.evaluate.score import LOWER_IS_BETTER, EvalRun, confusion, per_category, summarize

METRIC_LABELS: dict[str, str] = {
    "n": "questions", "answer_accuracy": "answer accuracy", "fact_recall": "fact recall",
    "citation_support": "citation support", "citation_precision": "citation precision",
    "abstention_accuracy": "abstention accuracy", "false_abstention_rate": "false-abstention rate",
    "hit_at_1": "retrieval hit@1", "hit_at_5": "retrieval hit@5", "hit_at_6": "retrieval hit@6",
    "hit_at_20": "retrieval hit@20", "mrr": "retrieval MRR (top 20)",
    "mean_answer_words": "mean answer words", "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)", "errors": "errors",
}
CATEGORY_COLUMNS: tuple[str, ...] = (
    "n", "answer_accuracy", "fact_recall", "citation_support", "citation_precision",
    "abstention_accuracy", "false_abstention_rate", "hit_at_1", "hit_at_5", "hit_at_20", "mrr",
    "mean_answer_words", "latency_p50_ms",
)
RULES = (
    "Rules: an answerable question is correct when it was not abstained and every fact group "
    "has a phrasing in the answer (case-insensitive, whitespace-normalised substring; short "
    "acronyms such as WHO/CV match case-sensitively as whole words); an unanswerable one is "
    "correct when abstained. Fact recall counts 0 for abstained answers. Citation support: "
    "some citation's .text or .quote carries a gold quote (word-token containment either way, "
    "or a shared run of consecutive words covering >= 60% of the quote; character references such as "
    "&#xa0; read as their characters on both sides). Citation precision: "
    "share of citations whose passage carries a gold quote OR contains >= 1 fact phrasing "
    "(0 when an answer cites nothing). Retrieval hit@k/MRR rank the top 20 of bot.retrieve() "
    "on answerable questions with the same quote rule; a question with a \"doc\" only counts passages "
    "of that document. Questions without quotes have no citation metrics."
)
# Words of a setting's name that mark its value as a secret: 'llm_api_key', 'auth' ('user:password'); a whole
# word, so 'keys_per_missing' (a count) is shown.
SECRET_MARKERS = frozenset({"key", "token", "secret", "password", "auth"})


def fmt(value: object, metric: str = "") -> str:
    """Format a metric value for tables."""
    if value is None:
        return "–"
    if isinstance(value, (bool, int)):
        return str(value)
    if isinstance(value, float):
        if metric.endswith("_ms") or metric == "mean_answer_words":
            return f"{value:.1f}"
        return f"{value:.3f}"
    return str(value)


def settings_to_dict(settings: object) -> dict:
    """Settings as JSON-able dict with secret-looking values masked."""
    if settings is None:
        return {}
    dump = getattr(settings, "model_dump", None)
    raw = dump(mode="json") if callable(dump) else dict(getattr(settings, "__dict__", {}))
    out = {}
    for k, v in raw.items():
        masked = not SECRET_MARKERS.isdisjoint(k.lower().split("_")) and v not in (None, "")
        out[k] = "***" if masked else (v if isinstance(v, (int, float, bool, str, type(None), list, dict)) else str(v))
    return out


def build_report(run: EvalRun, settings: object = None, meta: Mapping | None = None) -> dict:
    """The full JSON-able report of a run."""
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "meta": dict(meta or {}),
        "stamp": run.stamp,
        "settings": settings_to_dict(settings),
        "rules": RULES,
        "overall": summarize(run.results),
        "per_category": per_category(run.results),
        "confusion": confusion(run.results),
        "questions": [r.to_dict() for r in run.results],
    }


def overall_table(overall: Mapping) -> str:
    """Markdown table of the overall metrics."""
    lines = ["| metric | value |", "| --- | ---: |"]
    lines += [f"| {METRIC_LABELS[k]} | {fmt(overall.get(k), k)} |" for k in METRIC_LABELS]
    return "\n".join(lines)


def category_table(cats: Mapping[str, Mapping]) -> str:
    """Markdown table with one row per category."""
    head = "| category | " + " | ".join(METRIC_LABELS[c] for c in CATEGORY_COLUMNS) + " |"
    sep = "| --- |" + " ---: |" * len(CATEGORY_COLUMNS)
    rows = [f"| {cat} | " + " | ".join(fmt(vals.get(c), c) for c in CATEGORY_COLUMNS) + " |"
            for cat, vals in cats.items()]
    return "\n".join([head, sep, *rows])


def confusion_table(conf: Mapping[str, Mapping[str, int]]) -> str:
    """Markdown table of support label x correctness."""
    lines = ["| support label | correct | incorrect |", "| --- | ---: | ---: |"]
    lines += [f"| {lab} | {row['correct']} | {row['incorrect']} |" for lab, row in conf.items()]
    return "\n".join(lines)


def _clip(text: str, limit: int = 700) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[:limit] + " …"


def failures_section(questions: Sequence[Mapping]) -> str:
    """Markdown list of the incorrect questions with expected facts and answer."""
    failed = [q for q in questions if not q["correct"]]
    if not failed:
        return "No failed questions."
    out = []
    for q in failed:
        expected = "abstain" if not q["answerable"] else "; ".join(" / ".join(g) for g in q["facts"])
        missing = "; ".join(" / ".join(g) for g in q.get("missing_facts") or [])
        out.append(f"### {q['id']} ({q['category']})\n\n- **Question:** {q['question']}\n"
                   f"- **Expected:** {expected}\n"
                   + (f"- **Missing:** {missing}\n" if missing and q["answerable"] else "")
                   + f"- **Abstained:** {q['abstained']} · **support:** {q['support'] or '–'}"
                   + (f" · **error:** {q['error']}" if q.get("error") else "")
                   + f"\n- **Answer:** {_clip(q['answer']) or '(empty)'}\n")
    return "\n".join(out)


def render_markdown(report: Mapping) -> str:
    """The Markdown summary of a report."""
    meta, stamp = report.get("meta", {}), report.get("stamp", {})
    prov = ", ".join(f"{k}={v}" for k, v in stamp.items()) or "(no stamp)"
    parts = [
        "# BIPM Assistant evaluation", "",
        f"Created {report['created']} · questions `{meta.get('gold', '?')}` · provenance: {prov}", "",
        RULES, "", "## Overall", "", overall_table(report["overall"]), "",
        "## Per category", "", category_table(report["per_category"]), "",
        "## Support label × correctness", "", confusion_table(report["confusion"]), "",
        "## Failed questions", "", failures_section(report["questions"]), "",
    ]
    return "\n".join(parts)


CHART_NOTE = "no chart: matplotlib is not installed (pip install 'bipm-assistant[eval]')"


def write_chart(per_cat: Mapping[str, Mapping], path: Path) -> Path | None:
    """Horizontal bar chart of per-category answer accuracy (Agg backend); None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    cats = list(per_cat)
    vals = [per_cat[c].get("answer_accuracy") or 0.0 for c in cats]
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(cats) + 1.2))
    ax.barh(cats[::-1], vals[::-1], color="#2b6cb0")
    ax.set_xlim(0, 1)
    ax.set_xlabel("answer accuracy")
    ax.set_title("BIPM Assistant: accuracy per category")
    for y, v in enumerate(vals[::-1]):
        ax.text(min(v + 0.01, 0.93), y, f"{v:.2f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_outputs(report: Mapping, out_dir: Path) -> dict[str, Path]:
    """Write timestamped and ``latest`` JSON/Markdown/PNG files into ``out_dir``.

    ``paths["png"]`` is None when matplotlib is missing (the Markdown report then says so).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = "report-" + datetime.now().strftime("%Y%m%d-%H%M%S")
    paths: dict[str, Path | None] = {}
    for name in (stem, "latest"):
        chart = write_chart(report["per_category"], out_dir / f"{name}.png")
        md = render_markdown(report) + ("" if chart else f"\n_{CHART_NOTE}_\n")
        (out_dir / f"{name}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
        (out_dir / f"{name}.md").write_text(md, encoding="utf-8")
        paths.setdefault("png", chart)
    paths.update(json=out_dir / f"{stem}.json", md=out_dir / f"{stem}.md")
    return paths  # type: ignore[return-value]


def check_floors(overall: Mapping, floors: Mapping) -> list[str]:
    """Violations of floors.json.

    A number is a minimum, except for lower-is-better metrics (false-abstention
    rate, latencies, errors) where it is a maximum; ``{"min": x}`` / ``{"max": y}``
    set the direction explicitly. Keys starting with "_" are comments.
    """
    out = []
    for metric, spec in floors.items():
        if metric.startswith("_"):
            continue
        if isinstance(spec, Mapping):
            lo, hi = spec.get("min"), spec.get("max")
        else:
            lo, hi = (None, spec) if metric in LOWER_IS_BETTER else (spec, None)
        value = overall.get(metric)
        if metric not in overall:
            out.append(f"{metric}: unknown metric in floors file")
        elif value is None:
            out.append(f"{metric}: not measured (None), floor {spec}")
        elif lo is not None and value < lo:
            out.append(f"{metric}: {fmt(value, metric)} is below its floor {lo}")
        elif hi is not None and value > hi:
            out.append(f"{metric}: {fmt(value, metric)} is above its ceiling {hi}")
    return out


@dataclass
class Comparison:
    """Question-by-question differences between two reports."""

    newly_correct: list[str] = field(default_factory=list)
    newly_incorrect: list[str] = field(default_factory=list)
    abstention_flips: list[tuple[str, bool, bool]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    deltas: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


def compare_reports(old: Mapping, new: Mapping) -> Comparison:
    """Compare two JSON reports (as loaded dicts)."""
    o = {q["id"]: q for q in old.get("questions", [])}
    n = {q["id"]: q for q in new.get("questions", [])}
    cmp = Comparison(added=[i for i in n if i not in o], removed=[i for i in o if i not in n])
    for qid in (i for i in n if i in o):
        a, b = o[qid], n[qid]
        if b["correct"] and not a["correct"]:
            cmp.newly_correct.append(qid)
        elif a["correct"] and not b["correct"]:
            cmp.newly_incorrect.append(qid)
        if bool(a["abstained"]) != bool(b["abstained"]):
            cmp.abstention_flips.append((qid, bool(a["abstained"]), bool(b["abstained"])))
    oo, no = old.get("overall", {}), new.get("overall", {})
    cmp.deltas = {k: (oo.get(k), no.get(k)) for k in METRIC_LABELS if k in oo or k in no}
    return cmp


def _delta(a: float | None, b: float | None, metric: str) -> str:
    if a is None or b is None:
        return "–"
    diff = b - a
    return ("+" if diff >= 0 else "") + fmt(diff if isinstance(diff, int) else float(diff), metric)


def render_comparison(cmp: Comparison, new_questions: Mapping[str, Mapping] | None = None) -> str:
    """Markdown rendering of a Comparison."""
    qs = new_questions or {}

    def line(qid: str) -> str:
        return f"- {qid}: {qs[qid]['question']}" if qid in qs else f"- {qid}"

    lines = ["## Metric deltas (old → new)", "", "| metric | old | new | Δ |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {METRIC_LABELS[k]} | {fmt(a, k)} | {fmt(b, k)} | {_delta(a, b, k)} |"
              for k, (a, b) in cmp.deltas.items()]
    for title, ids in (("Newly correct", cmp.newly_correct), ("Newly incorrect", cmp.newly_incorrect),
                       ("Added questions", cmp.added), ("Removed questions", cmp.removed)):
        lines += ["", f"## {title} ({len(ids)})", ""] + ([line(i) for i in ids] or ["(none)"])
    lines += ["", f"## Abstention flips ({len(cmp.abstention_flips)})", ""]
    lines += [f"- {qid}: abstained {a} → {b}" for qid, a, b in cmp.abstention_flips] or ["(none)"]
    return "\n".join(lines)
