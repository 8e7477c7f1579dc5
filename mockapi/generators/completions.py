"""Text completions: the response body, or its stream of chunks, for a validated request.

Choices are prompt-major: prompt p's choices have indices p*n .. p*n+n-1. Each prompt gets best_of
candidates; the n with the highest total logprob are returned, and every candidate's tokens are billed
(the real API's `usage.completion_tokens` counts them all).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from mockapi import tokens
from mockapi.generators.drafting import (
    Draft,
    Source,
    TokenScore,
    draft_for,
    is_greedy,
    limits_for,
    logprobs_object,
    pieces,
    score,
)
from mockapi.generators.streaming import interleave
from mockapi.schemas.completions import CreateCompletionRequest, PromptText

OBJECT = "text_completion"


@dataclass(frozen=True)
class Choice:
    index: int
    prompt: PromptText
    draft: Draft
    # Present when the prompt is echoed: its scores, the first token's None as the API gives.
    echo_scores: tuple[TokenScore | None, ...] | None


@dataclass(frozen=True)
class Generation:
    choices: list[Choice]
    # Tokens of every candidate generated, returned or not.
    completion_tokens: int


def generate(request: CreateCompletionRequest, prompts: Sequence[PromptText], answer: Source) -> Generation:
    max_tokens = request.max_tokens if request.max_tokens is not None else 16
    limits = limits_for(
        max_tokens, request.stop, request.logit_bias, request.presence_penalty, request.frequency_penalty
    )
    n, candidates = request.choices_per_prompt, request.candidates_per_prompt
    result: list[Choice] = []
    generated = 0
    for p, prompt in enumerate(prompts):
        # A greedy model (temperature 0, or a narrow top_p) makes every candidate the same text.
        greedy = is_greedy(request.temperature, request.top_p)
        seeds = [p * candidates + (0 if greedy else j) for j in range(candidates)]
        drafts = [draft_for(answer, seed, limits, lead=" ") for seed in seeds]
        generated += sum(len(draft.tokens) for draft in drafts)
        if candidates > n:
            drafts = sorted(drafts, key=lambda d: -d.total_logprob)[:n]
        echo = _echo_scores(prompt, answer) if request.echo else None
        result += [Choice(p * n + j, prompt, draft, echo) for j, draft in enumerate(drafts)]
    return Generation(result, generated)


def _echo_scores(prompt: PromptText, answer: Source) -> tuple[TokenScore | None, ...]:
    if not prompt.ids:
        return ()
    rng = answer.seeding.rng_for("completions.echo", list(prompt.ids))
    return (None, *score(prompt.ids[1:], rng))


def _choice_body(request: CreateCompletionRequest, choice: Choice) -> dict[str, Any]:
    text = (choice.prompt.text if choice.echo_scores is not None else "") + choice.draft.text
    logprobs = None
    if request.logprobs is not None:
        if choice.echo_scores is not None:
            ids = choice.prompt.ids + choice.draft.tokens
            scores = choice.echo_scores + choice.draft.scores
            logprobs = logprobs_object(ids, scores, request.logprobs, 0)
        else:
            logprobs = logprobs_object(
                choice.draft.tokens, choice.draft.scores, request.logprobs, len(choice.prompt.text)
            )
    return {"text": text, "index": choice.index, "logprobs": logprobs, "finish_reason": choice.draft.finish_reason}


def prompt_tokens(request: CreateCompletionRequest, prompts: Sequence[PromptText]) -> int:
    suffix = tokens.count(request.suffix) if request.suffix else 0
    return sum(len(prompt.ids) + suffix for prompt in prompts)


def total_tokens(request: CreateCompletionRequest, prompts: Sequence[PromptText], answer: Source) -> int:
    """Prompt and completion tokens of the whole answer, streamed or not."""
    return prompt_tokens(request, prompts) + generate(request, prompts, answer).completion_tokens


def completion(
    request: CreateCompletionRequest, prompts: Sequence[PromptText], answer: Source, completion_id: str
) -> dict[str, Any]:
    generation = generate(request, prompts, answer)
    used = prompt_tokens(request, prompts)
    generated = generation.completion_tokens
    return {
        "id": completion_id,
        "object": OBJECT,
        "created": answer.now(),
        "model": request.model,
        "choices": [_choice_body(request, choice) for choice in generation.choices],
        "usage": {"prompt_tokens": used, "completion_tokens": generated, "total_tokens": used + generated},
    }


def completion_chunks(
    request: CreateCompletionRequest, prompts: Sequence[PromptText], answer: Source, completion_id: str
) -> Iterator[dict[str, Any]]:
    """Chunks of every choice, interleaved by index; nothing is generated until the first is asked for. With
    stream_options.include_usage a last one, without choices, has the usage (the spec's completion has no
    null usage, so the others leave it out)."""
    created = answer.now()

    def chunk(choice_body: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": OBJECT,
            "created": created,
            "choices": [choice_body],
            "model": request.model,
        }

    def of(choice: Choice) -> Iterator[dict[str, Any]]:
        # Offsets count from the start of the prompt, echoed or not.
        position = len(choice.prompt.text)
        if choice.echo_scores is not None:
            logprobs = None
            if request.logprobs is not None:
                logprobs = logprobs_object(choice.prompt.ids, choice.echo_scores, request.logprobs, 0)
            yield chunk(
                {"text": choice.prompt.text, "index": choice.index, "logprobs": logprobs, "finish_reason": None}
            )
        draft = choice.draft
        for text, first, end in pieces(draft.tokens):
            logprobs = None
            if request.logprobs is not None:
                logprobs = logprobs_object(draft.tokens[first:end], draft.scores[first:end], request.logprobs, position)
            yield chunk({"text": text, "index": choice.index, "logprobs": logprobs, "finish_reason": None})
            position += len(text)
        last_logprobs = logprobs_object((), (), request.logprobs, position) if request.logprobs is not None else None
        yield chunk(
            {"text": "", "index": choice.index, "logprobs": last_logprobs, "finish_reason": draft.finish_reason}
        )

    def stream() -> Iterator[dict[str, Any]]:
        generation = generate(request, prompts, answer)
        yield from interleave([of(choice) for choice in generation.choices])
        if request.include_usage:
            used, generated = prompt_tokens(request, prompts), generation.completion_tokens
            usage = {"prompt_tokens": used, "completion_tokens": generated, "total_tokens": used + generated}
            yield {"id": completion_id, "object": OBJECT, "created": created, "choices": [], "model": request.model,
                   "usage": usage}  # fmt: skip

    return stream()
