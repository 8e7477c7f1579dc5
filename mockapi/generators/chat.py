"""Chat completions: the response body, or its stream of `chat.completion.chunk`s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mockapi.generators.drafting import NO_TOKENS, Draft, Limits, Source, draft_for, is_greedy, pieces
from mockapi.generators.streaming import interleave
from mockapi.schemas.chat import CreateChatCompletionRequest
from mockapi.schemas.sampling import banned_tokens, forced_tokens, stop_sequences


def limits_of(request: CreateChatCompletionRequest, max_tokens: int) -> Limits:
    if request.stop is None and request.logit_bias is None:  # the usual request: nothing to work out
        return Limits(max_tokens, (), NO_TOKENS, (), request.presence_penalty or 0.0, request.frequency_penalty or 0.0)
    return Limits(
        max_tokens=max_tokens,
        stops=stop_sequences(request.stop),
        banned=banned_tokens(request.logit_bias),
        forced=forced_tokens(request.logit_bias),
        presence_penalty=request.presence_penalty or 0.0,
        frequency_penalty=request.frequency_penalty or 0.0,
    )


def drafts(request: CreateChatCompletionRequest, answer: Source, max_tokens: int) -> list[Draft]:
    """One draft per choice; a greedy model (temperature 0, or a narrow top_p) makes every choice the same."""
    limits = limits_of(request, max_tokens)
    greedy = is_greedy(request.temperature, request.top_p)
    return [draft_for(answer, 0 if greedy else index, limits) for index in range(request.n or 1)]


def completion_tokens(request: CreateChatCompletionRequest, answer: Source, max_tokens: int) -> int:
    """Tokens of every choice, streamed or not."""
    return sum(len(draft.tokens) for draft in drafts(request, answer, max_tokens))


def chat_completion(
    request: CreateChatCompletionRequest, answer: Source, completion_id: str, prompt_tokens: int, max_tokens: int
) -> dict[str, Any]:
    made = drafts(request, answer, max_tokens)
    generated = sum(len(draft.tokens) for draft in made)
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": answer.now(),
        "model": request.model,
        "choices": [
            {
                "index": index,
                "message": {"role": "assistant", "content": draft.text},
                "finish_reason": draft.finish_reason,
            }
            for index, draft in enumerate(made)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": generated,
            "total_tokens": prompt_tokens + generated,
        },
    }


def chat_chunks(
    request: CreateChatCompletionRequest, answer: Source, completion_id: str, max_tokens: int
) -> Iterator[dict[str, Any]]:
    """A role delta, content deltas, then an empty delta with the finish reason, per choice; choices
    interleave by index. Nothing is generated until the first chunk is asked for."""
    created = answer.now()

    def chunk(index: int, delta: dict[str, str], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish_reason}],
        }

    def of(index: int, draft: Draft) -> Iterator[dict[str, Any]]:
        yield chunk(index, {"role": "assistant"})
        for text, _, _ in pieces(draft.tokens):
            yield chunk(index, {"content": text})
        yield chunk(index, {}, draft.finish_reason)

    def stream() -> Iterator[dict[str, Any]]:
        yield from interleave([of(index, draft) for index, draft in enumerate(drafts(request, answer, max_tokens))])

    return stream()
