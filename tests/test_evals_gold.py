"""Tests for the evals/ harness: gold-set validity, metric functions, scorer, reports."""
from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from evals import metrics as m
from evals.gold import GoldItem, load_gold
from evals.report import (
    build_report,
    check_floors,
    compare_reports,
    render_comparison,
    render_markdown,
    write_outputs,
)
from evals.score import score, summarize
from evals.textmatch import phrase_in, quote_matches
from evals.validate import main as validate_main
from evals.validate import validate

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "evals" / "gold.jsonl"
CORPUS = ROOT / "corpus"


# ---------------------------------------------------------------- gold set

def test_real_gold_set_is_valid() -> None:
    assert validate(GOLD, CORPUS) == []


def test_gold_set_mix() -> None:
    items = load_gold(GOLD)
    cats = Counter(i.category for i in items)
    assert len(items) >= 90
    assert sum(not i.answerable for i in items) >= 20
    assert sum(bool(i.history) for i in items) >= 8
    assert cats["french"] >= 6 and cats["list"] >= 8 and cats["procedure"] >= 4
    assert all(len(i.facts) >= 2 for i in items if i.category == "list")


def _doctor(tmp_path: Path, mutate) -> Path:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    mutate(rows)
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def _first(rows: list[dict], answerable: bool) -> dict:
    return next(r for r in rows if r["answerable"] is answerable)


