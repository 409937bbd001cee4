"""The fitted models: loading, reranking, evidence scoring and the abstention decision on hand-built inputs,
and the packaged model files' own cross-validated figures (a fit that does not beat its baseline fails)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from assistant.answer.abstain import ABSTAIN_FEATURES, decide
from assistant.answer.draft import Block, Draft
from assistant.answer.evidence import Unit
from assistant.answer.features import unit_names
from assistant.fitted import LinearModel, TreeModel, model_from_dict, packaged_model
from assistant.question import references as refs
from assistant.retrieve.rerank import FEATURES, Candidate, Query, feature_matrix, rerank
from assistant.types import Chunk, Document, Passage
from evals.fit import DraftRow, best_hybrid, decision_accuracy, hybrid_answer


def model(features: tuple[str, ...], weights: list[float], threshold: float = 0.5) -> LinearModel:
    n = len(features)
    return LinearModel(features, np.array(weights, float), 0.0, np.zeros(n), np.ones(n), {"threshold": threshold})


def candidate(cid: str, section: str, text: str, lexical: float, body: str = "ABC", title: str = "") -> Candidate:
    doc = Document(cid, "s", title or f"12th meeting of the {body}", text, date="1999-10-15", meta={"body": body})
    chunk = Chunk(cid, cid, text, 0, len(text), section, 0)
    return Candidate(Passage(chunk, 0.1, 0.3, lexical), doc, refs.of_document(doc), 1, 1, 2.0, 0.1, False)


def query(text: str) -> Query:
    ref = refs.parse(text, frozenset({"ABC", "XYZ"}))
    return Query(frozenset(), frozenset(), "en", ref, ref.years)


def test_model_round_trips_through_its_dict() -> None:
    m = model(("a", "b"), [1.0, -2.0])
    again = LinearModel.from_dict(m.to_dict())
    x = np.array([[1.0, 0.5], [0.0, 1.0]])
    assert np.allclose(m.probability(x), again.probability(x))
    assert m.probability(x)[0] > m.probability(x)[1]


def test_a_translated_question_is_compared_in_its_own_words_with_units_in_its_language() -> None:
    """'unit_dense' of a French chunk is the better cosine of its units with the translation's vector and with
    the French question's own; an English chunk's reads the translation's only."""
    units = np.eye(3)[:2]  # two units, orthogonal unit vectors
    english, french = np.eye(3)[2], np.eye(3)[0]  # the translation matches neither unit; the French words match one
    fr, en = (replace(candidate(lang, "S", "texte", 1.0), unit_vectors=units) for lang in ("fr", "en"))
    fr = replace(fr, doc=replace(fr.doc, language="fr"))
    q = replace(query("x"), lang="fr", vector=english, own_vector=french)
    assert feature_matrix(q, [fr, en], ("unit_dense",))[:, 0].tolist() == [1.0, 0.0]
    assert feature_matrix(replace(q, own_vector=None), [fr, en], ("unit_dense",))[:, 0].tolist() == [0.0, 0.0]


def test_rerank_orders_by_the_model_and_renumbers() -> None:
    q = query("What did Resolution 4 of the 12th ABC decide?")
    plain = candidate("a", "Resolution 2: On something", "text a", lexical=2.0)
    named = candidate("b", "Resolution 4: On the budget", "text b", lexical=1.0)
    by_item = rerank(q, [plain, named], model(("item",), [3.0]), k=2)
    assert [p.chunk.id for p in by_item] == ["b", "a"] and [p.rank for p in by_item] == [1, 2]
    by_lexical = rerank(q, [plain, named], model(("lexical",), [3.0]), k=1)
    assert [p.chunk.id for p in by_lexical] == ["a"]


def test_rerank_adds_the_best_passages_giving_the_asked_expansion_when_its_top_gives_none() -> None:
    from assistant.answer.answer_type import NEED_PATTERNS
    from assistant.retrieve.hybrid import ANSWER_TYPE_ROWS

    texts = ["The GCC met twice.", "The WCC (Widget Calibration Club) met.", "GCC (Gadget Calibration Council)",
             "A glossary:\n- GCC: Gadget Calibration Council", "The GCC (Gadget Calibration Council) voted."]
    cands = [candidate(str(i), "", t, lexical=2.0 - i / 10) for i, t in enumerate(texts)]
    by_lexical = model(("lexical",), [3.0])
    q = replace(query("What does GCC stand for?"), need=NEED_PATTERNS["expansion"], spelled=("GCC",))
    # Another acronym's expansion ('WCC (…)') is not the one asked for: the top two give none, so the best
    # passages that do (in the model's order) follow them.
    assert [p.chunk.id for p in rerank(q, cands, by_lexical, k=2)] == ["0", "1", "2", "3"][: 2 + ANSWER_TYPE_ROWS]
    assert [p.rank for p in rerank(q, cands, by_lexical, k=2)] == [1, 2, 3, 4]
    assert [p.chunk.id for p in rerank(q, cands, by_lexical, k=3)] == ["0", "1", "2"]  # the top already gives it
    assert [p.chunk.id for p in rerank(query("What does GCC stand for?"), cands, by_lexical, k=2)] == ["0", "1"]
    # Two acronyms asked: the top gives the WCC's, so the best passages giving the GCC's follow.
    both = replace(q, spelled=("WCC", "GCC"))
    assert [p.chunk.id for p in rerank(both, cands, by_lexical, k=2)] == ["0", "1", "2", "3"][: 2 + ANSWER_TYPE_ROWS]


