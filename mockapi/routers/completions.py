"""POST /v1/completions."""

from __future__ import annotations

from starlette.requests import Request

from mockapi import errors, tokens
from mockapi.catalogue import ModelEntry
from mockapi.generators.completions import completion, completion_chunks, total_tokens
from mockapi.pipeline import Answer, JSONReply, Reply, StreamReply, exchange_of, model_entry, require_model, run
from mockapi.routing import Resource
from mockapi.schemas.completions import CreateCompletionRequest, CreateCompletionResponse, PromptText, prompts_of
from mockapi.wire import Rendered

router = Resource("completions")

# What shapes, cuts or delivers the text rather than drawing another: left out of the seed so that,
# e.g., a shorter max_tokens answers a prefix of the same text, a stop sequence cuts that text and a
# penalty rewrites that text's repeated words.
SHAPING_KEYS = {
    "max_tokens", "stop", "logprobs", "echo", "n", "best_of", "logit_bias", "stream", "user",
    "top_p", "presence_penalty", "frequency_penalty",
}  # fmt: skip
LATER_FIELDS = ("seed", "stream_options")


@router.post(
    "/completions",
    endpoint="completions",
    body=CreateCompletionRequest,
    answers=(CreateCompletionResponse,),
    events=CreateCompletionResponse,
)
async def create_completion(request: Request, body: CreateCompletionRequest) -> Rendered:
    entry = _completion_model(request, body.model)
    body.check()
    prompts = prompts_of(body)
    _check_context(entry, body, prompts)
    exchange = exchange_of(request, model=body.model, text=prompts[0].text)

    def produce(answer: Answer) -> Reply:
        completion_id = answer.seeding.next_id("cmpl-", 29)
        if body.stream:
            chunks = completion_chunks(body, prompts, answer, completion_id)
            return StreamReply(chunks, total_tokens=lambda: total_tokens(body, prompts, answer))
        return JSONReply(completion(body, prompts, answer, completion_id))

    # Deterministic: fields in declared order; those since 2023 only when given (`seed` draws another text).
    unset = {name for name in LATER_FIELDS if name not in body.model_fields_set}
    # A list of one prompt is that prompt (LangChain sends ["..."] whole and "..." streamed): one text.
    sole = body.prompt[0] if isinstance(body.prompt, list) and len(body.prompt) == 1 else None
    seeded = body if not isinstance(sole, str | list) else body.model_copy(update={"prompt": sole})
    seed = seeded.model_dump_json(exclude=SHAPING_KEYS | unset | {"stream_options"}).encode()
    return await run(request, exchange, produce, seed_body=seed)


def _completion_model(request: Request, model: str) -> ModelEntry:
    entry = model_entry(request, model)
    if entry.kind == "chat":
        raise errors.chat_model_on_completions()
    return require_model(request, model, ["completion"])


def _check_context(entry: ModelEntry, body: CreateCompletionRequest, prompts: list[PromptText]) -> None:
    if entry.context_window is None:
        return
    wanted = body.max_tokens if body.max_tokens is not None else 16
    suffix = tokens.count(body.suffix) if body.suffix else 0
    longest = max(len(prompt.ids) for prompt in prompts) + suffix
    if longest + wanted > entry.context_window:
        raise errors.completion_too_long(entry.context_window, longest, wanted)
