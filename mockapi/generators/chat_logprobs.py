"""Chat's `logprobs`: per token its text, logprob, UTF-8 bytes and the `top_logprobs` likeliest tokens there.

A draft scores each token with ALTERNATIVES alternatives (drafting.py, which the completions answers read);
chat may ask for up to 20, so the others are drawn here from the draft's own score seed, each less likely
than the last, together within the mass the draft's alternatives leave. The chosen token is always the
likeliest (drafting.TOP_TOKEN_MASS), so it heads its own top_logprobs.
"""

from __future__ import annotations

import math
import random
from typing import Any

from mockapi.generators.drafting import ALTERNATIVE_WORDS, Draft, TokenScore, token_string
from mockapi.tokens import Tokenizer

MOST_TOP_LOGPROBS = 20
# The share of the mass left by the draft's alternatives that the extra ones take, at most.
EXTRA_MASS = 0.9


def _pool(tokenizer: Tokenizer) -> tuple[int, ...]:
    return tuple(tokenizer.encode(word)[0] for word in ALTERNATIVE_WORDS)


def _entry(token: int, logprob: float, tokenizer: Tokenizer) -> dict[str, Any]:
    return {"token": token_string(token, tokenizer), "logprob": logprob, "bytes": list(tokenizer.token_bytes(token))}


def _extra(token: int, score: TokenScore, seed: int, count: int, tokenizer: Tokenizer) -> list[tuple[int, float]]:
    """`count` more alternatives below the draft's, seeded by the token's position and the draft."""
    if count <= 0:
        return []
    taken = {token, *(t for t, _ in score.alternatives)}
    candidates = [t for t in _pool(tokenizer) if t not in taken]
    rng = random.Random(seed)
    picks = rng.sample(candidates, min(count, len(candidates)))
    chosen = math.exp(score.logprob)
    left = max(1.0 - chosen - sum(math.exp(lp) for _, lp in score.alternatives), 1e-9) * EXTRA_MASS
    floor = min((math.exp(lp) for _, lp in score.alternatives), default=left)
    weights = sorted((rng.random() + 0.01 for _ in picks), reverse=True)
    scale = min(left / sum(weights), floor / weights[0] * 0.99) if weights else 0.0
    return [(t, math.log(w * scale)) for t, w in zip(picks, weights, strict=True)]


def token_logprobs(draft: Draft, first: int, end: int, top: int) -> list[dict[str, Any]]:
    """The chat logprobs of the draft's tokens first..end, with `top` top_logprobs each."""
    tokenizer = draft.tokenizer
    entries = []
    for position in range(first, end):
        token, score = draft.tokens[position], draft.scores[position]
        entry = _entry(token, score.logprob, tokenizer)
        ranked: list[tuple[int, float]] = [(token, score.logprob), *score.alternatives]
        ranked += _extra(token, score, draft.score_seed + position, top - len(ranked), tokenizer)
        entry["top_logprobs"] = [_entry(t, lp, tokenizer) for t, lp in ranked[:top]]
        entries.append(entry)
    return entries


def choice_logprobs(draft: Draft | None, top: int, first: int = 0, end: int | None = None) -> dict[str, Any]:
    """A choice's `logprobs` object: its content tokens (none for a turn that calls tools), no refusal."""
    if draft is None:
        return {"content": None, "refusal": None}
    stop = len(draft.tokens) if end is None else end
    return {"content": token_logprobs(draft, first, stop, top), "refusal": None}