def test_rerank_adds_the_expansion_in_the_language_the_question_was_asked_in() -> None:
    from assistant.answer.answer_type import NEED_PATTERNS

    texts = ["Le GCC (Groupe de calibration des gadgets) s'est réuni.", "The GCC met twice.",
             "Le GCC (Groupe des calibrateurs) a voté.", "The GCC (Gadget Calibration Council) voted."]
    cands = [candidate(str(i), "", t, lexical=2.0 - i / 10) for i, t in enumerate(texts)]
    for i in (0, 2):
        cands[i] = replace(cands[i], doc=replace(cands[i].doc, language="fr"))
    q = replace(query("What does GCC stand for?"), need=NEED_PATTERNS["expansion"], spelled=("GCC",))
    by_lexical = model(("lexical",), [3.0])
    # The top two give the French name only: the English one follows, ahead of the better-scored French one.
    assert [p.chunk.id for p in rerank(q, cands, by_lexical, k=2)] == ["0", "1", "3", "2"]
    assert [p.chunk.id for p in rerank(replace(q, lang="fr"), cands, by_lexical, k=2)] == ["0", "1"]


def test_rerank_applies_each_candidate_factor_to_the_model_probability() -> None:
    q = query("anything")
    first, second = candidate("a", "", "text a", lexical=2.0), candidate("b", "", "text b", lexical=1.9)
    by_lexical = model(("lexical",), [3.0])
    assert [p.chunk.id for p in rerank(q, [first, second], by_lexical, k=2)] == ["a", "b"]
    penalised = rerank(q, [first, second], by_lexical, k=2, factors=[0.25, 1.0])
    assert [p.chunk.id for p in penalised] == ["b", "a"]
    assert penalised[1].score == pytest.approx(0.25 / (1 + np.exp(-3.0)))  # lexical 2.0 of max 2.0, weight 3


def test_tree_model_walks_each_tree_to_a_leaf_and_round_trips() -> None:
    # One stump on feature 0 (x <= 0.5: -1, else +2) and one leaf-only tree (+0.5), prior 0.1.
    left, right = np.array([[1, -1, -1], [-1, -1, -1]]), np.array([[2, -1, -1], [-1, -1, -1]])
    trees = TreeModel(("a", "b"), left, right, np.zeros((2, 3), int), np.array([[0.5, 0, 0], [0, 0, 0]]),
                      np.array([[0.0, -1.0, 2.0], [0.5, 0, 0]]), 0.1, {})
    x = np.array([[0.2, 9.0], [0.5, 0.0], [0.9, 0.0]])
    assert trees.decision(x).tolist() == pytest.approx([-0.4, -0.4, 2.6])
    again = model_from_dict(json.loads(json.dumps(trees.to_dict())))
    assert isinstance(again, TreeModel) and np.allclose(again.decision(x), trees.decision(x))
    # A tree evidence scorer scores like a logistic one: by probability (the answerer calls ``score``).
    assert trees.score(x) == pytest.approx(1 / (1 + np.exp(-np.array([-0.4, -0.4, 2.6]))))


