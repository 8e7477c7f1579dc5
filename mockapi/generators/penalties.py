"""presence_penalty and frequency_penalty, applied to generated text word by word.

The API lowers a token's logit by `frequency_penalty * count + presence_penalty * (count > 0)`, count being
how often the token already occurred in the completion. This model applies that pressure to words:

- a word already written, under a positive pressure, gives way to a fresh word with probability
  `1 - exp(-pressure)`: the higher the penalty (and, for frequency, the more often the word occurred),
  the fewer repeats;
- a negative penalty pulls the text back to words already written: a new word gives way to an earlier
  one with probability `1 - exp(-pull)`, `pull` being the largest negated pressure, the earlier word
  chosen in proportion to its own pull (for frequency, the more often it occurred, the likelier).

Each word draws its chances before any is rewritten, so a larger penalty rewrites at least the words a
smaller one would have (until the counts differ). Only generated text is rewritten: a fixture rule's
content says exactly what to answer.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Faker loads with the first answer that needs it, not at start-up
    from faker import Faker


WORD = re.compile(r"\s*\S+|\s+")
_FRESH_WORD_ATTEMPTS = 12


def split_word(piece: str) -> tuple[str, str, str]:
    """A piece of text as (leading space, word, trailing punctuation)."""
    stripped = piece.lstrip()
    lead = piece[: len(piece) - len(stripped)]
    core = stripped.rstrip(".,;:!?")
    return lead, core, stripped[len(core) :]


def apply_penalties(text: str, presence: float, frequency: float, faker: Faker) -> str:
    """The text with words repeated less (positive penalties) or more (negative), deterministically for a
    given `faker` state."""
    if not presence and not frequency:
        return text
    pieces = WORD.findall(text)
    chances = [(faker.random.random(), faker.random.random()) for _ in pieces]
    counts: Counter[str] = Counter()
    out = []
    for piece, (chance, pick) in zip(pieces, chances, strict=True):
        lead, core, tail = split_word(piece)
        if not core:
            out.append(piece)
            continue
        word = _penalised(core.lower(), counts, presence, frequency, chance, pick, faker)
        counts[word or core.lower()] += 1
        if word is None:
            out.append(piece)
        else:
            out.append(lead + (word.capitalize() if core[:1].isupper() else word) + tail)
    return "".join(out)


def _penalised(
    word: str, counts: Counter[str], presence: float, frequency: float, chance: float, pick: float, faker: Faker
) -> str | None:
    """The word the model writes instead of `word` (lower case) given the words written so far, or None
    to keep it."""
    if counts[word]:
        pressure = frequency * counts[word] + presence
        if pressure > 0 and chance < 1 - math.exp(-pressure):
            return _fresh_word(counts, faker)
        return None
    pulls = {seen: -(frequency * count + presence) for seen, count in counts.items()}
    pulls = {seen: pull for seen, pull in pulls.items() if pull > 0}
    if not pulls or chance >= 1 - math.exp(-max(pulls.values())):
        return None
    target = pick * sum(pulls.values())
    for seen, pull in pulls.items():
        target -= pull
        if target < 0:
            return seen
    return next(reversed(pulls))


def _fresh_word(counts: Counter[str], faker: Faker) -> str | None:
    for _ in range(_FRESH_WORD_ATTEMPTS):
        word = faker.word().lower()
        if not counts[word]:
            return word
    return None
