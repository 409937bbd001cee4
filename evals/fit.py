"""``python -m evals.fit``: fit the reranker's feature weights on labelled questions, with cross-validation.

Rows: every candidate passage of every answerable question (a candidate is positive when it holds one of
the question's supporting quotes). Folds group questions by the document that answers them, so a fold's
questions are about documents the model was not fitted on. Prints cross-validated hit@1/@6/@20 and MRR
against the fused order, an ablation (each feature dropped, refitted), and writes the model file with
its feature list, weights, the hashes of the question files and the figures.

    python -m evals.fit                      # ingest corpus/ + ../shared/corpus-extra, fit, write
    python -m evals.fit --index-dir DIR      # an index that already holds them
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
EVALS = REPO_ROOT / "evals"
# Every training set (the default of the fits); each packaged model lists in its meta the sets it was fitted on.
FIT_SETS = ("gold", "holdout", "dev", "train-extra-a", "train-extra-b", "train-extra-c", "train-extra-d",
            "train-extra-e", "train-extra-f", "train-extra-g", "train-extra-h")
DEFAULT_CORPORA = (REPO_ROOT / "corpus", REPO_ROOT.parent / "shared" / "corpus-extra")
DATA = REPO_ROOT / "src" / "assistant" / "data"

FOLDS = 5
HITS = (1, 6, 20)
# L2 strength of the logistic regression (sklearn's C); the default of the library, stated.
REGULARISATION_C = 1.0
# Boosted trees (--learner trees): small and slow-learning, so that a fold of unseen documents is not fitted
# by heart, and monotone in the features the model declares as evidence for (`INCREASING`): more of such
# evidence never lowers a passage, so the trees cannot learn a quirk of the training collection that
# inverts it on another. Chosen by grouped cross-validation on the reranker rows of 2026-12-01: hit@1 0.740
# (0.734 without the constraints, 0.733 with scikit-learn's plain GradientBoostingClassifier 300×depth 4,
# 0.687 for the logistic model), hit@6 0.914.
TREES = {"max_iter": 300, "learning_rate": 0.03, "max_leaf_nodes": 15, "min_samples_leaf": 40,
         "early_stopping": False, "random_state": 0}


@dataclass
class QuestionRows:
    qid: str
    group: str
    x: np.ndarray  # candidates × features
    y: np.ndarray  # 1 = holds a supporting quote
    fused: np.ndarray  # the first-stage score, for the baseline order


def fold_group(item: dict) -> str:
    """The cross-validation group: the document that answers (seed sets: set and category)."""
    return item.get("doc") or f"{item['_set']}:{item.get('category', '')}"


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def load_items(names: tuple[str, ...]) -> list[dict]:
    items = []
    for name in names:
        for line in (EVALS / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                item["_set"] = name
                items.append(item)
    return items


def build_unit_rows(bot, items: list[dict], names: tuple[str, ...]) -> list[QuestionRows]:
    from assistant.answer.features import unit_matrix
    from evals.textmatch import quote_matches

    rows = []
    for item in items:
        if not item.get("answerable") or not item.get("quotes"):
            continue
        q, ev = bot.evidence(item["question"], history=item.get("history") or [])
        if not ev.units:
            continue
        facts = bot.answerer.facts(q, ev)
        y = np.array([any(quote_matches(quote, f.unit.text) for quote in item["quotes"]) for f in facts], float)
        group = fold_group(item)
        x = unit_matrix(q, facts, names)
        rows.append(QuestionRows(item["id"], group, x, y, np.array([f.dense for f in facts])))
    return rows


@dataclass
class DraftRow:
    qid: str
    group: str
    answerable: bool
    x: np.ndarray | None  # signals; None when the draft had nothing to quote (always abstains)
    correct_if_answered: bool  # the answer the draft would give holds every fact (answerable only)
    rules_answer: bool  # what the coverage rules alone decided


def build_draft_rows(bot, items: list[dict], names: tuple[str, ...]) -> list[DraftRow]:
    """One row per question: the draft's signals and whether answering with it would be right."""
    from dataclasses import replace

    from assistant.answer.abstain import signal_row
    from assistant.answer.compose import compose
    from evals.textmatch import group_present

    rows = []
    for item in items:
        draft, passages, corpus = bot.drafted(item["question"], history=item.get("history") or [])
        rules_answer = not draft.abstained
        x, correct = None, False
        if draft.blocks:
            x = np.array(signal_row(draft, names), dtype=np.float64)
            forced = replace(draft, abstained=False, reason="", missing=[])
            text, _ = compose(forced, corpus, passages, "")
            correct = bool(item.get("answerable")) and all(group_present(g, text) for g in item["facts"])
        group = fold_group(item)
        rows.append(DraftRow(item["id"], group, bool(item.get("answerable")), x, correct, rules_answer and x is not None))
    return rows


