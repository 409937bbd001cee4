"""`assistant eval`: the question format and its errors, the doc-aware retrieval metrics, reports, floors."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from assistant.evaluate import metrics as m
from assistant.evaluate.cli import main as eval_main
from assistant.evaluate.questions import GoldItem, QuestionFileError, load_questions
from assistant.evaluate.run import BotSetup
from assistant.evaluate.score import score, summarize
from tests.conftest import CORPUS

QUOTE = "The secondee remains employed and paid by the home institute during the secondment."


@dataclass
class Psg:
    text: str
    doc_id: str = "d-other"


@dataclass
class Doc:
    source: str


@dataclass
class UrlDoc:
    source: str
    meta: dict


@dataclass
class Corpus:
    documents: dict = field(default_factory=lambda: {"d-other": Doc("corpus/other.md"),
                                                     "d-right": Doc("/data/corpus-extra/right.md")})


@dataclass
class Cit:
    text: str
    quote: str = ""


@dataclass
class Ans:
    text: str
    abstained: bool = False
    support: str = "supported"
    support_score: float = 0.9
    citations: list = field(default_factory=list)
    stamp: dict = field(default_factory=lambda: {"index_version": "v1", "answerer": "extractive"})


class DepthBot:
    """Answers 'paid' questions; retrieval puts the quote in an unrelated document first, then in the right one
    at rank 12 (beyond the answerer's six passages)."""

    def __init__(self) -> None:
        self.ks: list[int | None] = []

    def ask(self, question: str, history=None) -> Ans:
        if "paid" in question:
            return Ans("Yes: the secondee remains employed and paid by the home institute.", citations=[Cit(QUOTE)])
        return Ans("The documents don't say.", True, "abstained", 0.0)

    def retrieve(self, question: str, history=None, k: int | None = None) -> list[Psg]:
        self.ks.append(k)
        ranked = [Psg(QUOTE)] + [Psg(f"filler {i}") for i in range(10)] + [Psg(QUOTE, "d-right")]
        return ranked[: k or 6]

    def corpus(self) -> Corpus:
        return Corpus()


def _write(path: Path, rows: list[dict | str]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


PAID = {"id": "paid", "question": "Is a secondee paid?", "answerable": True, "facts": [["home institute"]],
        "quotes": [QUOTE]}
ABSENT = {"id": "moon", "question": "How far is the Moon?", "answerable": False, "category": "off-topic"}


# ---------------------------------------------------------------- question file

def test_three_line_readme_example_loads(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.jsonl", [PAID, ABSENT, {**PAID, "id": "paid-doc", "doc": "corpus-extra/right.md"}])
    items = load_questions(path)
    assert [i.id for i in items] == ["paid", "moon", "paid-doc"]
    assert items[1].category == "off-topic" and items[0].category == "general" and items[2].doc.endswith("right.md")


@pytest.mark.parametrize(("line", "expected"), [
    ("{not json", "line 2: not valid JSON"),
    ('["a list"]', "line 2: not a JSON object"),
    ({"id": "x", "question": "Q?"}, "line 2 [x]: missing field 'answerable'"),
    ({"id": "x", "question": "Q?", "answerable": "yes"}, "'answerable' must be true or false"),
    ({"id": "x", "question": "Q?", "answerable": True, "facts": []}, "needs at least one fact group"),
    ({"id": "x", "question": "Q?", "answerable": True, "facts": ["flat"]}, "'facts' must be a list of non-empty lists"),
    ({"id": "x", "question": "Q?", "answerable": False, "facts": [["a"]]}, "must have no 'facts'"),
    ({"id": "x", "question": "Q?", "answerable": None}, "'answerable' is null: a draft"),
    ({"id": "x", "question": "Q?", "answerable": False, "colour": "red"}, "unknown field 'colour'"),
    ({**PAID}, "line 2 [paid]: duplicate id 'paid'"),
])
def test_malformed_line_names_its_number_and_problem(tmp_path: Path, line, expected: str) -> None:
    path = _write(tmp_path / "q.jsonl", [PAID, line])
    with pytest.raises(QuestionFileError) as err:
        load_questions(path)
    assert any(expected in p for p in err.value.problems), err.value.problems


def test_cli_exit_2_on_malformed_file(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path / "q.jsonl", [PAID, "", '{"id": 3}'])
    assert eval_main([str(path), "--index-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "line 3 [3]: missing field 'question'" in err and "'id' must be a non-empty string" in err


# ---------------------------------------------------------------- doc-aware retrieval

def test_from_doc_matches_trailing_path_components() -> None:
    assert m.from_doc("/data/corpus-extra/cgpm-021-1999-en.md", "corpus-extra/cgpm-021-1999-en.md")
    assert m.from_doc("corpus-extra/cgpm-021-1999-en.md", "cgpm-021-1999-en.md")
    assert not m.from_doc("/data/extra/cgpm-021-1999-en.md", "corpus-extra/cgpm-021-1999-en.md")
    assert not m.from_doc("x-cgpm-021-1999-en.md", "cgpm-021-1999-en.md")


def test_doc_field_counts_only_passages_of_that_document() -> None:
    bot = DepthBot()
    plain = GoldItem.from_dict(PAID)
    with_doc = GoldItem.from_dict({**PAID, "id": "paid-doc", "doc": "corpus-extra/right.md"})
    run = score(bot, [plain, with_doc])
    assert bot.ks == [20, 20]                                     # retrieval asked 20 deep for hit@20
    assert [r.retrieval_rank for r in run.results] == [1, 12]     # the same quote elsewhere does not count
    overall = summarize(run.results)
    assert overall["hit_at_1"] == 0.5 and overall["hit_at_6"] == 0.5 and overall["hit_at_20"] == 1.0
    assert overall["mrr"] == pytest.approx((1 + 1 / 12) / 2)


def test_doc_field_matches_the_file_a_document_was_read_from_not_its_url() -> None:
    """Documents with a ``source_url`` in their front matter have that URL as ``source``; ``doc`` names the file."""
    bot = DepthBot()
    bot.corpus = lambda: Corpus({"d-other": Doc("https://example.org/other"),
                                 "d-right": UrlDoc("https://example.org/right", {"path": "/d/corpus-extra/right.md"})})
    run = score(bot, [GoldItem.from_dict({**PAID, "id": "paid-doc", "doc": "corpus-extra/right.md"})])
    assert [r.retrieval_rank for r in run.results] == [12]


def test_questions_without_quotes_have_no_citation_or_retrieval_metrics() -> None:
    item = GoldItem.from_dict({"id": "q", "question": "Is one paid?", "answerable": True,
                               "facts": [["home institute"]]})
    res = score(DepthBot(), [item]).results[0]
    assert res.correct and res.citation_support is None and not res.retrieved


# ---------------------------------------------------------------- the command

@pytest.fixture
def fake_setup(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list:
    calls: list = []

    def build(corpus, index_dir):
        calls.append((corpus, index_dir))
        return BotSetup(DepthBot(), None, tmp_path / "idx")

    monkeypatch.setattr("assistant.evaluate.run.build_bot", build)
    return calls


def test_cli_reports_floors_and_compare(tmp_path: Path, fake_setup: list, capsys) -> None:
    questions = _write(tmp_path / "q.jsonl", [PAID, ABSENT, {**PAID, "id": "paid-2", "question": "Who pays?"}])
    out, a, b = tmp_path / "out", tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    base = [str(questions), "--out", str(out), "--quiet", "--no-warmup", "--corpus", str(a), "--corpus", str(b)]
    assert eval_main([*base, "--min-answer-accuracy", "0.9"]) == 1   # 2 of 3 correct
    text = capsys.readouterr().out
    assert "FLOOR: answer_accuracy: 0.667 is below its floor 0.9" in text and "Floors: FAIL" in text
    assert fake_setup[0][0] == [a, b]                # --corpus is repeatable
    report = json.loads((out / "latest.json").read_text())
    assert report["stamp"]["index_version"] == "v1" and report["overall"]["n"] == 3
    assert set(report["per_category"]) == {"general", "off-topic"}
    md = (out / "latest.md").read_text()
    assert "## Per category" in md and "provenance: index_version=v1" in md
    old = tmp_path / "old.json"
    report["questions"][2]["correct"] = True
    old.write_text(json.dumps(report))
    assert eval_main([*base, "--min-answer-accuracy", "0.6", "--max-errors", "0", "--compare", str(old)]) == 0
    text = capsys.readouterr().out
    assert "Floors: ok" in text and "## Newly incorrect (1)" in text and "paid-2: Who pays?" in text
    assert "Newly incorrect (1)" in (out / "comparison.md").read_text()


def test_cli_without_matplotlib_skips_the_chart_with_a_note(tmp_path: Path, fake_setup: list,
                                                            monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)             # import matplotlib now fails
    questions = _write(tmp_path / "q.jsonl", [PAID])
    args = [str(questions), "--out", str(tmp_path / "o"), "--quiet", "--no-warmup", "--index-dir", str(tmp_path)]
    assert eval_main(args) == 0
    assert "matplotlib is not installed" in capsys.readouterr().out
    assert not list((tmp_path / "o").glob("*.png"))
    assert "matplotlib is not installed" in (tmp_path / "o" / "latest.md").read_text()


def test_cli_bad_compare_file_is_exit_2(tmp_path: Path, fake_setup: list, capsys) -> None:
    questions = _write(tmp_path / "q.jsonl", [PAID])
    (tmp_path / "old.json").write_text("{}")
    assert eval_main([str(questions), "--compare", str(tmp_path / "old.json")]) == 2
    assert "not an evaluation report" in capsys.readouterr().err and not fake_setup


# ---------------------------------------------------------------- for real

@pytest.mark.slow
def test_assistant_eval_end_to_end_on_two_corpus_folders(tmp_path: Path) -> None:
    """The installed console command ingests two folders, scores, writes reports, and gates on a floor."""
    first, second = tmp_path / "c1", tmp_path / "c2"
    first.mkdir(), second.mkdir()
    files = sorted(CORPUS.glob("*.txt"))
    (first / files[0].name).write_bytes(files[0].read_bytes())
    (second / files[1].name).write_bytes(files[1].read_bytes())
    questions = _write(tmp_path / "q.jsonl", [
        {"id": "where", "question": "In which fields does the Physical Metrology Department offer secondments?",
         "answerable": True, "facts": [["mass"], ["electric"]], "quotes": ["electrical and mass metrology"],
         "doc": files[1].name if "physical" in files[1].name else files[0].name},
        {"id": "moon", "question": "What is the distance from the Earth to the Moon?", "answerable": False},
    ])
    exe = Path(sys.executable).with_name("assistant")
    cmd = [str(exe), "eval", str(questions), "--corpus", str(first), "--corpus", str(second),
           "--out", str(tmp_path / "out"), "--min-hit-at-20", "1.0", "--max-errors", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "out" / "latest.json").read_text())
    assert report["overall"]["hit_at_20"] == 1.0 and report["overall"]["abstention_accuracy"] == 1.0
    assert report["stamp"]["embedding_model"] and len(report["meta"]["corpus"]) == 2
    assert "Floors: ok" in done.stdout
    failing = subprocess.run([*cmd, "--min-answer-accuracy", "1.01"], capture_output=True, text=True, timeout=600)
    assert failing.returncode == 1 and "FLOOR: answer_accuracy" in failing.stdout


def test_project_sets_validate_against_several_corpus_folders(tmp_path: Path) -> None:
    """`python -m evals --corpus A --corpus B`: the corpus check reads every folder given."""
    from evals.__main__ import parse_args
    from evals.validate import validate
    from tests.conftest import ROOT

    (tmp_path / "extra").mkdir()
    (tmp_path / "extra" / "note.md").write_text("Nothing the gold set quotes.", encoding="utf-8")
    assert validate(ROOT / "evals" / "gold.jsonl", [CORPUS, tmp_path / "extra"]) == []
    assert validate(ROOT / "evals" / "gold.jsonl", [tmp_path / "extra"])        # the quotes are not there
    args = parse_args(["--corpus", "corpus", "--corpus", "../shared/corpus-extra"])
    assert args.corpus == [Path("corpus"), Path("../shared/corpus-extra")]
    assert parse_args([]).corpus == [ROOT / "corpus"]


def test_a_report_masks_secret_settings_and_shows_the_others() -> None:
    from assistant.evaluate.report import settings_to_dict
    from assistant.settings import Settings

    shown = settings_to_dict(Settings(llm_api_key="sk-test", auth="ann:hunter2", keys_per_missing=5))
    assert shown["llm_api_key"] == "***" and shown["auth"] == "***"  # a login's password is a secret too
    assert shown["keys_per_missing"] == 5  # a count whose name only contains 'key'
    assert shown["top_k"] == Settings().top_k
