"""How often typo repair finds the intended word: ``python -m evals.typos --index-dir DIR``.

Each sampled word of the index's vocabulary that is an English dictionary word (and not a French one) gets one
typo, two neighbouring letters swapped; the repair (`assistant.retrieve.query.correct`, as an English
question's word) is counted right when it gives the word back. Typos that are themselves words are skipped:
no repair is asked for them. The figure depends on the collection: the larger and more bilingual the
vocabulary, the more near neighbours a typo has.
"""

from __future__ import annotations

import argparse
import random

from assistant import Assistant
from assistant.retrieve.query import _word, correct
from assistant.text import is_known

SAMPLE = 3000  # vocabulary words sampled
SEED = 11
MIN_LENGTH = 6  # shorter words have too few letters for a swap to stay recognisable


def swapped(word: str, rng: random.Random) -> str:
    """``word`` with two neighbouring letters swapped at a random place."""
    i = rng.randrange(len(word) - 1)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--sample", type=int, default=SAMPLE)
    args = parser.parse_args(argv)
    vocab = Assistant.from_settings(index_dir=args.index_dir).corpus().lexical.vocab
    english = sorted(w for w in vocab if w.isalpha() and len(w) >= MIN_LENGTH and is_known(w, "en")
                     and not is_known(w, "fr"))
    rng = random.Random(SEED)
    asked = repaired = 0
    for word in rng.sample(english, min(args.sample, len(english))):
        typo = swapped(word, rng)
        if typo == word or _word(typo, vocab, "en"):
            continue
        asked += 1
        repaired += correct(typo, vocab, "en") == word
    print(f"typos {asked}, repaired to the intended word {repaired} ({repaired / max(asked, 1):.3f})")


if __name__ == "__main__":
    main()
