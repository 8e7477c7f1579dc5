"""POST /v1/chat/completions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from mockapi import accounting, chat_checks, errors
from mockapi.accounting import AudioInputError, PromptMessage, PromptTokens
from mockapi.caches import BoundedCache
from mockapi.catalogue import ModelEntry
from mockapi.context import context_of
from mockapi.conversation import Conversation, from_chat
from mockapi.generators.chat import PreparedChat, chat_chunks, chat_completion, completion_tokens, fingerprint
from mockapi.image_input import ImageInputError
from mockapi.pipeline import Answer, JSONReply, Reply, StreamReply, caller_of, exchange_of, model_entry, run, state_of
from mockapi.prompt_cache import MIN_CACHED_TOKENS, prefixes
from mockapi.routing import Resource
from mockapi.schemas.chat import (
    REFERENCE_FIELDS,
    CreateChatCompletionRequest,
    CreateChatCompletionResponse,
    CreateChatCompletionStreamResponse,
    ReferenceChatRequest,
)
from mockapi.tokens import tokenizer_for
from mockapi.wire import Rendered

router = Resource("chat")

# Context window assumed for a catalogue entry that does not give one.
DEFAULT_CONTEXT_WINDOW = 4096
# Without a token limit a reply may fill the window, but no model writes more than its output limit (this,
# for an entry that gives none) in one reply.
MAX_OUTPUT_TOKENS = 4096
# Left out of the seed: they shape, cut or deliver one underlying text (see routers/completions.py).
SHAPING_KEYS = {
    "max_tokens", "stop", "n", "logit_bias", "stream", "user", "top_p", "presence_penalty", "frequency_penalty"
}  # fmt: skip
# The same for the parameters since 2023: the effort and verbosity change how much is said, not what.
TODAY_SHAPING_KEYS = SHAPING_KEYS | {
    "max_completion_tokens", "logprobs", "top_logprobs", "stream_options", "store", "metadata", "service_tier",
    "reasoning_effort", "verbosity", "safety_identifier", "prompt_cache_key", "prompt_cache_retention",
}  # fmt: skip
REFERENCE_MESSAGE_KEYS = frozenset({"role", "content", "name"})


@router.post(
    "/chat/completions",
    endpoint="chat.completions",
    body=CreateChatCompletionRequest,
    answers=(CreateChatCompletionResponse,),
    events=CreateChatCompletionStreamResponse,
)
async def create_chat_completion(request: Request, body: CreateChatCompletionRequest) -> Rendered:
    entry = _chat_model(request, body.model)
    state = state_of(request)
    served = context_of(request).served
    raw: Mapping[str, Any] = served.body or {}
    reading = _read(state.readings, body, raw, entry, served.raw_body)
    conversation, prompt = reading.conversation, reading.prompt
    prepared = PreparedChat(
        body,
        entry,
        conversation,
        prompt,
        reading.budget,
        fingerprint(entry.id, state.seeding.seed),
        reading,
        _cached_tokens(request, entry, body, raw, reading.messages, prompt),
    )
    exchange = exchange_of(
        request, model=body.model, text=reading.user_text, system=reading.system_text, conversation=conversation
    )

    def produce(answer: Answer) -> Reply:
        completion_id = answer.seeding.next_id("chatcmpl-", 29)
        if body.stream:
            chunks = chat_chunks(prepared, answer, completion_id)
            return StreamReply(chunks, total_tokens=lambda: prompt.total + completion_tokens(prepared, answer))
        return JSONReply(chat_completion(prepared, answer, completion_id))

    return await run(request, exchange, produce, seed_body=reading.seed)


def _chat_model(request: Request, model: str) -> ModelEntry:
    entry = model_entry(request, model)
    if entry.kind != "chat":
        raise errors.not_a_chat_model()
    return entry


@dataclass(frozen=True, slots=True, eq=False)
class _Reading:
    """What a body says to the model that read it: its conversation, checked, its prompt's tokens, its
    completion budget, the texts rules match on, and what its answer is seeded from. Compared by identity:
    the generator keeps a reading's turns by it (`PreparedChat.made_from`)."""

    entry: ModelEntry
    conversation: Conversation
    prompt: PromptTokens
    messages: tuple[PromptMessage, ...]
    budget: int
    user_text: str | None
    system_text: str | None
    seed: Any


