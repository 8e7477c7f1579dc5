"""The response object of `POST /v1/responses`: its output items (reasoning, a hosted tool's call, function
calls or a message) and its usage, from one turn of the conversation (responses_turn.py).

Items, in order: a `reasoning` item for a reasoning model (effort other than `none`; its summary when
`reasoning.summary` asks for one), the hosted tool's call, then the function calls or the assistant message
with its `output_text` part (annotations from the hosted tool; logprobs). Usage is exact:
input tokens as the router counted them, output tokens the turn's (text, calls and hidden reasoning).
A turn cut by `max_output_tokens` is `incomplete` with `incomplete_details.reason: max_output_tokens`.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mockapi.catalogue_schema import ModelEntry
from mockapi.conversation import Conversation
from mockapi.generators import responses_tools as hosted
from mockapi.generators.hints import significant
from mockapi.generators.responses_turn import plan, truncated
from mockapi.generators.turns import Turn, TurnSource
from mockapi.schemas.strict_schema import effective_strict
from mockapi.tokens import Tokenizer, tokenizer_for

Item = dict[str, Any]
INCLUDABLE = frozenset(
    {
        "file_search_call.results",
        "web_search_call.action.sources",
        "code_interpreter_call.outputs",
        "reasoning.encrypted_content",
        "message.output_text.logprobs",
    }
)
_ALTERNATIVES = (" the", " a", " and", " of", " to", " in", " is", ",", ".", " that", " it", " for", " with")


@dataclass(frozen=True)
class Setup:
    """What the router settled before the answer is made."""

    response_id: str
    created_at: int
    request: Mapping[str, Any]  # the body as sent (the answer echoes its settings)
    conversation: Conversation
    model: ModelEntry
    budget: int  # output tokens the turn may use
    effort: str | None  # a reasoning model's effort (None for other models)
    input_tokens: int
    cached_tokens: int
    new_id: Callable[[str], str]
    hosted_tool: Mapping[str, Any] | None = None
    hits: Sequence[hosted.SearchHit] = ()
    queries: Sequence[str] = ()  # what a hosted search looks for
    background: bool = False

    @property
    def include(self) -> frozenset[str]:
        """Everything includable is made (and kept); each answer shows what its request includes
        (responses_include.py)."""
        return INCLUDABLE

    @property
    def tokenizer(self) -> Tokenizer:
        return tokenizer_for(self.model.tokenizer)


def build_response(setup: Setup, answer: TurnSource) -> dict[str, Any]:
    """The finished response (status completed, or incomplete)."""
    conversation = setup.conversation
    found = _hosted(setup)
    verbosity = (setup.request.get("text") or {}).get("verbosity")
    source = found.text if found else None
    turn = plan(conversation, setup.model, answer, setup.budget, setup.effort, verbosity, source)
    cut = truncated(turn)
    output: list[Item] = []
    if setup.effort not in (None, "none"):
        output.append(_reasoning(setup, conversation))
    if found is not None:
        output.append(found.item)
    if turn.text is None:
        limit = setup.request.get("max_tool_calls")
        for call in turn.tool_calls[: limit - (found is not None) if limit else None]:
            item = {"id": setup.new_id("fc_"), "type": "function_call", "status": "incomplete" if cut else "completed"}
            output.append({**item, "arguments": call.arguments, "call_id": call.id, "name": call.name})
    elif turn.text or not cut:
        annotations = list(found.annotations) if found is not None else []
        output.append(_message(setup, turn, cut, annotations, answer.rng(3)))
    response = base_object(setup, "incomplete" if cut else "completed")
    response["output"] = output
    response["usage"] = usage(setup.input_tokens, setup.cached_tokens, turn)
    if cut:
        response["incomplete_details"] = {"reason": "max_output_tokens"}
    else:
        response["completed_at"] = setup.created_at
    return response


def base_object(setup: Setup, status: str) -> dict[str, Any]:
    """The response's fields before any output: the request's settings as the API echoes them."""
    request = setup.request
    text = request.get("text") or {}
    reasoning = request.get("reasoning") or {}
    conversation = request.get("conversation")
    response = {
        "id": setup.response_id,
        "object": "response",
        "created_at": setup.created_at,
        "status": status,
        "background": setup.background,
        "completed_at": None,
        "conversation": {"id": conversation if isinstance(conversation, str) else conversation["id"]}
        if conversation
        else None,
        "error": None,
        "incomplete_details": None,
        "instructions": request.get("instructions"),
        "max_output_tokens": request.get("max_output_tokens"),
        "max_tool_calls": request.get("max_tool_calls"),
        "model": request["model"],
        "output": [],
        "parallel_tool_calls": request.get("parallel_tool_calls") is not False,
        "previous_response_id": request.get("previous_response_id"),
        "prompt_cache_key": request.get("prompt_cache_key"),
        "reasoning": {
            "effort": setup.effort,
            "summary": reasoning.get("summary") or reasoning.get("generate_summary"),
        },
        "safety_identifier": request.get("safety_identifier"),
        "service_tier": "default" if request.get("service_tier") in (None, "auto") else request["service_tier"],
        "store": request.get("store") is not False,
        "temperature": request.get("temperature", 1.0) if request.get("temperature") is not None else 1.0,
        "text": {"format": text.get("format") or {"type": "text"}, "verbosity": text.get("verbosity") or "medium"},
        "tool_choice": request.get("tool_choice") or "auto",
        "tools": [_echoed(tool, setup.conversation) for tool in request.get("tools") or ()],
        "top_logprobs": request.get("top_logprobs") or 0,
        "top_p": request.get("top_p") if request.get("top_p") is not None else 1.0,
        "truncation": request.get("truncation") or "disabled",
        "metadata": request.get("metadata") or {},
    }
    if request.get("user") is not None:  # deprecated: the API shows it only when it was sent
        response["user"] = request["user"]
    return response


def usage(input_tokens: int, cached_tokens: int, turn: Turn) -> dict[str, Any]:
    output_tokens = turn.output_tokens
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens, "cache_write_tokens": 0},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": turn.reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


def _hosted(setup: Setup) -> hosted.HostedTurn | None:
    tool = setup.hosted_tool
    if tool is None:
        return None
    kind = hosted.HOSTED_TYPES[str(tool["type"])]
    conversation = setup.conversation
    if kind == "web_search":
        return hosted.web_search(conversation, setup.new_id("ws_"), "web_search_call.action.sources" in setup.include)
    if kind == "file_search":
        with_results = "file_search_call.results" in setup.include
        return hosted.file_search(conversation, setup.new_id("fs_"), setup.hits, with_results, setup.queries)
    container = hosted.container_id(tool, setup.new_id)
    outputs = "code_interpreter_call.outputs" in setup.include
    return hosted.code_interpreter(conversation, setup.new_id("ci_"), container, outputs)


def _reasoning(setup: Setup, conversation: Conversation) -> Item:
    item: Item = {"id": setup.new_id("rs_"), "type": "reasoning", "summary": []}
    reasoning = setup.request.get("reasoning") or {}
    if reasoning.get("summary") or reasoning.get("generate_summary"):
        item["summary"] = [{"type": "summary_text", "text": reasoning_summary(conversation)}]
    if "reasoning.encrypted_content" in setup.include:
        digest = hashlib.sha256(f"{setup.response_id}|{item['id']}".encode()).digest()
        item["encrypted_content"] = "gAAAAA" + base64.urlsafe_b64encode(digest * 3).decode()
    return item


def reasoning_summary(conversation: Conversation) -> str:
    """What a reasoning summary says: the subject of the question, and the plan of the answer."""
    topic = " ".join(significant(conversation.last_user_text())[:5]) or "the request"
    if conversation.last_is_tool_result():
        return f"**Reading the tool results**\n\nThe tool answered about {topic}; I report what it returned."
    return f"**Working out {topic}**\n\nThe user asks about {topic}. I consider what is needed and answer directly."


def _message(setup: Setup, turn: Turn, cut: bool, annotations: list[Item], rng: random.Random) -> Item:
    text = turn.text or ""
    logprobs = _logprobs(setup, text, rng) if "message.output_text.logprobs" in setup.include else []
    part = {"type": "output_text", "text": text, "annotations": annotations, "logprobs": logprobs}
    return {
        "id": setup.new_id("msg_"),
        "type": "message",
        "status": "incomplete" if cut else "completed",
        "content": [part],
        "role": "assistant",
    }


def _logprobs(setup: Setup, text: str, rng: random.Random) -> list[Item]:
    """A seeded logprob per token of the text, with `top_logprobs` likelier-looking alternatives."""
    tokenizer = setup.tokenizer
    top = int(setup.request.get("top_logprobs") or 0)
    made = []
    for token in tokenizer.encode(text):
        raw = tokenizer.token_bytes(token)
        chosen = math.log(0.5 + 0.49 * rng.random())
        alternatives = [
            {"token": word, "logprob": chosen - 0.5 - index - rng.random(), "bytes": list(word.encode())}
            for index, word in enumerate(rng.sample(_ALTERNATIVES, min(top, len(_ALTERNATIVES))))
        ]
        piece = raw.decode("utf-8", errors="replace")
        made.append({"token": piece, "logprob": chosen, "bytes": list(raw), "top_logprobs": alternatives})
    return made


def _echoed(tool: Mapping[str, Any], conversation: Conversation) -> Item:
    """A tool as the response lists it: a function with `strict` as it applies and its parameters."""
    if tool.get("type") != "function":
        return dict(tool)
    function = conversation.tool(str(tool.get("name")))
    strict = effective_strict(function, "responses") if function is not None else bool(tool.get("strict"))
    return {
        "type": "function",
        "name": tool.get("name"),
        "description": tool.get("description"),
        "parameters": tool.get("parameters"),
        "strict": strict,
    }
