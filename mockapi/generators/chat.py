"""Chat completions: the response body, or its stream of `chat.completion.chunk`s, one turn per choice.

The turn (turns.py) decides text or tool calls; this module writes it in Chat's wire format. Today's models
answer today's shape (refusal, annotations, logprobs, service_tier, system_fingerprint, usage details); the
2023 models the 2023 one, with only what the request asked for on top (tool calls, logprobs, a fingerprint
for a seed, the usage chunk). Streams send text in token pieces, tool calls as the API does: `index` on every
delta, `id`, `type` and the name on a call's first delta only, the arguments in pieces; then the finish
reason, then (stream_options.include_usage) a chunk with no choices and the usage, every other one
`usage: null`.
"""

from __future__ import annotations

import difflib
import hashlib
import random
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from mockapi.accounting import PromptTokens
from mockapi.catalogue_schema import ModelEntry
from mockapi.conversation import Conversation, ToolCall
from mockapi.generators import chat_audio
from mockapi.generators.chat_logprobs import choice_logprobs
from mockapi.generators.drafting import Limits, is_greedy, limits_for, pieces
from mockapi.generators.streaming import interleave
from mockapi.generators.turns import Turn, TurnSource, sentences_for, take_turn
from mockapi.schemas.chat import CreateChatCompletionRequest
from mockapi.schemas.chat_messages import text_of
from mockapi.tokens import tokenizer_for

SERVICE_TIERS = {"flex": "flex", "scale": "scale", "priority": "priority", "fast": "priority"}


@lru_cache(maxsize=256)
def fingerprint(model: str, seed: int) -> str:
    """The backend configuration's fingerprint: the same for a model on one server seed."""
    return "fp_" + hashlib.blake2b(f"{seed}|{model}".encode(), digest_size=5).hexdigest()


@dataclass
class PreparedChat:
    """A checked request with what the router worked out for it: model, conversation, prompt and budget.
    (Made for every request and never changed; not frozen, as a frozen dataclass is four times as slow to
    make.)"""

    request: CreateChatCompletionRequest
    model: ModelEntry
    conversation: Conversation
    prompt: PromptTokens
    budget: int  # completion tokens each choice may use, reasoning included
    fingerprint: str
    # The request as read (the router's reading of its bytes): requests with equal ones make the same turns
    # on one server seed, so it keys their memo.
    made_from: Hashable
    cached_tokens: int = 0  # of the prompt, read from the prompt cache

    @property
    def today(self) -> bool:
        """Whether the model answers today's shape (its model object is today's)."""
        return not self.model.permission

    @property
    def service_tier(self) -> str:
        return SERVICE_TIERS.get(self.request.service_tier or "", "default")

    @cached_property
    def limits(self) -> Limits:
        r = self.request
        return limits_for(
            None, r.stop, r.logit_bias, r.presence_penalty, r.frequency_penalty, sentences=sentences_for(r.verbosity)
        )

    @cached_property
    def prediction(self) -> str | None:
        return text_of(self.request.prediction.content) if self.request.prediction is not None else None

    @property
    def speaks(self) -> bool:
        """Whether the answer is audio (`modalities` with audio), its text the transcript."""
        return bool(self.request.modalities and "audio" in self.request.modalities and self.request.audio)

    @property
    def legacy(self) -> bool:
        return self.conversation.legacy_functions

    def top_logprobs(self) -> int | None:
        """How many top_logprobs each token gets, or None without logprobs."""
        return (self.request.top_logprobs or 0) if self.request.logprobs else None


def turns(prepared: PreparedChat, answer: TurnSource) -> list[Turn]:
    """One turn per choice; a greedy model (temperature 0, or a narrow top_p) makes every choice the same.

    Generated turns are kept in the drafts' memo by what the request was made from, the server's seed and
    the route (what the answer is seeded from beside), the value with the model, so a repeated request takes
    them as made. Not a rule's: its answers may change from one use to the next."""
    greedy = is_greedy(prepared.request.temperature, prepared.request.top_p)
    effort = prepared.request.reasoning_effort
    if answer.content is not None or answer.tool_calls is not None:
        return _turns(prepared, answer, greedy, effort)
    key = ("turns", prepared.made_from, answer.seeding.seed, answer.route)
    kept: tuple[ModelEntry, list[Turn]] | None = answer.drafts.get(key)
    if kept is not None and kept[0] is prepared.model:
        return kept[1]
    made = _turns(prepared, answer, greedy, effort)
    answer.drafts.put(key, (prepared.model, made), sum(len(turn.draft.tokens) for turn in made if turn.draft) + 1)
    return made


