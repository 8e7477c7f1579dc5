"""Token-level machinery the text endpoints share.

A choice starts as a source text (a fixture rule's content, a text the turn planner chose, or Faker sentences
whose repeats the penalties rewrite), becomes tokens of the model's tokenizer, and is shaped by the request:
-100 biased tokens are written out of either source, +100 biased tokens take over, a stop sequence cuts before
itself, `max_tokens` cuts at exactly that many tokens. Every token gets a deterministic logprob and real
alternative tokens, so logprobs, best_of ranking and streaming all read one `Draft`.
"""

from __future__ import annotations

import codecs
import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from mockapi import tokens
from mockapi.caches import BoundedCache
from mockapi.generators.penalties import WORD, apply_penalties, split_word
from mockapi.schemas.sampling import banned_tokens, forced_tokens, stop_sequences
from mockapi.seeding import Seeding
from mockapi.tokens import Tokenizer, TokenizerName, tokenizer_for

if TYPE_CHECKING:  # Faker loads with the first answer that needs it, not at start-up
    from faker import Faker

ALTERNATIVES = 5  # the most `logprobs` may ask for
# The likeliest token always holds at least this share of the probability mass (see `score`).
TOP_TOKEN_MASS = 0.5
# Common single tokens the alternatives are drawn from.
ALTERNATIVE_WORDS = (
    " the", " a", " and", " of", " to", " in", " is", ",", ".", " that", " it", " for", " with", " as",
    " was", " on", "\n", " I", " you", " this", " be", " are", " or", " not", " have", " we", " they",
    " at", " by", " from", " but", " an", " one", " all", " so", " can", " will", " more", " there",
)  # fmt: skip
_REPLACEMENT_ATTEMPTS = 12


class Source(Protocol):
    """What a text generator reads from the pipeline's Answer."""

    @property
    def seeding(self) -> Seeding: ...

    @property
    def route(self) -> str:
        """The endpoint answered (part of what the answer is seeded from)."""
        ...

    @property
    def content(self) -> str | None: ...

    def rng(self, index: int = 0) -> random.Random: ...

    def digest(self, index: int = 0) -> bytes: ...

    def now(self) -> int: ...

    @property
    def drafts(self) -> DraftMemo:
        """Where drafts are remembered (the server's, cleared by its reset)."""
        ...


NO_TOKENS: frozenset[int] = frozenset()
# The tokenizer of the 2023 models, and the default everywhere below.
CL100K: TokenizerName = "cl100k_base"
# How many Faker sentences a generated text has (fewest, most).
SENTENCES = (2, 5)


class Limits(NamedTuple):
    """How the request shapes every choice (a key of the draft memo: a tuple hashes and compares fast)."""

    max_tokens: int | None = None
    stops: tuple[str, ...] = ()
    banned: frozenset[int] = NO_TOKENS
    forced: tuple[int, ...] = ()
    # Generated text only (see penalties.py).
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    # The model's tokenizer: what the text is cut, counted and scored in.
    tokenizer: TokenizerName = CL100K
    # How many sentences a generated text has (a `verbosity` shortens or lengthens it).
    sentences: tuple[int, int] = SENTENCES


def limits_for(
    max_tokens: int | None,
    stop: str | list[str] | None,
    logit_bias: dict[str, float] | None,
    presence_penalty: float | None,
    frequency_penalty: float | None,
    tokenizer: TokenizerName = CL100K,
    sentences: tuple[int, int] = SENTENCES,
) -> Limits:
    """How a request's parameters shape every choice (a request without stop or logit_bias, the usual one,
    has nothing to work out)."""
    penalties = (presence_penalty or 0.0, frequency_penalty or 0.0)
    if stop is None and logit_bias is None:
        return Limits(max_tokens, (), NO_TOKENS, (), *penalties, tokenizer, sentences)
    banned, forced = banned_tokens(logit_bias), forced_tokens(logit_bias)
    return Limits(max_tokens, stop_sequences(stop), banned, forced, *penalties, tokenizer, sentences)


@dataclass(frozen=True)
class TokenScore:
    logprob: float
    # The likeliest other tokens, most likely first; never the chosen token.
    alternatives: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Draft:
    text: str
    tokens: tuple[int, ...]
    finish_reason: str
    # What the scores are drawn from: they are worked out only when asked for (logprobs, best_of), as
    # most answers never show them.
    score_seed: int
    banned: frozenset[int] = NO_TOKENS
    encoding: TokenizerName = CL100K

    @property
    def tokenizer(self) -> Tokenizer:
        return tokenizer_for(self.encoding)

    @cached_property
    def scores(self) -> tuple[TokenScore, ...]:
        return _scores(self.tokens, self.score_seed, self.banned, self.tokenizer)

    @property
    def total_logprob(self) -> float:
        return sum(score.logprob for score in self.scores)


