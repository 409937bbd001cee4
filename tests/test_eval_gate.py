"""CI gate: the gold set scored through the public API must stay at or above evals/floors.json."""

from __future__ import annotations

import json

import pytest

from evals.gold import load_gold
from evals.report import check_floors
from evals.score import score, summarize
from evals.validate import validate
from tests.conftest import CORPUS, ROOT

pytestmark = pytest.mark.slow
GOLD = ROOT / "evals" / "gold.jsonl"
FLOORS = ROOT / "evals" / "floors.json"


def test_gold_set_is_valid() -> None:
    assert validate(GOLD, CORPUS) == []


def test_quality_floors_hold(bot) -> None:
    run = score(bot, load_gold(GOLD))
    overall = summarize(run.results)
    violations = check_floors(overall, json.loads(FLOORS.read_text(encoding="utf-8")))
    assert violations == [], "\n".join(violations)
