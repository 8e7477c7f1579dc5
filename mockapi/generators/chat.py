"""Chat completions: the response body, or its stream of `chat.completion.chunk`s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mockapi.generators.drafting import Draft, Source, draft_for, is_greedy, limits_for, pieces
from mockapi.generators.streaming import interleave
from mockapi.schemas.chat import CreateChatCompletionRequest


def drafts(request: CreateChatCompletionRequest, answer: Source, max_tokens: int) -> list[Draft]:
    """One draft per choice; a greedy model (temperature 0, or a narrow top_p) makes every choice the same."""
    limits = limits_for(
        max_tokens, request.stop, request.logit_bias, request.presence_penalty, request.frequency_penalty
    )
    greedy = is_greedy(request.temperature, request.top_p)
    return [draft_for(answer, 0 if greedy else index, limits) for index in range(request.n or 1)]


def completion_tokens(request: CreateChatCompletionRequest, answer: Source, max_tokens: int) -> int:
    """Tokens of every choice, streamed or not."""
    return _tokens_of(drafts(request, answer, max_tokens))


def _tokens_of(made: list[Draft]) -> int:
    return sum(len(draft.tokens) for draft in made)


def chat_completion(
    request: CreateChatCompletionRequest, answer: Source, completion_id: str, prompt_tokens: int, max_tokens: int
) -> dict[str, Any]:
    made = drafts(request, answer, max_tokens)
    generated = _tokens_of(made)
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