@lru_cache(maxsize=len(tokens.TOKENIZER_NAMES))
def _alternative_pool(tokenizer: Tokenizer) -> tuple[int, ...]:
    return tuple(tokenizer.encode(word)[0] for word in ALTERNATIVE_WORDS)


class DraftMemo(BoundedCache):
    """The latest drafts, by what makes them. The same request always makes the same drafts, and test suites
    and load tests repeat requests; bounded by count and by the tokens the drafts hold (a rule's content may
    be long). The server's state owns it, so that a reset forgets them."""

    def __init__(self, budget: int = 131_072, max_items: int = 1024) -> None:
        super().__init__(budget, max_items)


def draft_for(answer: Source, index: int, limits: Limits, lead: str = "", text: str | None = None) -> Draft:
    """Choice `index`'s draft: `text` when given (what the turn chose to say), else the rule's content, else
    Faker sentences after `lead`, shaped by `limits`."""
    source = text if text is not None else answer.content
    key = (answer.digest(index), source, limits, lead)
    memo = answer.drafts
    draft: Draft | None = memo.get(key)
    if draft is None:
        draft = _make_draft(answer, index, limits, lead, source)
        memo.put(key, draft, len(draft.tokens))
    return draft


def _make_draft(answer: Source, index: int, limits: Limits, lead: str, given: str | None) -> Draft:
    rng = answer.rng(index)
    tokenizer = tokenizer_for(limits.tokenizer)
    if given is not None:
        # A -100 bias holds whatever the source: a rule's words that hold a banned token are rewritten too.
        source = given
        if limits.banned.intersection(tokenizer.encode(source)):
            source = avoid_banned(source, limits.banned, answer.seeding.faker(rng), tokenizer)
    else:
        faker = answer.seeding.faker(rng)
        source = lead + faker_sentences(faker, rng, *limits.sentences)
        source = apply_penalties(source, limits.presence_penalty, limits.frequency_penalty, faker)
        source = avoid_banned(source, limits.banned, faker, tokenizer)
    return shape(source, limits, rng)


def is_greedy(temperature: float | None, top_p: float | None) -> bool:
    """Whether sampling always takes the likeliest token, so that every choice is the same text: at
    temperature 0, or when top_p leaves only that token in the nucleus (the likeliest tokens holding
    top_p of the mass), as any top_p up to TOP_TOKEN_MASS does here."""
    return temperature == 0 or (top_p is not None and top_p <= TOP_TOKEN_MASS)


def faker_sentences(faker: Faker, rng: random.Random, fewest: int = SENTENCES[0], most: int = SENTENCES[1]) -> str:
    return " ".join(faker.sentences(nb=rng.randint(fewest, most)))


def avoid_banned(text: str, banned: frozenset[int], faker: Faker, tokenizer: Tokenizer | None = None) -> str:
    """The text with every word that holds a banned token replaced (or dropped), deterministically."""
    tokenizer = tokenizer or tokenizer_for(CL100K)
    if not banned or not banned.intersection(tokenizer.encode(text)):
        return text
    words = [_clean_word(piece, banned, faker, tokenizer) for piece in WORD.findall(text)]
    result = "".join(words)
    # Words can merge into a banned token across their boundary: drop such tokens outright.
    for _ in range(3):
        ids = tokenizer.encode(result)
        if not banned.intersection(ids):
            break
        result = tokenizer.decode([t for t in ids if t not in banned])
    return result


def _clean_word(piece: str, banned: frozenset[int], faker: Faker, tokenizer: Tokenizer) -> str:
    if not banned.intersection(tokenizer.encode(piece)):
        return piece
    lead, core, tail = split_word(piece)
    for _ in range(_REPLACEMENT_ATTEMPTS):
        word = faker.word()
        word = word.capitalize() if core[:1].isupper() else word
        for candidate in (lead + word + tail, lead + word):
            if not banned.intersection(tokenizer.encode(candidate)):
                return candidate
    return ""


def shape(source: str, limits: Limits, rng: random.Random) -> Draft:
    """Cut `source` as the request says and score its tokens."""
    if limits.forced:
        return _forced(limits, rng)
    tokenizer = tokenizer_for(limits.tokenizer)
    ids = tokenizer.encode(source)
    limit = limits.max_tokens
    truncated = limit is not None and len(ids) > limit
    within = tokenizer.decode(ids[:limit]) if truncated else source
    stop_at = _first_stop(within, limits.stops)
    if stop_at is not None:
        text = source[:stop_at]
        ids = tokenizer.encode(text)
        return Draft(text, ids, "stop", rng.getrandbits(64), limits.banned, limits.tokenizer)
    if truncated:
        ids = ids[:limit]
        return Draft(within, ids, "length", rng.getrandbits(64), limits.banned, limits.tokenizer)
    return Draft(source, ids, "stop", rng.getrandbits(64), limits.banned, limits.tokenizer)