def test_trees_of_different_depths_score_as_walking_each_row_down_each_tree() -> None:
    # Tree 0 leans right three levels deep (splits on b, a, b); tree 1 is a stump on b; prior -0.3.
    left = np.array([[1, -1, 3, -1, 5, -1, -1], [1, -1, -1, -1, -1, -1, -1]])
    right = np.array([[2, -1, 4, -1, 6, -1, -1], [2, -1, -1, -1, -1, -1, -1]])
    feature = np.array([[1, 0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 0, 0]])
    threshold = np.array([[0.0, 0, 1.5, 0, 2.0, 0, 0], [1.0, 0, 0, 0, 0, 0, 0]])
    value = np.array([[0, 0.1, 0, 0.2, 0, 0.3, 0.4], [0, -0.5, 0.5, 0, 0, 0, 0]])
    trees = TreeModel(("a", "b"), left, right, feature, threshold, value, -0.3, {})

    def walk(row: np.ndarray) -> float:
        total = -0.3
        for t in range(2):
            node = 0
            while left[t, node] != -1:
                node = left[t, node] if row[feature[t, node]] <= threshold[t, node] else right[t, node]
            total += value[t, node]
        return total

    rng = np.random.default_rng(7)
    x = rng.choice([-1.0, 0.0, 1.0, 1.5, 2.0, 3.0], size=(40, 2))  # values on and beside every threshold
    assert trees.decision(x).tolist() == pytest.approx([walk(r) for r in x])
    assert trees.decision(x[:1]).tolist() == pytest.approx([walk(x[0])])


