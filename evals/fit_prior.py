"""Fit the unit weights of ``evidence-prior.json`` on answer correctness (a measurement; writes nothing).

    python -m evals.fit_prior --index-dir LARGE --also-index-dir SEED [--sets …] [--settings NAME …]

The hand-set unit weights were kept because a scorer fitted on unit labels answered worse ("refit on answer
correctness, not unit labels": the file's ``why_kept``). This fits them on what counts: each question is
drafted once per index and its draft's inputs cached (question, evidence, follow-up terms); a weight vector is
then scored by re-running only the answerer (scoring, selection, coverage checks, composition) on the cache.
Its accuracy is the share of questions answered with every fact present or, when unanswerable, abstained.

The search is coordinate ascent from the current weights (each weight ± ``STEPS``, kept when it gains more
than ``MIN_GAIN_QUESTIONS`` questions), checked by 2-fold cross-validation with documents as groups (the
folds of `evals.fit`), then run on every question. It prints the held-out figures and the final weights.

With ``--settings``, the same search fits named answerer settings (shares and counts such as
``min_coverage`` or ``runner_up_share``; each moves by a share of its value) with the packaged unit weights.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from evals.fit import FIT_SETS, fold_group, held_items, load_items, make_bot

FEATURES = ("text_cover", "context_cover", "dense", "passage_rr", "has_need", "dated", "phrase", "heading_match",
            "is_heading", "opens_with_participle", "is_item", "passage_score", "same_language")
STEPS = (0.1, 0.05)
SETTING_STEPS = (0.25, 0.1)  # a setting moves by this share of its value
MIN_GAIN_QUESTIONS = 1.5  # a change must win two questions net: one is noise
SEED = 0  # the shuffle of document groups into the two folds


def record(bot, items: list[dict]) -> list[tuple]:
    """(bot, item, answerer inputs of its last draft, passages, corpus view) per question."""
    calls: list[tuple] = []
    original = bot.answerer.draft

    def spy(*args, **kwargs):  # the draft's inputs as the assistant passes them, whatever they grow to
        calls.append((args, kwargs))
        return original(*args, **kwargs)

    bot.answerer.draft = spy
    out = []
    try:
        for item in items:
            calls.clear()
            _, passages, corpus = bot.drafted(item["question"], history=item.get("history") or [])
            out.append((bot, item, calls[-1] if calls else None, passages, corpus))
    finally:
        bot.answerer.draft = original
    return out


def memoize_facts(bot) -> None:
    """Cache the answerer's unit facts per (question, evidence) object: they do not depend on the weights, and
    computing them is most of a draft's time. The cache holds its keys, so their ids are never reused."""
    original = bot.answerer.facts
    cache: dict[tuple[int, int], tuple] = {}

    def facts(q, ev):
        key = (id(q), id(ev))
        if key not in cache:
            cache[key] = (q, ev, original(q, ev))
        return cache[key][2]

    bot.answerer.facts = facts


def model_of(weights: list[float]):
    from assistant.fitted import LinearModel, packaged_model

    prior = packaged_model("evidence-prior")
    n = len(FEATURES)
    return LinearModel(FEATURES, np.array(weights, float), 0.0, np.zeros(n), np.ones(n), dict(prior.meta))


def correct(record_: tuple, model) -> bool:
    from assistant.answer.compose import compose
    from evals.textmatch import group_present

    bot, item, call, passages, corpus = record_
    answerable = bool(item.get("answerable"))
    if call is None:
        return not answerable
    bot.answerer._model = model  # None: the packaged scorer
    try:
        args, kwargs = call
        draft = bot.answerer.draft(*args, **kwargs)
    finally:
        bot.answerer._model = None
    if draft.abstained or not answerable:
        return draft.abstained and not answerable
    text, _ = compose(draft, corpus, passages, "")
    return all(group_present(g, text) for g in item["facts"])


def accuracy(records: list[tuple], idx: list[int], weights: list[float], names: tuple[str, ...] = FEATURES) -> float:
    """Share of the questions ``idx`` answered right with unit ``weights`` or, in settings mode (``names`` are
    answerer settings), with those settings at ``weights``."""
    if names != FEATURES:
        return settings_accuracy(records, idx, dict(zip(names, weights, strict=True)))
    model = model_of(weights)
    return sum(correct(records[i], model) for i in idx) / len(idx)