def _forced(limits: Limits, rng: random.Random) -> Draft:
    """+100 biased tokens take over the text. Drawing <|endoftext|> ends it there, as a model ends its
    document, and a stop sequence cuts forced text like any other (both finish with "stop")."""
    tokenizer = tokenizer_for(limits.tokenizer)
    count = limits.max_tokens if limits.max_tokens is not None else 16
    ids: list[int] = []
    finish_reason = "length"
    end = tokenizer.endoftext_id
    for _ in range(count):
        token = rng.choice(limits.forced)
        if token == end:
            finish_reason = "stop"
            break
        ids.append(token)
    text = tokenizer.decode(ids)
    stop_at = _first_stop(text, limits.stops)
    if stop_at is not None:
        text, ids, finish_reason = text[:stop_at], list(tokenizer.encode(text[:stop_at])), "stop"
    return Draft(text, tuple(ids), finish_reason, rng.getrandbits(64), limits.banned, limits.tokenizer)


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    found = [index for index in (text.find(stop) for stop in stops) if index >= 0]
    return min(found) if found else None


def score(
    ids: Sequence[int], rng: random.Random, banned: frozenset[int] = frozenset(), tokenizer: Tokenizer | None = None
) -> tuple[TokenScore, ...]:
    """A logprob and alternatives per token. Each token draws the same amount of randomness, so a
    shorter cut of the same text scores its tokens the same."""
    return _scores(ids, rng.getrandbits(64), banned, tokenizer or tokenizer_for(CL100K))


def _scores(ids: Sequence[int], seed: int, banned: frozenset[int], tokenizer: Tokenizer) -> tuple[TokenScore, ...]:
    scorer = random.Random(seed)
    pool = _alternative_pool(tokenizer)
    scores = []
    for token in ids:
        chosen = TOP_TOKEN_MASS + (0.99 - TOP_TOKEN_MASS) * scorer.random()
        picks = [t for t in scorer.sample(pool, ALTERNATIVES + 1) if t != token and t not in banned]
        weights = sorted((scorer.random() + 0.01 for _ in range(ALTERNATIVES)), reverse=True)
        scale = (1 - chosen) * 0.95 / sum(weights)
        alternatives = tuple((t, math.log(w * scale)) for t, w in zip(picks[:ALTERNATIVES], weights, strict=False))
        scores.append(TokenScore(math.log(chosen), alternatives))
    return tuple(scores)


def token_string(token: int, tokenizer: Tokenizer | None = None) -> str:
    """A token as the API spells it in logprobs: its text, or `bytes:\\xNN` for a partial character."""
    raw = (tokenizer or tokenizer_for(CL100K)).token_bytes(token)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "bytes:" + "".join(f"\\x{byte:02x}" for byte in raw)


def text_offsets(ids: Sequence[int], start: int, tokenizer: Tokenizer | None = None) -> list[int]:
    """Character offset of each token in the text, counted from `start`."""
    tokenizer = tokenizer or tokenizer_for(CL100K)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    offsets, position = [], start
    for token in ids:
        offsets.append(position)
        position += len(decoder.decode(tokenizer.token_bytes(token)))
    return offsets


def logprobs_object(
    ids: Sequence[int],
    scores: Sequence[TokenScore | None],
    top: int,
    start: int,
    tokenizer: Tokenizer | None = None,
) -> dict[str, Any]:
    """The completions `logprobs` object; a None score (the first echoed token) has null logprobs. The
    sampled token's logprob is always given (the reference: "up to logprobs+1 elements"), and the sampled
    token is the likeliest: `top` entries per token, the sampled one alone for logprobs 0."""
    tokenizer = tokenizer or tokenizer_for(CL100K)
    top_logprobs: list[dict[str, float] | None] = []
    for token, token_score in zip(ids, scores, strict=True):
        if token_score is None:
            top_logprobs.append(None)
            continue
        entries = [(token_string(token, tokenizer), token_score.logprob)]
        entries += [(token_string(t, tokenizer), lp) for t, lp in token_score.alternatives[: max(top, 1) - 1]]
        top_logprobs.append(dict(sorted(entries, key=lambda entry: -entry[1])))
    return {
        "tokens": [token_string(t, tokenizer) for t in ids],
        "token_logprobs": [s.logprob if s is not None else None for s in scores],
        "top_logprobs": top_logprobs,
        "text_offset": text_offsets(ids, start, tokenizer),
    }


def pieces(ids: Sequence[int], tokenizer: Tokenizer | None = None) -> Iterator[tuple[str, int, int]]:
    """Stream pieces: (text, first token, end token), one token each unless a character spans tokens."""
    tokenizer = tokenizer or tokenizer_for(CL100K)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    first = 0
    for index, token in enumerate(ids):
        text = decoder.decode(tokenizer.token_bytes(token), final=index == len(ids) - 1)
        if text:
            yield text, first, index + 1
            first = index + 1