MUTATIONS = {
    "quote": (lambda rows: _first(rows, True)["quotes"].__setitem__(0, "The BIPM pays a salary of 5000 euros."),
              "quote not found"),
    "duplicate id": (lambda rows: rows[1].__setitem__("id", rows[0]["id"]), "duplicate id"),
    "missing field": (lambda rows: rows[0].pop("question"), "missing field 'question'"),
    "mistyped": (lambda rows: rows[0].__setitem__("answerable", "yes"), "'answerable' must be"),
    "no facts": (lambda rows: _first(rows, True).__setitem__("facts", []), "answerable item has no facts"),
    "no quotes": (lambda rows: _first(rows, True).__setitem__("quotes", []), "needs 1-3 quotes"),
    "unanswerable facts": (lambda rows: _first(rows, False).__setitem__("facts", [["BIPM"]]),
                           "unanswerable item has facts"),
    "bad category": (lambda rows: rows[0].__setitem__("category", "misc"), "unknown category"),
    "unmatchable fact": (lambda rows: _first(rows, True)["facts"].append(["fourteen euros"]),
                         "no phrasing of fact group"),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_doctored_gold_fails(tmp_path: Path, name: str) -> None:
    mutate, expected = MUTATIONS[name]
    problems = validate(_doctor(tmp_path, mutate), CORPUS)
    assert any(expected in p for p in problems), problems


def test_validate_cli_exit_codes(tmp_path: Path, capsys) -> None:
    assert validate_main(["--gold", str(GOLD), "--corpus", str(CORPUS)]) == 0
    bad = _doctor(tmp_path, MUTATIONS["quote"][0])
    assert validate_main(["--gold", str(bad), "--corpus", str(CORPUS)]) == 1
    assert "quote not found" in capsys.readouterr().out


def test_quotes_whitespace_may_differ(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    doc = corpus / "bipm-secondments-physical-metrology.txt"
    doc.write_text(doc.read_text(encoding="utf-8").replace("is essential.", "is\n   essential."), encoding="utf-8")
    assert validate(GOLD, corpus) == []


# ---------------------------------------------------------------- metric functions

def test_fact_matching() -> None:
    text = "Please  contact Dr Michael\nStock. A good level of English or French is essential."
    assert phrase_in("michael stock", text)
    assert not phrase_in("Andy Henson", text)
    assert phrase_in("WHO", "MoU with IAEA, ILAC and WHO.")
    assert not phrase_in("WHO", "Who should I contact?")
    assert phrase_in("MoU", "It signed several MoUs.") and not phrase_in("MoU", "the amount")
    assert m.facts_present([["English"], ["German", "Deutsch"]], text) == [True, False]
    assert m.fact_recall([["English"], ["German"]], text) == 0.5
    assert m.is_correct(True, [["English"], ["French"]], text, abstained=False)
    assert not m.is_correct(True, [["English"], ["French"]], text, abstained=True)
    assert not m.is_correct(True, [["English"], ["German"]], text, abstained=False)
    assert m.is_correct(False, [], "I don't know.", abstained=True)
    assert not m.is_correct(False, [], "Sure: widgets are painted blue.", abstained=False)


@dataclass
class Cit:
    text: str = ""
    quote: str = ""


QUOTE = "The BIPM will normally pay an allowance to cover your additional living expenses."


def test_citation_support_and_precision() -> None:
    good = Cit(text="Terms. The BIPM will normally pay an allowance to cover your\nadditional living expenses. Help ...")
    span_only = Cit(text="", quote="pay an allowance to cover your additional living expenses")
    other = Cit(text="The BIPM is located in Sèvres.")
    factual = Cit(text="An allowance is paid.")
    assert m.citation_supports(good, [QUOTE]) and m.citation_supports(span_only, [QUOTE])
    assert not m.citation_supports(other, [QUOTE])
    assert not m.any_citation_supports([other, factual], [QUOTE])
    assert m.citation_precision([good, other], [QUOTE], [["allowance"]]) == 0.5
    assert m.citation_precision([factual, other], [QUOTE], [["allowance"]]) == 0.5
    assert m.citation_precision([], [QUOTE], [["allowance"]]) == 0.0


def test_quote_split_across_chunks() -> None:
    first = "Intro text. The BIPM will normally pay an allowance to cover"
    tail = "your additional living expenses. Help will be given."
    assert quote_matches(QUOTE, first)            # 10 of 13 words in one run
    assert not quote_matches(QUOTE, tail)         # only 4 of 13 words
    assert not quote_matches("calculable capacitor", "capacitor")  # short quotes need containment
    assert not quote_matches("quantum Hall resistance", "the Hall resistance")


def test_a_quote_copied_from_markdown_source_matches_the_decoded_text() -> None:
    # Markdown source writes 'A.&#xa0;Gizmo'; the ingest reads it as 'A. Gizmo' (a no-break space).
    assert quote_matches("| A.&#xa0;Gizmo + Chair, GIZ |", "A. Gizmo + Chair, GIZ")
    assert phrase_in("m&eacute;trologie", "la métrologie des gizmos")


@dataclass
class Psg:
    text: str
    doc_id: str = "d"
    score: float = 0.0


def test_hit_at_k_and_mrr() -> None:
    passages = [Psg("nothing here"), Psg("still nothing"), Psg("x " + QUOTE + " y")]
    assert m.first_hit_rank(passages, [QUOTE]) == 3
    assert m.first_hit_rank(passages[:2], [QUOTE]) is None
    ranks = [1, 3, None, 6]
    assert m.hit_at_k(ranks, 1) == 0.25
    assert m.hit_at_k(ranks, 5) == 0.5
    assert m.mrr(ranks) == pytest.approx((1 + 1 / 3 + 1 / 6) / 4)
    assert m.hit_at_k([], 5) is None and m.mrr([]) is None
    assert m.percentile([10, 20, 30, 40], 50) == 25


# ---------------------------------------------------------------- scorer with a fake bot

@dataclass
class FakeAnswer:
    text: str
    abstained: bool = False
    support: str = "supported"
    support_score: float = 0.9
    citations: list = field(default_factory=list)
    stamp: object = None


@dataclass
class FakeStamp:
    index_version: str = "v-test"
    embedding_model: str = "fake-embed"
    answerer: str = "extractive"


class FakeBot:
    """Answers from a table; raises for 'boom'; abstains otherwise."""

    def __init__(self, table: dict[str, FakeAnswer]) -> None:
        self.table = table
        self.histories: list = []

    def ask(self, question: str, history=None) -> FakeAnswer:
        self.histories.append(history)
        if question == "boom":
            raise RuntimeError("index missing")
        return self.table.get(question, FakeAnswer("The documents don't say.", True, "abstained", 0.0))

    def retrieve(self, question: str, history=None) -> list[Psg]:
        return [Psg("unrelated"), Psg(QUOTE)]


def _items() -> list[GoldItem]:
    return [
        GoldItem("a1", "secondment-terms", "allowance?", True, [["allowance"], ["living expenses"]], [QUOTE]),
        GoldItem("a2", "secondment-terms", "salary?", True, [["allowance"], ["salary"]], [QUOTE],
                 history=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]),
        GoldItem("u1", "unanswerable", "weather?", False, [], []),
        GoldItem("u2", "unanswerable", "widget colour?", False, [], []),
        GoldItem("e1", "secondment-terms", "boom", True, [["allowance"]], [QUOTE]),
    ]


def _fake_bot() -> FakeBot:
    return FakeBot({
        "allowance?": FakeAnswer(QUOTE, citations=[Cit(text=QUOTE), Cit(text="Sèvres")], stamp=FakeStamp()),
        "widget colour?": FakeAnswer("Widgets are painted blue.", support="partial", support_score=0.2),
    })


def test_score_with_fake_bot() -> None:
    bot = _fake_bot()
    run = score(bot, _items())
    res = {r.id: r for r in run.results}
    assert res["a1"].correct and res["a1"].citation_support and res["a1"].citation_precision == 0.5
    assert res["a1"].retrieval_rank == 2
    assert not res["a2"].correct and res["a2"].abstained and res["a2"].fact_recall == 0.0
    assert res["u1"].correct and not res["u2"].correct
    assert res["e1"].error and not res["e1"].correct
    assert run.stamp["index_version"] == "v-test"
    assert bot.histories[1] == _items()[1].history
    overall = summarize(run.results)
    assert overall["answer_accuracy"] == pytest.approx(2 / 5)
    assert overall["abstention_accuracy"] == 0.5
    assert overall["false_abstention_rate"] == pytest.approx(1 / 3)
    assert overall["citation_support"] == 1.0 and overall["errors"] == 1
    assert overall["hit_at_1"] == 0.0 and overall["hit_at_5"] == 1.0 and overall["mrr"] == 0.5


def test_report_outputs(tmp_path: Path) -> None:
    run = score(_fake_bot(), _items())
    report = build_report(run, settings=None, meta={"gold": "x"})
    assert report["confusion"]["supported"] == {"correct": 1, "incorrect": 0}
    assert report["confusion"]["abstained"] == {"correct": 1, "incorrect": 1}
    md = render_markdown(report)
    assert "### a2 (secondment-terms)" in md and "salary" in md and "### a1 " not in md
    paths = write_outputs(report, tmp_path)
    assert paths["png"].stat().st_size > 0
    assert json.loads((tmp_path / "latest.json").read_text())["overall"]["n"] == 5


def test_compare_reports() -> None:
    def rep(correct: dict[str, bool], abstained: dict[str, bool], acc: float) -> dict:
        qs = [{"id": i, "question": i, "correct": c, "abstained": abstained[i]} for i, c in correct.items()]
        return {"questions": qs, "overall": {"answer_accuracy": acc}}

    old = rep({"q1": True, "q2": False, "q3": True, "q5": True},
              {"q1": False, "q2": True, "q3": False, "q5": False}, 0.67)
    new = rep({"q1": False, "q2": True, "q4": True, "q5": True},
              {"q1": True, "q2": False, "q4": False, "q5": False}, 0.5)
    cmp = compare_reports(old, new)
    assert cmp.newly_correct == ["q2"] and cmp.newly_incorrect == ["q1"]
    assert cmp.abstention_flips == [("q1", False, True), ("q2", True, False)]
    assert cmp.added == ["q4"] and cmp.removed == ["q3"]
    assert cmp.deltas["answer_accuracy"] == (0.67, 0.5)
    assert "-0.170" in render_comparison(cmp)


def test_check_floors() -> None:
    overall = {"answer_accuracy": 0.8, "false_abstention_rate": 0.2, "hit_at_5": None}
    assert check_floors(overall, {"answer_accuracy": 0.75, "_comment": "x"}) == []
    assert check_floors(overall, {"answer_accuracy": 0.85})
    assert check_floors(overall, {"false_abstention_rate": 0.1})        # lower is better: a ceiling
    assert check_floors(overall, {"false_abstention_rate": 0.3}) == []
    assert check_floors(overall, {"answer_accuracy": {"max": 0.5}})
    assert check_floors(overall, {"hit_at_5": 0.5}) and check_floors(overall, {"bogus": 1})


def test_cli_with_fake_bot(tmp_path: Path, monkeypatch, capsys) -> None:
    import evals.__main__ as cli

    # The one question answered right, read from the gold set by id: tests never quote an eval question.
    question = {i.id: i.question for i in load_gold(ROOT / "evals" / "gold.jsonl")}["sec-terms-02"]
    table = {question: FakeAnswer(QUOTE, citations=[Cit(text=QUOTE)], stamp=FakeStamp())}
    monkeypatch.setattr(cli, "build_bot", lambda corpus, index_dir: cli.BotSetup(FakeBot(table), None, tmp_path))
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"answer_accuracy": 0.5}))
    args = ["--category", "secondment-terms", "--out", str(tmp_path / "out"), "--floors", str(floors), "--quiet"]
    assert cli.main(args) == 1                       # 1 of 9 correct: below the floor
    out = capsys.readouterr().out
    assert "answer accuracy | 0.111" in out and "FLOOR: answer_accuracy" in out
    report = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert report["stamp"]["answerer"] == "extractive" and report["overall"]["n"] == 9
    floors.write_text(json.dumps({"answer_accuracy": 0.1}))
    assert cli.main(args) == 0
    assert cli.main(["--compare", str(tmp_path / "out" / "latest.json"), str(tmp_path / "out" / "latest.json")]) == 0