def decision_accuracy(rows: list[DraftRow], answer: list[bool]) -> dict[str, float]:
    """Answer accuracy when answering exactly where ``answer`` says (abstaining elsewhere)."""
    ok = [(r.correct_if_answered if a else not r.answerable) for r, a in zip(rows, answer, strict=True)]
    answerable = [(r, a) for r, a in zip(rows, answer, strict=True) if r.answerable]
    unanswerable = [(r, a) for r, a in zip(rows, answer, strict=True) if not r.answerable]
    return {
        "accuracy": round(sum(ok) / len(rows), 4),
        "false_abstention": round(sum(1 for r, a in answerable if not a) / max(len(answerable), 1), 4),
        "abstention_accuracy": round(sum(1 for r, a in unanswerable if not a) / max(len(unanswerable), 1), 4),
        "answer_rate": round(sum(answer) / len(rows), 4),
    }


def best_threshold(p: np.ndarray, rows: list[DraftRow]) -> float:
    """The probability threshold with the best answer accuracy on ``rows`` (ties: the higher threshold)."""
    best, best_acc = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        acc = decision_accuracy(rows, [bool(pi >= t) for pi in p])["accuracy"]
        if acc >= best_acc:
            best, best_acc = float(t), acc
    return round(best, 2)


def hybrid_answer(p: np.ndarray, rows: list[DraftRow], veto: float, rescue: float) -> list[bool]:
    """The rules decide, unless the model is confident otherwise: below ``veto`` a rule answer is withheld,
    from ``rescue`` on a rule abstention is answered."""
    return [bool(pi >= rescue) if not r.rules_answer else bool(pi >= veto) for pi, r in zip(p, rows, strict=True)]


def best_hybrid(p: np.ndarray, rows: list[DraftRow]) -> tuple[float, float]:
    """(veto, rescue) for the hybrid decision, chosen for its stated target: the best answer accuracy on
    ``rows`` that answers no more unanswerable questions than the rules do there (their abstention accuracy
    is kept). So a rule answer is never withheld (veto 0) and a rule abstention is answered from the lowest
    ``rescue`` probability that keeps that accuracy; none keeps it: rescue 1.0 (the rules' decisions)."""
    keep = decision_accuracy(rows, [r.rules_answer for r in rows])["abstention_accuracy"]
    best, best_acc = 1.0, decision_accuracy(rows, [r.rules_answer for r in rows])["accuracy"]
    for rescue in np.round(np.linspace(0.0, 1.0, 41), 3):  # rounded as stored, so serving decides alike
        figures = decision_accuracy(rows, hybrid_answer(p, rows, 0.0, float(rescue)))
        # strictly better only: the rules' own decisions win a tie
        if figures["abstention_accuracy"] >= keep and figures["accuracy"] > best_acc + 1e-9:
            best, best_acc = float(rescue), figures["accuracy"]
    return 0.0, best