def test_reference_features_read_the_document_metadata() -> None:
    q = query("12th ABC 1999")
    same, other = candidate("a", "", "x", 1.0), candidate("b", "", "x", 1.0, body="XYZ", title="12th meeting of the XYZ")
    x = feature_matrix(q, [same, other], ("doc_reference", "body", "year"))
    assert x.tolist() == [[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]


def test_unit_features_read_the_closest_unit_of_the_chunk() -> None:
    q = Query(frozenset({"budget", "approve"}), frozenset({"budget", "approve"}), "en",
              refs.parse("", frozenset()), frozenset(), vector=np.array([1.0, 0.0]))
    spread = replace(candidate("a", "", "x", 1.0), unit_lemmas=(frozenset({"budget"}), frozenset({"approve"})),
                     unit_vectors=np.array([[0.6, 0.8], [0.0, 1.0]]))
    one = replace(candidate("b", "", "x", 1.0), unit_lemmas=(frozenset({"budget", "approve", "year"}),),
                  unit_vectors=np.array([[0.9, 0.436]]))
    x = feature_matrix(q, [spread, one], ("unit_dense", "unit_cover"))
    assert x.round(3).tolist() == [[0.6, 0.5], [0.9, 1.0]]
    # Without the question's vector (or units), the chunk's own dense score stands in.
    assert feature_matrix(replace(q, vector=None), [one], ("unit_dense",)).tolist() == [[0.3]]


def draft_with(signals: dict[str, float], abstained: bool) -> Draft:
    unit = Unit("d", 0, "sent", "A sentence.", 0, 11, "", 1)
    return Draft(blocks=[Block("sentences", (unit,))], abstained=abstained, reason="missing_terms" if abstained else "",
                 signals=signals)


def test_decide_answers_above_the_threshold_and_abstains_below() -> None:
    m = model(("coverage",), [4.0], threshold=0.5)
    assert not decide(draft_with({"coverage": 1.0}, abstained=True), m).abstained
    low = decide(draft_with({"coverage": -1.0}, abstained=False), m)
    assert low.abstained and low.reason == "low_confidence" and 0.0 < low.confidence < 0.5


def test_hybrid_keeps_the_rules_unless_the_model_is_confident() -> None:
    m = model(("coverage",), [4.0], threshold=0.5)
    m.meta.update(veto=0.1, rescue=0.9)
    p_mid = 0.0  # sigmoid(4 * 0) = 0.5: between veto and rescue, the rules' decision stands either way
    assert decide(draft_with({"coverage": p_mid}, abstained=True), m, hybrid=True).abstained
    assert not decide(draft_with({"coverage": p_mid}, abstained=False), m, hybrid=True).abstained
    assert not decide(draft_with({"coverage": 1.0}, abstained=True), m, hybrid=True).abstained  # 0.98: rescued
    vetoed = decide(draft_with({"coverage": -1.0}, abstained=False), m, hybrid=True)  # 0.02: withheld
    assert vetoed.abstained and vetoed.reason == "low_confidence"


def test_decide_never_answers_without_a_quote() -> None:
    empty = Draft(abstained=True, reason="off_topic")
    assert decide(empty, model(("coverage",), [4.0])).abstained


@pytest.mark.parametrize(("name", "known", "baseline"), [
    ("rerank", FEATURES, "fused_baseline"), ("evidence", unit_names(), "fused_baseline"),
])
def test_packaged_ranking_models_beat_their_baseline_on_held_out_folds(name, known, baseline) -> None:
    m = packaged_model(name)
    assert m is not None, f"assistant/data/{name}.json is missing: run python -m evals.fit --model {name}"
    assert set(m.features) <= set(known)
    cv, base = m.meta["cv"], m.meta[baseline]
    assert cv["mrr"] > base["mrr"] and cv["hit_at_1"] >= base["hit_at_1"]


def test_packaged_abstention_model_is_calibrated_on_held_out_folds() -> None:
    m = packaged_model("abstain")
    assert m is not None and set(m.features) <= set(ABSTAIN_FEATURES)
    assert 0.0 < m.meta["threshold"] < 1.0
    assert m.meta["cv"]["accuracy"] >= m.meta["rules_alone"]["accuracy"]
    # The default decision (hybrid) answers more questions right than the rules on held-out folds, without
    # answering more unanswerable ones; it never withholds a rule answer.
    hybrid, rules = m.meta["cv_hybrid"], m.meta["rules_alone"]
    assert hybrid["accuracy"] > rules["accuracy"]
    assert hybrid["abstention_accuracy"] >= rules["abstention_accuracy"]
    assert m.meta["veto"] == 0.0 and 0.0 < m.meta["rescue"] <= 1.0


def _row(answerable: bool, correct: bool, rules_answer: bool) -> DraftRow:
    return DraftRow("q", "g", answerable, np.zeros(1), correct, rules_answer)


def test_hybrid_rescue_keeps_the_rules_abstention_accuracy() -> None:
    rows = [
        _row(True, True, False),   # p 0.9: a false abstention of the rules, right if answered
        _row(False, False, False),  # p 0.7: unanswerable, the rules abstain
        _row(True, True, False),   # p 0.6: also right if answered, but rescuing it would answer the row above
        _row(True, True, True),    # p 0.1: a rule answer, never withheld
    ]
    p = np.array([0.9, 0.7, 0.6, 0.1])
    veto, rescue = best_hybrid(p, rows)
    assert veto == 0.0 and 0.7 < rescue <= 0.9
    answer = hybrid_answer(p, rows, veto, rescue)
    assert answer == [True, False, False, True]
    assert decision_accuracy(rows, answer)["abstention_accuracy"] == 1.0


def test_hybrid_rescue_is_off_when_nothing_keeps_the_rules_abstention_accuracy() -> None:
    rows = [_row(False, False, False), _row(True, True, False)]
    assert best_hybrid(np.array([0.9, 0.8]), rows) == (0.0, 1.0)


def test_packaged_unit_weights_were_fitted_on_answer_correctness_and_hold_on_held_out_folds() -> None:
    """The default unit scorer (`evidence-prior.json`) says how its weights were fitted (`evals.fit_prior`), and
    on each held-out fold the fitted weights answer at least as many questions right as the hand-set ones."""
    m = packaged_model("evidence-prior")
    assert m is not None and set(m.features) <= set(unit_names())
    assert "evals.fit_prior" in m.meta["source"] and m.meta["fitted"]
    folds = [v for k, v in m.meta["cv"].items() if "->" in k]
    assert len(folds) == 2 and all(f["fitted"] >= f["hand_set"] for f in folds)


def test_the_correctness_fit_moves_weights_by_steps_and_settings_by_shares_within_their_ranges() -> None:
    from evals.fit_prior import neighbours

    assert neighbours("dense", 0.05, 0.1, False) == [0.15, 0.0]  # a unit weight: ± step, never below 0
    assert neighbours("min_coverage", 0.9, 0.25, False) == [1.0, 0.675]  # a share: ± a share of it, at most 1
    assert neighbours("keys_per_missing", 4, 0.1, True) == [5, 3]  # a count: at least 1 either way
    assert neighbours("operative_units", 0, 0.25, True) == [1, 0]  # and never below 0
    # A weight that is not a share (its field declares no upper bound) is not held at 1.
    assert neighbours("common_name_weight", 2.0, 0.25, False) == [2.5, 1.5]
    assert neighbours("keys_per_missing", 20, 0.25, True) == [20, 15]  # nor beyond the bound the field declares


@pytest.mark.slow
def test_the_correctness_fit_replays_the_drafts_the_assistant_made(bot) -> None:
    """`evals.fit_prior` records each question's draft inputs as the assistant passes them, then replays only the
    answerer on them: the replay must run (it broke silently when the draft grew an argument) and score right."""
    from evals.fit_prior import correct, memoize_facts, record

    items = [{"question": "Whose employees are welcome to apply?", "answerable": True,
              "facts": [["national measurement institute"]]},
             {"question": "Whose employees are welcome to apply?", "answerable": True, "facts": [["a fact no page gives"]]},
             {"question": "How long should pasta boil?", "answerable": False, "facts": []}]
    records = record(bot, items)
    assert all(r[2] is not None for r in records)  # every question's draft was seen
    saved = bot.answerer.facts
    try:
        memoize_facts(bot)
        assert [correct(r, None) for r in records] == [True, False, True]
    finally:
        bot.answerer.facts = saved