def settings_accuracy(records: list[tuple], idx: list[int], values: dict[str, float]) -> float:
    """Accuracy with the packaged unit weights and the answerer settings ``values`` (every bot's answerer)."""
    bots = {id(r[0]): r[0] for r in records}.values()
    saved = {id(b): b.answerer.settings for b in bots}
    try:
        for b in bots:
            b.answerer.settings = saved[id(b)].model_copy(update=values)
        return sum(correct(records[i], None) for i in idx) / len(idx)
    finally:
        for b in bots:
            b.answerer.settings = saved[id(b)]


def neighbours(name: str, value: float, step: float, integer: bool) -> list[float]:
    """Trial values of one coordinate: ± ``step`` for a unit weight (never below 0); for a setting, ± ``step``
    of its value, within the bounds the setting declares (a share stays within (0, 1]; a count moves by at least
    1 and stays at least 0)."""
    if name in FEATURES:
        return [round(max(0.0, value + d), 3) for d in (step, -step)]
    low, high = setting_bounds(name)
    if integer:
        d = max(1, round(value * step))
        return [min(value + d, high), max(0, low, value - d)]
    return [round(min(high, value * (1 + step)), 3), round(max(low, value * (1 - step)), 3)]


def setting_bounds(name: str) -> tuple[float, float]:
    """The least and greatest value the setting ``name`` accepts: its field's ``ge``/``gt`` and ``le``/``lt``
    (every share declares ``le=1``), and never below 0."""
    from assistant.settings import Settings

    low, high = 0.0, float("inf")
    for bound in Settings.model_fields[name].metadata:
        low = max(low, float(getattr(bound, "ge", None) or getattr(bound, "gt", None) or low))
        high = min(high, float(getattr(bound, "le", None) or getattr(bound, "lt", None) or high))
    return low, high


def search(records: list[tuple], idx: list[int], weights: list[float], label: str,
           names: tuple[str, ...] = FEATURES, integers: frozenset[str] = frozenset()) -> list[float]:
    weights = list(weights)
    best = accuracy(records, idx, weights, names)
    print(f"{label}: start {best:.4f}", flush=True)
    for step in (STEPS if names == FEATURES else SETTING_STEPS):
        improved = True
        while improved:
            improved = False
            for j, name in enumerate(names):
                for value in neighbours(name, weights[j], step, name in integers):
                    trial = list(weights)
                    trial[j] = value
                    if trial == weights:
                        continue
                    score = accuracy(records, idx, trial, names)
                    if score > best + MIN_GAIN_QUESTIONS / len(idx):
                        best, weights, improved = score, trial, True
                        print(f"{label}: {name} → {trial[j]}  {best:.4f}", flush=True)
    return weights


def main(argv: list[str] | None = None) -> int:
    from assistant.fitted import packaged_model

    p = argparse.ArgumentParser(prog="python -m evals.fit_prior", description=__doc__.splitlines()[0])
    p.add_argument("--index-dir", type=Path, required=True)
    p.add_argument("--also-index-dir", type=Path, action="append", default=[])
    p.add_argument("--sets", nargs="+", default=list(FIT_SETS))
    p.add_argument("--settings", nargs="+", default=[], metavar="NAME",
                   help="fit these answerer settings (e.g. min_coverage runner_up_share) instead of the unit weights")
    args = p.parse_args(argv)
    items = load_items(tuple(args.sets))
    bot = make_bot(args.index_dir, [])
    records = record(bot, items)
    memoize_facts(bot)
    for extra in args.also_index_dir:
        other = make_bot(extra, [])
        records += record(other, held_items(other, items))
        memoize_facts(other)
    prior = packaged_model("evidence-prior")
    if args.settings:
        names = tuple(args.settings)
        current = bot.answerer.settings
        start = [getattr(current, n) for n in names]
        integers = frozenset(n for n in names if isinstance(getattr(current, n), int))
    else:
        names, integers = FEATURES, frozenset()
        start = [float(dict(zip(prior.features, prior.weights, strict=True)).get(f, 0.0)) for f in FEATURES]
    groups = [fold_group(r[1]) for r in records]
    group_names = sorted(set(groups))
    np.random.default_rng(SEED).shuffle(group_names)
    first = set(group_names[: len(group_names) // 2])
    a = [i for i, g in enumerate(groups) if g in first]
    b = [i for i, g in enumerate(groups) if g not in first]
    print(f"{len(records)} questions; starting values {dict(zip(names, start, strict=True))}")
    for label, train, test in (("A→B", a, b), ("B→A", b, a)):
        fitted = search(records, train, start, label, names, integers)
        print(f"{label} held-out accuracy: starting values {accuracy(records, test, start, names):.4f}, "
              f"fitted {accuracy(records, test, fitted, names):.4f}", flush=True)
    final = search(records, list(range(len(records))), start, "all", names, integers)
    print("fitted on every question:", dict(zip(names, final, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