def fit_abstention(rows: list[DraftRow], names: tuple[str, ...], ablation: bool):
    """Cross-validated decisions (threshold chosen on the training folds), the curve, the final model."""
    from sklearn.model_selection import GroupKFold

    usable = [r for r in rows if r.x is not None]

    def cv(cols: list[int], hybrid: bool = False) -> tuple[dict[str, float], np.ndarray]:
        prob = np.zeros(len(usable))
        answer = np.zeros(len(usable), dtype=bool)
        for train, test in GroupKFold(n_splits=FOLDS).split(usable, groups=[r.group for r in usable]):
            x = np.vstack([usable[i].x[cols] for i in train])
            y = np.array([usable[i].correct_if_answered for i in train], float)
            w, b, mean, scale = fit(x, y)
            p_train = sigmoid(((x - mean) / scale) @ w + b)
            fold = [usable[i] for i in train]
            p_test = np.array([sigmoid(((usable[i].x[cols] - mean) / scale) @ w + b) for i in test])
            prob[test] = p_test
            if hybrid:
                veto, rescue = best_hybrid(p_train, fold)
                answer[test] = hybrid_answer(p_test, [usable[i] for i in test], veto, rescue)
            else:
                answer[test] = p_test >= best_threshold(p_train, fold)
        decided = dict(zip((id(r) for r in usable), answer, strict=True))
        return decision_accuracy(rows, [bool(decided.get(id(r), False)) for r in rows]), prob

    cols = list(range(len(names)))
    figures, prob = cv(cols)
    figures_hybrid, _ = cv(cols, hybrid=True)
    rules = decision_accuracy(rows, [r.rules_answer for r in rows])
    curve = []
    for t in np.linspace(0.1, 0.9, 9):
        decided = dict(zip((id(r) for r in usable), prob >= t, strict=True))
        curve.append({"threshold": round(float(t), 2),
                      **decision_accuracy(rows, [bool(decided.get(id(r), False)) for r in rows])})
    ablation_gain = {}
    if ablation:
        for j, name in enumerate(names):
            dropped, _ = cv([c for c in cols if c != j])
            ablation_gain[name] = round(figures["accuracy"] - dropped["accuracy"], 4)
    x = np.vstack([r.x for r in usable])
    y = np.array([r.correct_if_answered for r in usable], float)
    w, b, mean, scale = fit(x, y)
    p_all = sigmoid(((x - mean) / scale) @ w + b)
    threshold = best_threshold(p_all, usable)
    veto, rescue = best_hybrid(p_all, usable)
    return figures, figures_hybrid, rules, curve, ablation_gain, (w, b, mean, scale, threshold, veto, rescue)


def build_rows(bot, items: list[dict], names: tuple[str, ...]) -> list[QuestionRows]:
    from assistant.retrieve.rerank import feature_matrix
    from evals.textmatch import quote_matches

    rows = []
    for item in items:
        if not item.get("answerable") or not item.get("quotes"):
            continue
        query, cands = bot.candidates(item["question"], history=item.get("history") or [])
        if not cands:
            continue
        y = np.array([any(quote_matches(q, c.passage.chunk.text) for q in item["quotes"]) for c in cands], float)
        group = fold_group(item)
        rows.append(QuestionRows(item["id"], group, feature_matrix(query, cands, names), y,
                                 np.array([c.passage.score for c in cands])))
    return rows


def ranking_metrics(scored: list[tuple[np.ndarray, np.ndarray]], total: int) -> dict[str, float]:
    """hit@k and MRR over ``total`` questions (those with no positive candidate count as misses)."""
    ranks = []
    for scores, y in scored:
        order = np.argsort(-scores, kind="stable")
        hits = np.nonzero(y[order])[0]
        ranks.append(int(hits[0]) + 1 if len(hits) else None)
    out = {f"hit_at_{k}": sum(1 for r in ranks if r and r <= k) / total for k in HITS}
    out["mrr"] = sum(1.0 / r for r in ranks if r) / total
    return {k: round(v, 4) for k, v in out.items()}


def fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    model = LogisticRegression(C=REGULARISATION_C, max_iter=2000)
    model.fit((x - mean) / scale, y)
    return model.coef_[0], float(model.intercept_[0]), mean, scale


def fit_model(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], learner: str, meta: dict | None = None):
    """A `LinearModel` (logistic regression) or a `TreeModel` (boosted trees) fitted on the rows."""
    from assistant.fitted import LinearModel

    if learner == "linear":
        return LinearModel(names, *fit(x, y), meta or {})
    return fit_trees(x, y, names, meta or {})