def _read(
    readings: BoundedCache,
    body: CreateChatCompletionRequest,
    raw: Mapping[str, Any],
    entry: ModelEntry,
    sent: bytes | None,
) -> _Reading:
    """The body's reading, or the real 400 for what the model refuses.

    Kept by the bytes sent: a repeated body (a test suite's, a load test's) is read, checked, counted and
    seeded once per model entry (validating a reference-shaped body again for its seed costs more than the
    rest of its seeding). Only a body that passed its checks is kept; a reading is read, never changed."""
    key = ("chat", sent)
    kept: _Reading | None = readings.get(key) if sent is not None else None
    if kept is not None and kept.entry is entry:
        return kept
    conversation = from_chat(raw)
    chat_checks.check_request(body, raw, entry, conversation)
    prompt, messages = _prompt_tokens(entry, raw)
    reading = _Reading(
        entry,
        conversation,
        prompt,
        tuple(messages),
        _completion_budget(entry, body, prompt.total),
        _last_user_text(conversation),
        _system_text(conversation),
        _seed_of(raw),
    )
    if sent is not None:
        readings.put(key, reading, 4 * len(sent))
    return reading


def _prompt_tokens(entry: ModelEntry, raw: Mapping[str, Any]) -> tuple[PromptTokens, list[PromptMessage]]:
    """The published per-message accounting, with the model's tokenizer and its image rule."""
    try:
        messages = accounting.chat_messages(raw.get("messages") or ())
    except (ImageInputError, AudioInputError) as exc:
        raise chat_checks.media_failure(exc) from None
    functions = accounting.chat_functions(raw.get("tools"), raw.get("functions"))
    return accounting.model_prompt_tokens(entry, messages, functions), messages


def _cached_tokens(
    request: Request,
    entry: ModelEntry,
    body: CreateChatCompletionRequest,
    raw: Mapping[str, Any],
    messages: Sequence[PromptMessage],
    prompt: PromptTokens,
) -> int:
    """The prompt's tokens the cache holds from an earlier request (today's models; long prompts only)."""
    if entry.permission or prompt.total < MIN_CACHED_TOKENS:
        return 0
    tokenizer, rules = tokenizer_for(entry.tokenizer), entry.accounting
    functions = accounting.chat_functions(raw.get("tools"), raw.get("functions"))
    counts = [
        accounting.prompt_tokens([m], tokenizer, rules, entry.image_tokens).total - rules.reply_priming
        for m in messages
    ]
    scope = f"{caller_of(request).owner}|{entry.id}|{body.prompt_cache_key or ''}"
    first = accounting.function_tokens(functions, tokenizer, rules)
    found = prefixes(scope, raw.get("tools") or raw.get("functions"), raw.get("messages") or [], counts, first)
    state = state_of(request)
    return state.prompt_cache.read(found, state.seeding.clock.time(), body.prompt_cache_retention)


def _completion_budget(entry: ModelEntry, body: CreateChatCompletionRequest, prompt_tokens: int) -> int:
    """The token limit asked for, or all that fits in the context window after the prompt."""
    window = entry.context_window or DEFAULT_CONTEXT_WINDOW
    asked = body.max_completion_tokens if body.max_completion_tokens is not None else body.max_tokens
    if asked is None:
        if prompt_tokens >= window:
            raise errors.chat_too_long(window, prompt_tokens, None)
        return min(window - prompt_tokens, entry.max_output_tokens or MAX_OUTPUT_TOKENS)
    if prompt_tokens + asked > window:
        raise errors.chat_too_long(window, prompt_tokens, asked)
    return asked


def _last_user_text(conversation: Conversation) -> str | None:
    return next((m.text for m in reversed(conversation.messages) if m.role == "user"), None)


def _system_text(conversation: Conversation) -> str | None:
    """The first system (or developer) message: what rules match as `system`."""
    return next((m.text for m in conversation.messages if m.role in ("system", "developer")), None)


def _is_reference_shaped(raw: Mapping[str, Any]) -> bool:
    messages = raw.get("messages")
    # stream_options only delivers the answer: a streamed request is seeded as the same request unstreamed.
    return set(raw) - {"stream_options"} <= REFERENCE_FIELDS and isinstance(messages, list) and all(
        isinstance(m, dict) and set(m) <= REFERENCE_MESSAGE_KEYS and isinstance(m.get("content"), str)
        and m.get("role") in ("system", "user", "assistant")
        for m in messages
    )  # fmt: skip


def _seed_of(raw: Mapping[str, Any]) -> Any:
    """What the answer is seeded from. A request in the 2023 reference's shape is seeded as it always was
    (its fields in declared order, the shaping ones left out), so that it answers the same text; any other
    from its canonical JSON without the shaping fields."""
    if _is_reference_shaped(raw):
        return ReferenceChatRequest.model_validate(raw).model_dump_json(exclude=SHAPING_KEYS).encode()
    return {key: value for key, value in raw.items() if key not in TODAY_SHAPING_KEYS}