def test_holdout_set_is_valid() -> None:
    holdout = ROOT / "evals" / "holdout.jsonl"
    assert validate(holdout, CORPUS) == []
    items = load_gold(holdout)
    assert items and all(i.id.startswith("ho-") for i in items)
    # held out means unseen: no question may be copied from the tuning set
    tuned = {i.question.casefold() for i in load_gold(GOLD)}
    assert not [i.id for i in items if i.question.casefold() in tuned]


def test_blind_set_is_valid() -> None:
    blind = ROOT / "evals" / "blind.jsonl"
    assert validate(blind, CORPUS) == []
    items = load_gold(blind)
    assert items and all(i.id.startswith("bl-") for i in items)
    # blind means unseen: no question may be copied from either set used for tuning
    tuned = {i.question.casefold() for p in (GOLD, ROOT / "evals" / "holdout.jsonl") for i in load_gold(p)}
    assert not [i.id for i in items if i.question.casefold() in tuned]


def test_set_option_picks_questions_and_floors() -> None:
    from evals.__main__ import parse_args

    holdout = parse_args(["--set", "holdout"])
    assert holdout.gold.name == "holdout.jsonl" and holdout.floors.name == "floors-holdout.json"
    blind = parse_args(["--set", "blind"])
    assert blind.gold.name == "blind.jsonl" and blind.floors is None  # the blind set never gates
    assert parse_args([]).gold.name == "gold.jsonl"


def test_dev_set_is_valid() -> None:
    dev = ROOT / "evals" / "dev.jsonl"
    assert validate(dev, CORPUS) == []
    items = load_gold(dev)
    assert items and all(i.id.startswith("dv-") for i in items)
    # the dev set studies failures on new questions: none may be copied from the other three sets
    earlier = {i.question.casefold() for p in ("gold", "holdout", "blind")
               for i in load_gold(ROOT / "evals" / f"{p}.jsonl")}
    assert not [i.id for i in items if i.question.casefold() in earlier]


def test_only_the_seed_sets_are_held_to_the_project_categories(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows[0]["category"] = "cgpm-decision"  # a topic name a corpus-extra question file may use
    for name, allowed in (("train-extra-x.jsonl", True), ("holdout.jsonl", False)):
        path = tmp_path / name
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        problems = validate(path, CORPUS)
        assert (problems == []) is allowed, problems
