"""POST /v1/chat/completions."""

from __future__ import annotations

from starlette.requests import Request

from mockapi import errors, tokens
from mockapi.catalogue import ModelEntry
from mockapi.generators.chat import chat_chunks, chat_completion, completion_tokens
from mockapi.pipeline import Answer, JSONReply, Reply, StreamReply, exchange_of, model_entry, run
from mockapi.routing import Resource
from mockapi.schemas.chat import (
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
)
from mockapi.wire import Rendered

router = Resource("chat")

# Context window assumed for a catalogue entry that does not give one.
DEFAULT_CONTEXT_WINDOW = 4096
# Without max_tokens a reply may fill the window, but no model writes more than this in one reply.
MAX_OUTPUT_TOKENS = 4096
# Left out of the seed: they shape, cut or deliver one underlying text (see routers/completions.py).
SHAPING_KEYS = {
    "max_tokens", "stop", "n", "logit_bias", "stream", "user", "top_p", "presence_penalty", "frequency_penalty"
}  # fmt: skip


@router.post(
    "/chat/completions",
    endpoint="chat.completions",
    body=CreateChatCompletionRequest,
    answers=(CreateChatCompletionResponse,),
    events=CreateChatCompletionStreamResponse,
)
async def create_chat_completion(request: Request, body: CreateChatCompletionRequest) -> Rendered:
    entry = _chat_model(request, body.model)
    prompt_tokens = tokens.chat_prompt_tokens([message.for_accounting() for message in body.messages])
    max_tokens = _completion_budget(entry, body, prompt_tokens)
    exchange = exchange_of(request, model=body.model, text=body.last_user_message(), system=body.system_message())

    def produce(answer: Answer) -> Reply:
        completion_id = answer.seeding.next_id("chatcmpl-", 29)
        if body.stream:
            chunks = chat_chunks(body, answer, completion_id, max_tokens)
            return StreamReply(chunks, total_tokens=lambda: prompt_tokens + completion_tokens(body, answer, max_tokens))
        return JSONReply(chat_completion(body, answer, completion_id, prompt_tokens, max_tokens))

    seed = body.model_dump_json(exclude=SHAPING_KEYS).encode()  # deterministic: fields in declared order
    return await run(request, exchange, produce, seed_body=seed)


def _chat_model(request: Request, model: str) -> ModelEntry:
    entry = model_entry(request, model)
    if entry.kind != "chat":
        raise errors.not_a_chat_model()
    return entry


def _completion_budget(entry: ModelEntry, body: CreateChatCompletionRequest, prompt_tokens: int) -> int:
    """max_tokens, or all that fits in the context window after the prompt."""
    window = entry.context_window or DEFAULT_CONTEXT_WINDOW
    if body.max_tokens is None:
        if prompt_tokens >= window:
            raise errors.chat_too_long(window, prompt_tokens, None)
        return min(window - prompt_tokens, MAX_OUTPUT_TOKENS)
    if prompt_tokens + body.max_tokens > window:
        raise errors.chat_too_long(window, prompt_tokens, body.max_tokens)
    return body.max_tokens
