"""CI gate: the gold, held-out and dev sets scored through the public API stay at or above their floors.

evals/blind.jsonl has no floor on purpose: it is the set nobody tunes against (see evals/README.md).
"""

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


@pytest.mark.parametrize(("questions", "floors"), [
    (GOLD, FLOORS), (ROOT / "evals" / "holdout.jsonl", ROOT / "evals" / "floors-holdout.json"),
    (ROOT / "evals" / "dev.jsonl", ROOT / "evals" / "floors-dev.json"),
], ids=["gold", "holdout", "dev"])
def test_quality_floors_hold(bot, questions, floors) -> None:
    run = score(bot, load_gold(questions))
    overall = summarize(run.results)
    violations = check_floors(overall, json.loads(floors.read_text(encoding="utf-8")))
    assert violations == [], "\n".join(violations)