def _turns(prepared: PreparedChat, answer: TurnSource, greedy: bool, effort: str | None) -> list[Turn]:
    r = prepared.request
    return [
        take_turn(
            prepared.conversation,
            prepared.model,
            answer,
            prepared.budget,
            prepared.limits,
            0 if greedy else index,
            effort,
            fallback=prepared.prediction,
        )
        for index in range(r.n or 1)
    ]


def _prediction_tokens(prepared: PreparedChat, made: list[Turn]) -> tuple[int, int]:
    """(accepted, rejected) prediction tokens: those of the prediction found in order in each answer, and
    the others."""
    if prepared.prediction is None:
        return 0, 0
    tokenizer = tokenizer_for(prepared.model.tokenizer)
    predicted = tokenizer.encode(prepared.prediction)
    accepted = rejected = 0
    for turn in made:
        said = turn.draft.tokens if turn.draft is not None else ()
        matcher = difflib.SequenceMatcher(None, predicted, said, autojunk=False)
        found = sum(block.size for block in matcher.get_matching_blocks())
        accepted, rejected = accepted + found, rejected + len(predicted) - found
    return accepted, rejected


def usage(prepared: PreparedChat, made: list[Turn]) -> dict[str, Any]:
    accepted, rejected = _prediction_tokens(prepared, made)
    spoken = sum(chat_audio.audio_tokens(turn.text or "") for turn in made) if prepared.speaks else 0
    completion = sum(turn.output_tokens for turn in made) + rejected + spoken
    prompt = prepared.prompt.total
    counts: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    if prepared.today:
        counts["prompt_tokens_details"] = {
            "cached_tokens": prepared.cached_tokens,
            "audio_tokens": prepared.prompt.audio,
        }
        counts["completion_tokens_details"] = {
            "reasoning_tokens": sum(turn.reasoning_tokens for turn in made),
            "audio_tokens": spoken,
            "accepted_prediction_tokens": accepted,
            "rejected_prediction_tokens": rejected,
        }
    return counts


def completion_tokens(prepared: PreparedChat, answer: TurnSource) -> int:
    """Completion tokens of every choice, streamed or not."""
    return int(usage(prepared, turns(prepared, answer))["completion_tokens"])


def _finish_reason(prepared: PreparedChat, turn: Turn) -> str:
    if turn.finish_reason == "tool_calls" and prepared.legacy:
        return "function_call"
    return turn.finish_reason