def fit_trees(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], meta: dict):
    """scikit-learn's histogram boosted trees, exported to the package's numpy form (checked to give the
    same log-odds on every training row)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from assistant.fitted import TreeModel
    from assistant.retrieve.rerank import INCREASING

    monotone = [1 if n in INCREASING else 0 for n in names]
    clf = HistGradientBoostingClassifier(**TREES, monotonic_cst=monotone).fit(x, y)
    # scikit-learn keeps the fitted trees in private attributes; the assert below catches a change.
    nodes = [p[0].nodes for p in clf._predictors]
    width = max(len(n) for n in nodes)

    def pad(values: list[np.ndarray], fill: float) -> np.ndarray:
        return np.array([np.pad(np.asarray(v, dtype=np.float64), (0, width - len(v)), constant_values=fill)
                         for v in values])

    left = pad([np.where(n["is_leaf"], -1, n["left"].astype(np.int64)) for n in nodes], -1).astype(np.int64)
    right = pad([np.where(n["is_leaf"], -1, n["right"].astype(np.int64)) for n in nodes], -1).astype(np.int64)
    feature = pad([n["feature_idx"] for n in nodes], 0).astype(np.int64)
    model = TreeModel(names, left, right, feature, pad([n["num_threshold"] for n in nodes], 0.0),
                      pad([n["value"] for n in nodes], 0.0), float(np.ravel(clf._baseline_prediction)[0]),
                      {**meta, "learner": {**TREES, "monotone": [n for n, m in zip(names, monotone, strict=True) if m]}})
    assert np.allclose(model.decision(x), clf.decision_function(x), atol=1e-6), "tree export disagrees"
    return model


def cross_validate(rows: list[QuestionRows], cols: list[int], total: int, learner: str = "linear") -> dict[str, float]:
    from sklearn.model_selection import GroupKFold

    groups = [r.group for r in rows]
    scored = []
    names = tuple(str(c) for c in cols)
    for train, test in GroupKFold(n_splits=FOLDS).split(rows, groups=groups):
        x = np.vstack([rows[i].x[:, cols] for i in train])
        y = np.concatenate([rows[i].y for i in train])
        model = fit_model(x, y, names, learner)
        scored += [(model.decision(rows[i].x[:, cols]), rows[i].y) for i in test]
    return ranking_metrics(scored, total)


def file_hashes(names: tuple[str, ...]) -> dict[str, str]:
    return {n: hashlib.sha256((EVALS / f"{n}.jsonl").read_bytes()).hexdigest()[:16] for n in names}


def make_bot(index_dir: Path | None, corpora: list[Path], rerank: bool = True):
    from assistant import Assistant
    from assistant.settings import load_settings

    if index_dir is None:
        from ingest.pipeline import run_ingest

        index_dir = Path(tempfile.mkdtemp(prefix="bipm-fit-"))
        run_ingest(load_settings(index_dir=index_dir), corpora, progress=False)
    # The evidence and abstention models are fitted on what the retrieval they will serve with returns
    # (--rerank/--no-rerank); the reranker's own features do not depend on it. Abstention is by the rules.
    return Assistant.from_settings(load_settings(index_dir=index_dir, abstention="rules", rerank=rerank))


def main(argv: list[str] | None = None) -> int:
    from assistant.answer.abstain import ABSTAIN_FEATURES
    from assistant.answer.features import unit_names
    from assistant.retrieve.rerank import FEATURES

    p = argparse.ArgumentParser(prog="python -m evals.fit", description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, default=None)
    p.add_argument("--corpus", type=Path, action="append", default=None)
    p.add_argument("--sets", nargs="+", default=list(FIT_SETS))
    p.add_argument("--model", choices=("rerank", "evidence", "abstain"), default="rerank",
                   help="rerank: passages (candidates of retrieval); evidence: answer units (sentences, items)")
    p.add_argument("--out", type=Path, default=None, help="default: src/assistant/data/<model>.json")
    p.add_argument("--no-ablation", action="store_true")
    p.add_argument("--also-index-dir", type=Path, action="append", default=[],
                   help="also build rows on this index, for the sets whose documents it holds "
                        "(the fold of a question is the same on every index)")
    p.add_argument("--rerank", action=argparse.BooleanOptionalAction, default=True,
                   help="retrieve with the reranker while building rows (match how the model will serve)")
    p.add_argument("--learner", choices=("linear", "trees"), default="linear",
                   help="rerank/evidence: logistic regression, or boosted trees (TREES)")
    args = p.parse_args(argv)
    names = tuple({"rerank": FEATURES, "evidence": unit_names(), "abstain": ABSTAIN_FEATURES}[args.model])
    out = args.out or DATA / f"{args.model}.json"
    sets = tuple(args.sets)
    bot = make_bot(args.index_dir, args.corpus or list(DEFAULT_CORPORA), args.rerank)
    items = load_items(sets)
    also = [make_bot(d, [], args.rerank) for d in args.also_index_dir]
    if args.model == "abstain":
        return write_abstention(bot, items, names, sets, out, not args.no_ablation, also)
    build = build_rows if args.model == "rerank" else build_unit_rows
    rows = build(bot, items, names)
    total = sum(1 for i in items if i.get("answerable") and i.get("quotes"))
    for other in also:  # the same questions where a smaller collection is served (seed sets on corpus/ alone)
        held = held_items(other, items)
        rows += build(other, held, names)
        total += sum(1 for i in held if i.get("answerable") and i.get("quotes"))
    print(f"{total} answerable questions, {sum(len(r.y) for r in rows)} candidates, "
          f"{sum(int(r.y.any()) for r in rows)} with a positive candidate")
    baseline = ranking_metrics([(r.fused, r.y) for r in rows], total)
    cols = list(range(len(names)))
    cv = cross_validate(rows, cols, total, args.learner)
    print(f"first-stage order {baseline}\nfitted (CV)       {cv}")
    ablation = {}
    if not args.no_ablation:
        for j, name in enumerate(names):
            dropped = cross_validate(rows, [c for c in cols if c != j], total, args.learner)
            ablation[name] = {k: round(cv[k] - dropped[k], 4) for k in ("hit_at_1", "hit_at_6", "mrr")}
            print(f"  without {name:14s} hit@1 {dropped['hit_at_1']:.3f}  hit@6 {dropped['hit_at_6']:.3f}  "
                  f"mrr {dropped['mrr']:.3f}")
    meta = {"fitted": datetime.now(UTC).replace(microsecond=0).isoformat(), "sets": file_hashes(sets),
            "questions": total, "indexes": 1 + len(also), "candidates": int(sum(len(r.y) for r in rows)),
            "folds": FOLDS,
            "fold_groups": "document answering the question (seed sets: set and category)",
            "cv": cv, "fused_baseline": baseline, "ablation_gain": ablation}
    model = fit_model(np.vstack([r.x for r in rows]), np.concatenate([r.y for r in rows]), names, args.learner, meta)
    out.write_text(json.dumps(model.to_dict(), indent=1 if args.learner == "linear" else None) + "\n",
                   encoding="utf-8")
    print(f"wrote {out}")
    for name, weight in zip(names, getattr(model, "weights", []), strict=False):
        print(f"  {name:14s} {weight:+.3f}")
    return 0


def held_items(bot, items: list[dict]) -> list[dict]:
    """The items of the sets whose every named ``doc`` this bot's index holds (sets with none: all held)."""
    from assistant.evaluate.metrics import from_doc

    paths = [str(d.meta.get("path") or d.source) for d in bot.corpus().documents.values()]
    missing = {i["_set"] for i in items if i.get("doc") and not any(from_doc(p, i["doc"]) for p in paths)}
    return [i for i in items if i["_set"] not in missing]


