"""POST /v1/responses and POST /v1/responses/input_tokens.

A request is checked (schemas/responses_check.py, then what its model takes), continues the context its
`previous_response_id` or `conversation` names, and is answered by the shared conversation model: the
same turn Chat Completions would take, rendered as Responses output items, whole or as typed events. Stored
(unless `store: false`) for retrieval, continuation and `input_items`; a `background` one answers queued
and finishes on the server's clock. A rule's error on a streamed request arrives as the stream's `error`
event and `response.failed`, as a failure during generation does (a 429 stays the HTTP answer: limits
refuse a request before its stream opens).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from mockapi import errors, tokens
from mockapi.catalogue import ModelEntry
from mockapi.context import context_of
from mockapi.errors import responses as refuse
from mockapi.fine_tuned_models import is_fine_tuned_name
from mockapi.generators.responses import Setup, build_response
from mockapi.generators.responses_events import in_progress, response_events
from mockapi.generators.responses_failure import failed_events
from mockapi.generators.responses_include import shown
from mockapi.generators.responses_tools import HOSTED_TYPES, SearchHit, hosted_tool, query_of
from mockapi.pipeline import (
    Answer,
    JSONReply,
    Reply,
    StreamReply,
    caller_of,
    events_instead,
    exchange_of,
    run,
    state_of,
)
from mockapi.responses_context import (
    cached_tokens,
    conversation_of,
    conversation_store,
    earlier_items,
    file_search_hits,
    input_tokens,
    response_store,
    seed_items,
    settled_input,
    within_window,
)
from mockapi.responses_store import with_ids
from mockapi.routing import Resource
from mockapi.schemas import strict_schema
from mockapi.schemas.responses import (
    CreateResponse,
    Response,
    ResponseStreamEvent,
    TokenCountsBody,
    TokenCountsResource,
)
from mockapi.schemas.responses_capabilities import check_model
from mockapi.state import AppState
from mockapi.wire import Rendered

router = Resource("responses")

DEFAULT_CONTEXT_WINDOW = 4096
# Without max_output_tokens an answer may fill the window, up to the model's own cap or this.
MAX_OUTPUT_TOKENS = 4096
# A background response waits this long in the queue, then writes this many tokens a second.
QUEUED_SECONDS = 1.0
BACKGROUND_TOKENS_PER_SECOND = 50.0
# What says how the answer is delivered or kept, not what it says: left out of the seed.
DELIVERY = {
    "stream", "stream_options", "background", "store", "metadata", "include", "user", "safety_identifier",
    "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options", "service_tier", "previous_response_id",
    "conversation",
}  # fmt: skip
# The model input_tokens counts for when the request names none.
COUNTING_MODEL = "gpt-4o"


def _entry(state: AppState, owner: str, model: str) -> ModelEntry:
    """The catalogue's model, or one of the caller's own fine-tuned models (`ft:...`)."""
    entry = state.fine_tuned.find(owner, model) if is_fine_tuned_name(model) else state.catalogue.find(model)
    if entry is None:
        raise refuse.model_does_not_exist(model)
    if entry.kind != "chat":
        raise refuse.model_not_for_responses(model)
    return entry


@router.post("/responses", endpoint="responses", body=CreateResponse, answers=(Response,), events=ResponseStreamEvent)
async def create_response(request: Request, body: CreateResponse) -> Rendered:
    state = state_of(request)
    owner = caller_of(request).owner
    sent: dict[str, Any] = dict(context_of(request).served.body or {})
    entry = _entry(state, owner, body.model)
    check_model(entry, sent)
    earlier = earlier_items(state, owner, body)
    given = settled_input(earlier, body.input_items())
    earlier = within_window(entry, body, earlier, given, entry.context_window or DEFAULT_CONTEXT_WINDOW)
    conversation = conversation_of(sent, [*earlier, *given])
    refusal = strict_schema.refusal(conversation, "responses")
    if refusal is not None:
        raise refusal
    prompt = input_tokens(entry, body, [*earlier, *given])
    budget = _output_budget(entry, body, prompt)
    tool = hosted_tool(conversation, body.tools or (), body.tool_choice)
    hits: list[SearchHit] = []
    queries = [query_of(conversation)]
    if tool is not None and HOSTED_TYPES[str(tool["type"])] == "file_search":
        from mockapi.generators.ranking import rewrite  # with numpy, on the first file search

        queries = [rewrite(queries[0])]
        position = next(index for index, given in enumerate(body.tools or ()) if given is tool)
        hits = await run_in_threadpool(file_search_hits, state, owner, tool, position, queries[0])
    reasoning = entry.capabilities.reasoning
    effort = None if reasoning is None else (body.reasoning or {}).get("effort") or reasoning.default_effort
    tokenizer = tokens.tokenizer_for(entry.tokenizer)
    text, system = conversation.last_user_text(), conversation.system_text() or None
    exchange = exchange_of(request, model=body.model, text=text, system=system, conversation=conversation)

    def produce(answer: Answer) -> Reply:
        seeding = state.seeding
        setup = Setup(
            response_id=seeding.next_id("resp_", 48),
            created_at=answer.now(),
            request=sent,
            conversation=conversation,
            model=entry,
            budget=budget,
            effort=effort,
            input_tokens=prompt,
            cached_tokens=cached_tokens(entry, body, earlier),
            new_id=lambda prefix: seeding.next_id(prefix, 48),
            hosted_tool=tool,
            hits=hits,
            queries=queries,
            background=body.background is True,
        )
        final = build_response(setup, answer)
        _keep(state, owner, body, final, with_ids(given, setup.new_id), earlier)
        answered = shown(final, body.include)
        if body.stream:
            total = final["usage"]["total_tokens"]
            return StreamReply(response_events(answered, tokenizer), total_tokens=lambda: total, done=False, named=True)
        if body.background:
            return JSONReply(in_progress(answered, "queued"))
        return JSONReply(answered)

    seed = {key: value for key, value in sent.items() if key not in DELIVERY}
    seed["input"] = seed_items([*earlier, *given])
    try:
        return await run(request, exchange, produce, seed_body=seed)
    except errors.OpenAIError as failure:
        served = context_of(request).served
        if not body.stream or served.rule_id is None or failure.status == 429:
            raise
        return _failed_stream(state, sent, failure)


def _output_budget(entry: ModelEntry, body: CreateResponse, prompt: int) -> int:
    window = entry.context_window or DEFAULT_CONTEXT_WINDOW
    if prompt >= window:
        raise refuse.input_too_long()
    cap = min(entry.max_output_tokens or MAX_OUTPUT_TOKENS, window - prompt)
    return min(body.max_output_tokens, cap) if body.max_output_tokens is not None else cap


def _keep(
    state: AppState,
    owner: str,
    body: CreateResponse,
    final: dict[str, Any],
    given: list[dict[str, Any]],
    earlier: list[dict[str, Any]],
) -> None:
    """Store the response (unless store is false) and add its turn to its conversation."""
    if body.stored:
        store = response_store(state)
        context = [*earlier, *given]
        if body.background and not body.stream:
            now = state.seeding.clock.time()
            started = now + QUEUED_SECONDS
            done = started + max(1.0, final["usage"]["output_tokens"] / BACKGROUND_TOKENS_PER_SECOND)
            store.save(owner, in_progress(final, "queued"), given, context, final, started, done)
        else:
            store.save(owner, final, given, context)
    conversation_id = body.conversation_id()
    if conversation_id is not None:
        conversation_store(state).add_items(owner, conversation_id, [*given, *final["output"]])


def _failed_stream(state: AppState, sent: dict[str, Any], failure: errors.OpenAIError) -> Rendered:
    response_id = state.seeding.next_id("resp_", 48)
    return events_instead(
        StreamReply(failed_events(response_id, state.seeding.now(), sent, failure), done=False, named=True)
    )


@router.post("/responses/input_tokens", endpoint="responses", body=TokenCountsBody, answers=(TokenCountsResource,))
async def count_input_tokens(request: Request, body: TokenCountsBody) -> Rendered:
    """The exact count of the prompt a response with this input would be charged for."""
    state = state_of(request)
    owner = caller_of(request).owner
    entry = _entry(state, owner, body.model or COUNTING_MODEL)
    earlier = earlier_items(state, owner, body)
    given = settled_input(earlier, body.input_items())
    count = input_tokens(entry, body, [*earlier, *given])
    exchange = exchange_of(request, model=body.model, text=conversation_of(body.model_dump(), given).last_user_text())
    return await run(request, exchange, lambda _: JSONReply({"object": "response.input_tokens", "input_tokens": count}))