def _calls(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def _spoken(prepared: PreparedChat, turn: Turn, answer: TurnSource, index: int) -> chat_audio.Spoken | None:
    """The turn's text spoken, when the request asks for audio (a turn that calls tools says nothing)."""
    audio = prepared.request.audio
    if not prepared.speaks or audio is None or turn.tool_calls:
        return None
    rng = random.Random(answer.digest(index) + b"|audio")
    return chat_audio.speak(turn.text or "", audio.voice, audio.format, answer.now(), rng)


def _message(prepared: PreparedChat, turn: Turn, spoken: chat_audio.Spoken | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None if spoken else turn.text}
    if spoken is not None:
        message["audio"] = spoken.body()
    if turn.tool_calls and prepared.legacy:
        call = turn.tool_calls[0]
        message["function_call"] = {"name": call.name, "arguments": call.arguments}
    elif turn.tool_calls:
        message["tool_calls"] = _calls(turn.tool_calls)
    if prepared.today:
        message["refusal"] = None
        message["annotations"] = _annotations(prepared, turn)
    return message


def _annotations(prepared: PreparedChat, turn: Turn) -> list[dict[str, Any]]:
    """A web search model cites its first sentence (an offline server searches nothing: the page is named
    after the question's words)."""
    if prepared.request.web_search_options is None or not turn.text:
        return []
    end = turn.text.find(". ") + 1 or len(turn.text)
    words = [w.strip("?.,!").lower() for w in prepared.conversation.last_user_text().split()][:6]
    slug = "-".join(w for w in words if w) or "search"
    title = " ".join(words).capitalize() or "Search"
    citation = {"end_index": end, "start_index": 0, "title": title, "url": f"https://www.example.com/{slug}"}
    return [{"type": "url_citation", "url_citation": citation}]


def _head(prepared: PreparedChat, completion_id: str, created: int, kind: str) -> dict[str, Any]:
    head: dict[str, Any] = {"id": completion_id, "object": kind, "created": created, "model": prepared.request.model}
    if prepared.today:
        head["service_tier"] = prepared.service_tier
    if prepared.today or prepared.request.seed is not None:
        head["system_fingerprint"] = prepared.fingerprint
    return head


def chat_completion(prepared: PreparedChat, answer: TurnSource, completion_id: str) -> dict[str, Any]:
    made = turns(prepared, answer)
    top = prepared.top_logprobs()
    choices = []
    for index, turn in enumerate(made):
        message = _message(prepared, turn, _spoken(prepared, turn, answer, index))
        choice: dict[str, Any] = {"index": index, "message": message}
        if prepared.today or top is not None:
            choice["logprobs"] = choice_logprobs(turn.draft, top) if top is not None else None
        choice["finish_reason"] = _finish_reason(prepared, turn)
        choices.append(choice)
    body = _head(prepared, completion_id, answer.now(), "chat.completion")
    body["choices"] = choices
    body["usage"] = usage(prepared, made)
    return body


def chat_chunks(prepared: PreparedChat, answer: TurnSource, completion_id: str) -> Iterator[dict[str, Any]]:
    """Per choice a first delta (the role), the text or tool-call deltas, then the finish reason; choices
    interleave by index. Nothing is generated until the first chunk is asked for."""
    head = _head(prepared, completion_id, answer.now(), "chat.completion.chunk")
    include_usage = prepared.request.include_usage
    top = prepared.top_logprobs()
    logprobs_key = prepared.today or top is not None

    def chunk(index: int, delta: dict[str, Any], finish: str | None = None, logprobs: Any = None) -> dict[str, Any]:
        choice: dict[str, Any] = {"index": index, "delta": delta}
        if logprobs_key:
            choice["logprobs"] = logprobs
        choice["finish_reason"] = finish
        made = {**head, "choices": [choice]}
        if include_usage:
            made["usage"] = None
        return made

    def of(index: int, turn: Turn) -> Iterator[dict[str, Any]]:
        spoken = _spoken(prepared, turn, answer, index)
        if turn.tool_calls:
            yield from (chunk(index, delta) for delta in _call_deltas(prepared, turn))
        elif spoken is not None:
            yield chunk(index, _first_delta(prepared, None))
            yield from (chunk(index, delta) for delta in _audio_deltas(prepared, turn, spoken))
        else:
            yield chunk(index, _first_delta(prepared, ""))
            draft = turn.draft
            assert draft is not None
            for text, first, end in pieces(draft.tokens, draft.tokenizer):
                logprobs = choice_logprobs(draft, top, first, end) if top is not None else None
                yield chunk(index, {"content": text}, logprobs=logprobs)
        yield chunk(index, {}, _finish_reason(prepared, turn))

    def stream() -> Iterator[dict[str, Any]]:
        made = turns(prepared, answer)
        yield from interleave([of(index, turn) for index, turn in enumerate(made)])
        if include_usage:
            yield {**head, "choices": [], "usage": usage(prepared, made)}

    return stream()


def _first_delta(prepared: PreparedChat, content: str | None, **more: Any) -> dict[str, Any]:
    """The role delta: today's models also send the content so far ("" or null) and the refusal."""
    if not prepared.today and content == "" and not more:
        return {"role": "assistant"}
    delta: dict[str, Any] = {"role": "assistant", "content": content, **more}
    if prepared.today:
        delta["refusal"] = None
    return delta


def _audio_deltas(prepared: PreparedChat, turn: Turn, spoken: chat_audio.Spoken) -> Iterator[dict[str, Any]]:
    """The transcript in token pieces (the audio's id on the first), then the audio data and its expiry."""
    draft = turn.draft
    assert draft is not None
    for number, (text, _, _) in enumerate(pieces(draft.tokens, draft.tokenizer)):
        yield {"audio": {"id": spoken.id, "transcript": text} if number == 0 else {"transcript": text}}
    yield {"audio": {"id": spoken.id, "data": spoken.data, "expires_at": spoken.expires_at}}


def _call_deltas(prepared: PreparedChat, turn: Turn) -> Iterator[dict[str, Any]]:
    tokenizer = tokenizer_for(prepared.model.tokenizer)
    if prepared.legacy:
        call = turn.tool_calls[0]
        yield _first_delta(prepared, None, function_call={"name": call.name, "arguments": ""})
        for piece, _, _ in pieces(tokenizer.encode(call.arguments), tokenizer):
            yield {"function_call": {"arguments": piece}}
        return
    for index, call in enumerate(turn.tool_calls):
        opening = [
            {"index": index, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        ]
        yield _first_delta(prepared, None, tool_calls=opening) if index == 0 else {"tool_calls": opening}
        for piece, _, _ in pieces(tokenizer.encode(call.arguments), tokenizer):
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