def write_abstention(bot, items, names, sets, out: Path, ablation: bool, also: list = ()) -> int:
    from assistant.fitted import LinearModel

    rows = build_draft_rows(bot, items, names)
    for other in also:  # the same questions where a smaller collection is served (seed sets on corpus/ alone)
        rows += build_draft_rows(other, held_items(other, items), names)
    figures, hybrid, rules, curve, gain, (w, b, mean, scale, threshold, veto, rescue) = fit_abstention(
        rows, names, ablation)
    print(f"{len(rows)} questions; rules alone {rules}\nfitted (CV)  {figures}\nhybrid (CV)  {hybrid}")
    print("curve (threshold: answer rate / accuracy):")
    for point in curve:
        print(f"  {point['threshold']:.1f}: {point['answer_rate']:.3f} / {point['accuracy']:.3f}")
    for name, g in gain.items():
        print(f"  without {name:16s} accuracy {figures['accuracy'] - g:.3f}")
    meta = {"fitted": datetime.now(UTC).replace(microsecond=0).isoformat(), "sets": file_hashes(sets),
            "questions": len(rows), "indexes": 1 + len(also), "folds": FOLDS, "threshold": threshold,
            "veto": veto, "rescue": rescue,
            "rerank": bool(bot.settings.rerank),
            "target": "best answer accuracy on the training folds", "cv": figures, "cv_hybrid": hybrid,
            "rules_alone": rules,
            "curve": curve, "ablation_gain": gain}
    out.write_text(json.dumps(LinearModel(names, w, b, mean, scale, meta).to_dict(), indent=1) + "\n",
                   encoding="utf-8")
    print(f"wrote {out} (threshold {threshold}; hybrid veto {veto}, rescue {rescue})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
